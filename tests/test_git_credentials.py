"""A private GitOps repository: credentials from a mounted Secret's files, and never seen in any output.

The remote is real git (`git http-backend`) behind basic authentication; SSH is
checked at its plumbing (the command git runs), since no SSH server runs here.
"""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from helpers import load_documents, wait_for
from gitops_kafka import gitrepo
from gitops_kafka.daemon import Daemon
from gitops_kafka.checking import Target
from gitops_kafka.errors import GitError, SourceError
from git_http import PrivateGitServer

TOKEN = "s3cr3t-token-9a7f0c"


@pytest.fixture
def private(gitops_repo, tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(gitops_repo), str(root / "gitops.git")], check=True)
    server = PrivateGitServer(root, "deploy", TOKEN)
    yield server
    server.close()


def credentials(directory: Path, **files: str) -> Path:
    directory.mkdir()
    for name, text in files.items():
        (directory / name.replace("_", "-") if name != "known_hosts" else directory / name).write_text(text)
    return directory


def everything_said(daemon, caplog, cache: Path) -> str:
    def get(path):
        with urllib.request.urlopen(f"http://127.0.0.1:{daemon.port}{path}", timeout=10) as response:
            return response.read().decode()
    config = (cache / ".git" / "config").read_text() if (cache / ".git" / "config").exists() else ""
    return "\n".join([caplog.text, get("/drift"), get("/metrics"), json.dumps(daemon.state.report.to_dict()),
                      config])


def first_cycle(target: Target, caplog, cache: Path):
    """The serving daemon's first report, and everything it said (logs, /drift, /metrics, report, cache config)."""
    daemon = Daemon(target, interval=3600, host="127.0.0.1", port=0)
    daemon.start()
    try:
        wait_for(lambda: daemon.state.checks >= 1, timeout=60.0)
        return daemon.state.report, everything_said(daemon, caplog, cache)
    finally:
        daemon.stop()


def test_a_token_from_the_credentials_directory_reads_the_private_repository(private, api, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    secret = credentials(tmp_path / "secret", username="deploy", token=TOKEN + "\n")
    target = Target("prod", private.url("gitops"), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0,
                    git_credentials=secret)
    report, said = first_cycle(target, caplog, tmp_path / "cache")
    assert not report.stale and report.errors == () and not report.has_drift()
    assert private.refused >= 1 and any(auth for _, _, auth in private.requests)  # it did authenticate
    assert "serving on" in said and TOKEN not in said


def test_without_credentials_the_check_fails_as_git_without_waiting_for_a_prompt(private, api, tmp_path, caplog):
    target = Target("prod", private.url("gitops"), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0)
    report = Daemon(target, interval=3600).run_once()
    assert report.stale and report.errors[0].source == "git" and "cannot fetch" in report.errors[0].message


def test_a_wrong_token_fails_and_is_never_shown(private, api, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-t0ken-31337"
    secret = credentials(tmp_path / "secret", username="deploy", password=wrong)  # Flux's key name works too
    target = Target("prod", private.url("gitops"), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0,
                    git_credentials=secret)
    report, said = first_cycle(target, caplog, tmp_path / "cache")
    assert report.stale and report.errors[0].source == "git"
    assert wrong not in said and "Authentication failed" in said


def test_a_daemon_asks_the_private_tip_with_the_token_and_fetches_only_when_it_moved(private, api, tmp_path,
                                                                                      monkeypatch):
    """Later cycles ask for the branch's tip (`git ls-remote`) with the same credentials: the same tip
    fetches nothing; a push is fetched and read in the next cycle."""
    from gitops_kafka.checking import Checker

    secret = credentials(tmp_path / "secret", username="deploy", token=TOKEN + "\n")
    target = Target("prod", private.url("gitops"), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0,
                    git_credentials=secret)
    fetched = []
    fetch = gitrepo.fetch_branch
    monkeypatch.setattr(gitrepo, "fetch_branch", lambda *args, **kw: fetched.append(args) or fetch(*args, **kw))
    checker = Checker()
    try:
        first = checker.run(target)
        private.requests.clear()
        second = checker.run(target)
        assert fetched == [fetched[0]] and second.revision == first.revision and not second.has_drift()
        assert any(auth for _, _, auth in private.requests)  # it asked, with the token

        work = tmp_path / "work"
        subprocess.run(["git", "clone", "-q", str(private.root / "gitops.git"), str(work)], check=True)
        subprocess.run(["git", "-C", str(work), "-c", "user.email=dev@example.invalid", "-c", "user.name=dev",
                        "commit", "-q", "--allow-empty", "-m", "moved"], check=True)
        subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "HEAD:main"], check=True)
        third = checker.run(target)
        moved = subprocess.run(["git", "-C", str(work), "rev-parse", "HEAD"], capture_output=True, text=True).stdout
        assert len(fetched) == 2 and third.revision == moved.strip() != first.revision

        wrong = "wr0ng-t0ken-31337"
        (secret / "token").write_text(wrong)  # the Secret rotated to a token the server refuses
        with pytest.raises(SourceError) as failed:
            checker.run(target)
        assert failed.value.source == "git" and "Authentication failed" in str(failed.value)
        assert wrong not in str(failed.value) and TOKEN not in str(failed.value) and len(fetched) == 2
    finally:
        checker.close()


