"""A platform team's journey, end to end, with the released package rather than this source tree.

The wheel is built once with the standard front end (`python -m build`, sdist then a wheel
from the sdist, so both must carry everything), its metadata checked with twine, and
installed into a virtualenv of its own. Every command then runs that venv's `gitops-kafka`
in an empty temporary git repository: init -> generate -> validate -> a topic change on
a branch -> diff and review comment -> check against a cluster (kmock, through a
kubeconfig) in sync -> a hand edit found as drift.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import PROJECT, git, load_documents
from gitops_kafka import __version__
from kube import KubeAPI, as_applied

REPO_URL = "https://github.com/acme/kafka-gitops.git"
BRANCH = "kafka/more-partitions"


@pytest.fixture(scope="session")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel, built once per test session, their metadata checked."""
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(PROJECT)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    checked = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, out.iterdir())],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh virtualenv outside the source tree holding the wheel (not editable): its bin/."""
    venv = tmp_path_factory.mktemp("venv") / "gitops-kafka"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    [wheel] = dist.glob("*.whl")
    result = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return venv / "bin"


def clean_environment() -> dict[str, str]:
    """The user's environment, without anything pointing back at this checkout or its venv."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KUBECONFIG")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if not p.startswith(str(PROJECT)))
    return env


def run(bin_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / "gitops-kafka"), *args], cwd=cwd, capture_output=True, text=True,
                          env=clean_environment())


def test_the_package_is_complete_and_installs_on_its_own(installed, dist, tmp_path):
    names = {p.name for p in dist.iterdir()}
    assert f"gitops_kafka-{__version__}-py3-none-any.whl" in names and f"gitops_kafka-{__version__}.tar.gz" in names
    where = subprocess.run([str(installed / "python"), "-c", "import gitops_kafka; print(gitops_kafka.__file__)"],
                           cwd=tmp_path, capture_output=True, text=True, env=clean_environment())
    assert where.returncode == 0 and "site-packages" in where.stdout and str(PROJECT) not in where.stdout
    version = run(installed, "--version", cwd=tmp_path)
    assert (version.returncode, version.stdout.strip()) == (0, f"gitops-kafka {__version__}")
    top = run(installed, "--help", cwd=tmp_path)
    assert top.returncode == 0 and "gitops-kafka init" in top.stdout and "No logic of its own" not in top.stdout


