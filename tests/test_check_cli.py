"""`gitops-kafka check`: exit 0 in sync, 1 drift, 2 error; text and JSON."""
from __future__ import annotations

import json

from helpers import run_cli


def check(gitops_repo, api, tmp_path, *extra):
    return run_cli("check", "--env", "prod", "--repo", str(gitops_repo), "--branch", "main",
                   "--cache", str(tmp_path / "cache"), "--kubeconfig", str(api.kubeconfig), "--timeout", "2", *extra)


def test_in_sync_exits_0(gitops_repo, api, tmp_path):
    result = check(gitops_repo, api, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("prod @ ") and "in sync" in result.stdout


def test_drift_exits_1_in_text_and_json(gitops_repo, api, desired, tmp_path):
    api.delete(next(o for o in desired if o["kind"] == "Service" and o["metadata"]["name"] == "kafka"))
    text = check(gitops_repo, api, tmp_path)
    assert text.returncode == 1 and "missing   Service/kafka" in text.stdout
    document = check(gitops_repo, api, tmp_path, "--format", "json")
    assert document.returncode == 1
    report = json.loads(document.stdout)
    assert report["in_sync"] is False and report["counts"]["missing"] == 1
    assert [o["name"] for o in report["objects"] if o["state"] == "missing"] == ["kafka"]


def test_errors_exit_2_without_a_traceback(gitops_repo, api, tmp_path):
    api.proxy.mode = 403
    result = check(gitops_repo, api, tmp_path)
    assert result.returncode == 2
    assert "kubernetes: forbidden" in result.stderr and "Traceback" not in result.stderr
    missing = run_cli("check", "--env", "prod", "--repo", str(gitops_repo), "--branch", "main",
                      "--cache", str(tmp_path / "c2"), "--kubeconfig", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 2 and "cannot load kubeconfig" in missing.stderr and "Traceback" not in missing.stderr


def test_branch_defaults_to_the_environments_revision(gitops_repo, api, tmp_path):
    result = run_cli("check", "--env", "prod", "--cache", str(tmp_path / "cache"), "--kubeconfig",
                     str(api.kubeconfig), cwd=gitops_repo)
    assert result.returncode == 0, result.stderr


def test_a_malformed_api_answer_exits_2_with_one_line(gitops_repo, api, tmp_path):
    api.proxy.answers["/apis/apps/v1/namespaces/kafka-prod/statefulsets"] = b'{"items": [null]}'
    result = check(gitops_repo, api, tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1 and "malformed object (null)" in result.stderr


def test_a_bug_in_the_check_exits_2_with_one_line(gitops_repo, api, tmp_path, monkeypatch, capsys):
    from gitops_kafka import cli
    from gitops_kafka.drift import check as drift_check

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(drift_check, "compare_object", broken)
    code = cli.main(["check", "--env", "prod", "--repo", str(gitops_repo), "--branch", "main", "--cache",
                     str(tmp_path / "cache"), "--kubeconfig", str(api.kubeconfig), "--timeout", "2"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("gitops-kafka check: internal: unexpected RecursionError: maximum recursion depth")