def test_the_start_up_line_of_the_daemon_command_hides_credentials_in_the_url(private, api, tmp_path):
    url = private.url("gitops").replace("http://", f"http://deploy:{TOKEN}@")
    process = subprocess.Popen(
        [sys.executable, "-m", "gitops_kafka", "daemon", "--env", "prod", "--repo", url, "--branch", "main",
         "--cache", str(tmp_path / "cache"), "--kubeconfig", str(api.kubeconfig), "--listen", "127.0.0.1:0",
         "--interval", "3600"], stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("serving on" in line for line in lines):
            lines.append(process.stderr.readline())
    finally:
        process.terminate()
        lines.append(process.communicate(timeout=30)[1])
    said = "".join(lines)
    assert "serving on" in said and "***@127.0.0.1" in said and TOKEN not in said


def test_an_ssh_key_reaches_ssh_as_a_private_file_with_only_the_given_known_hosts(tmp_path, monkeypatch):
    key = "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key\n-----END OPENSSH PRIVATE KEY-----\n"
    secret = credentials(tmp_path / "secret", ssh_privatekey=key, known_hosts="git.example.invalid ssh-ed25519 AAAA\n")
    record = tmp_path / "ssh-called"
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "ssh").write_text(  # records how git called ssh, and the key file it was given, then fails as ssh does
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + str(record) + "\n"
        "while [ $# -gt 0 ]; do if [ \"$1\" = -i ]; then stat -c %a \"$2\" >> " + str(record) + "; "
        "cat \"$2\" >> " + str(record) + "; fi; shift; done\necho 'Permission denied (publickey).' >&2; exit 255\n")
    (fake / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    with pytest.raises(GitError) as error:
        gitrepo.checkout_branch("ssh://git@git.example.invalid/gitops.git", "main", tmp_path / "cache",
                                credentials=secret)
    assert "Permission denied" in str(error.value)
    called = record.read_text().splitlines()
    key_file = called[called.index("-i") + 1]
    assert "StrictHostKeyChecking=yes" in called and f"UserKnownHostsFile={secret / 'known_hosts'}" in called
    assert "BatchMode=yes" in called and "IdentitiesOnly=yes" in called
    assert "600" in called and "not-a-real-key" in called  # the copy ssh read: private, and the Secret's key
    assert not Path(key_file).exists()  # removed after the fetch


def test_an_ssh_key_without_known_hosts_is_refused(tmp_path):
    secret = credentials(tmp_path / "secret", ssh_privatekey="key\n")
    with pytest.raises(GitError, match="no known_hosts"):
        gitrepo.checkout_branch("ssh://git@git.example.invalid/gitops.git", "main", tmp_path / "cache",
                                credentials=secret)


def test_the_generated_deployment_mounts_the_named_secret(tmp_path):
    from helpers import new_gitops_repo
    from gitops_kafka import kustomize, schema
    from gitops_kafka.config import load_environment
    from gitops_kafka.generator import generate

    root = new_gitops_repo(tmp_path / "repo")
    prod = root / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + "detector:\n  git_credentials: gitops-repo-credentials\n")
    generate(root, ["prod"], commit=False)
    built = load_documents(kustomize.build(root / "overlays" / "prod"))
    deployment = next(o for o in built if o["kind"] == "Deployment" and o["metadata"]["name"].endswith("detector"))
    pod = deployment["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["args"][-2:] == ["--git-credentials", "/etc/gitops-kafka/git"]
    assert {"name": "git-credentials", "mountPath": "/etc/gitops-kafka/git", "readOnly": True} \
        in container["volumeMounts"]
    assert {"name": "git-credentials", "secret": {"secretName": "gitops-repo-credentials", "defaultMode": 0o440}} \
        in pod["volumes"]
    schema.validate(deployment, load_environment(root, "prod").kubernetes_version)