def test_from_an_empty_repository_to_drift(installed, tmp_path):
    repo = tmp_path / "kafka-gitops"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch=main")
    git(repo, "config", "user.email", "platform@acme.invalid")
    git(repo, "config", "user.name", "platform team")

    # Before init, nothing to generate from: the error says what is missing.
    early = run(installed, "generate", "--all", cwd=repo)
    assert early.returncode == 2 and "no environment files found" in early.stderr

    # init: the starting files, this version pinned in the workflow; never twice.
    started = run(installed, "init", "--tool", "argocd", "--env", "staging", "--env", "prod",
                  "--repo-url", REPO_URL, cwd=repo)
    assert started.returncode == 0, started.stderr
    for path in ("environments/defaults.yaml", "environments/staging.yaml", "environments/prod.yaml",
                 ".github/workflows/gitops-kafka-review.yaml", "docs/runbooks.md", ".gitignore", "README.md"):
        assert f"wrote {path}" in started.stdout and (repo / path).is_file()
    assert f'GITOPS_KAFKA: "gitops-kafka=={__version__}"' in \
        (repo / ".github/workflows/gitops-kafka-review.yaml").read_text()
    again = run(installed, "init", cwd=repo)
    assert again.returncode == 3 and "refusing to overwrite" in again.stderr
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "gitops-kafka init")

    # generate --all: every environment rendered and committed, stamped with this version.
    generated = run(installed, "generate", "--all", cwd=repo)
    assert generated.returncode == 0, generated.stderr
    assert "wrote base/" in generated.stdout and "wrote overlays/prod/" in generated.stdout
    assert "committed" in generated.stdout and "on main" in generated.stdout
    assert f"gitops-kafka {__version__}" in (repo / "base/.gitops-kafka-version").read_text()
    current = run(installed, "generate", "--all", "--check", cwd=repo)
    assert (current.returncode, current.stdout.strip()) == (0, "generated output is up to date")
    built = load_documents(run(installed, "render", "--env", "prod", cwd=repo).stdout)
    zookeeper = next(o for o in built if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "kafka-zookeeper")
    brokers = next(o for o in built if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "kafka")
    assert zookeeper["spec"]["replicas"] == 3 and brokers["spec"]["replicas"] == 3
    assert any(o["kind"] == "Deployment" and o["metadata"]["name"] == "kafka-manager" for o in built)
    detector = next(o for o in built if o["kind"] == "Deployment" and o["metadata"]["name"] == "kafka-drift-detector")
    assert detector["spec"]["template"]["spec"]["containers"][0]["image"].endswith(f":{__version__}")

    # validate --all: the starting point passes the strict schema and every policy rule.
    validated = run(installed, "validate", "--all", cwd=repo)
    assert validated.returncode == 0, validated.stdout + validated.stderr
    assert "prod: valid" in validated.stdout and "staging: valid" in validated.stdout

    # A topic change, generated onto a branch for a pull request.
    prod = repo / "environments/prod.yaml"
    text = prod.read_text()
    assert text.count("partitions: 3") == 1
    prod.write_text(text.replace("partitions: 3", "partitions: 6"))
    stale = run(installed, "generate", "--env", "prod", "--check", cwd=repo)
    assert stale.returncode == 1 and "stale" in stale.stdout and "overlays/prod/topics.yaml" in stale.stdout
    branched = run(installed, "generate", "--env", "prod", "--branch", BRANCH, cwd=repo)
    assert branched.returncode == 0, branched.stderr
    assert f"on {BRANCH}" in branched.stdout

    # diff and the review comment against main: the topic's partitions, nothing else.
    diff = run(installed, "diff", "--env", "prod", "--base", "main", "--head", BRANCH, cwd=repo)
    assert diff.returncode == 1, diff.stderr
    # The topic Job and its ConfigMap (the topic list) carry the list's hash: both replaced.
    assert "2 replaced" in diff.stdout and "Job/kafka-topics-" in diff.stdout and "ConfigMap/kafka-topics-" in diff.stdout
    assert "-example-events\t3\t2" in diff.stdout and "+example-events\t6\t2" in diff.stdout
    comment = run(installed, "review-comment", "--base", "main", "--head", BRANCH, "--output", "review.md", cwd=repo)
    assert comment.returncode == 0, comment.stderr
    body = (repo / "review.md").read_text()
    assert body.startswith("<!-- gitops-kafka review -->") and "+example-events\t6\t2" in body

    # check: a cluster holding what main renders is in sync...
    applied = load_documents(run(installed, "render", "--env", "prod", "--ref", "main", cwd=repo).stdout)
    api = KubeAPI(tmp_path, applied)  # the detector reads under the RBAC main renders
    try:
        for obj in applied:
            api.create(as_applied(obj))
        check = ("check", "--env", "prod", "--repo", str(repo), "--branch", "main", "--cache", str(tmp_path / "cache"),
                 "--kubeconfig", str(api.kubeconfig), "--timeout", "5")
        in_sync = run(installed, *check, cwd=repo)
        assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
        assert in_sync.stdout.startswith("prod @ ") and "in sync" in in_sync.stdout

        # ...until someone changes it by hand.
        kafka = next(o for o in applied if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "kafka")

        def change(live):
            live["spec"]["template"]["spec"]["containers"][0]["image"] = "confluentinc/cp-kafka:7.9.6"

        api.edit(kafka, change, "kubectl-edit",
                 {"f:spec": {"f:template": {"f:spec": {"f:containers": {'k:{"name":"kafka"}': {"f:image": {}}}}}}})
        drift = run(installed, *check, cwd=repo)
        assert drift.returncode == 1, drift.stdout + drift.stderr
        assert "StatefulSet/kafka" in drift.stdout and "confluentinc/cp-kafka:7.9.6" in drift.stdout
        assert "kubectl-edit" in drift.stdout
    finally:
        api.close()
