"""The pull-request workflow in docs/: its steps run here, for real, in a clone of a GitOps
repository with a pull-request branch; only GitHub's runner and the posting API are not run."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from helpers import PROJECT, git, run_cli
from gitops_kafka.review import report
from gitops_kafka.review.comment import review_comment

WORKFLOW = PROJECT / "docs" / "github-workflow.yaml"


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


def steps(workflow):
    return {step.get("id") or step.get("name"): step for step in workflow["jobs"]["review"]["steps"]}


@pytest.fixture
def pull_request(repo, tmp_path):
    """A clone as actions/checkout leaves it: the PR branch checked out, origin/main fetched."""
    assert run_cli("generate", "--all", "--repo", str(repo)).returncode == 0
    git(repo, "checkout", "--quiet", "-b", "kafka/prod-bigger-disks")
    env = repo / "environments" / "prod.yaml"
    env.write_text(env.read_text().replace("    size: 200Gi", "    size: 300Gi"))
    git(repo, "commit", "--quiet", "-am", "prod: bigger disks")
    assert run_cli("generate", "--env", "prod", "--repo", str(repo)).returncode == 0
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "--quiet", "--branch", "kafka/prod-bigger-disks", str(repo), str(clone)], check=True)
    return clone


def run_step(step, workflow, cwd, tmp_path):
    """A `run:` step as GitHub runs it: bash -eo pipefail, env from the workflow and the step."""
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.touch(), summary.touch()
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}
    for key, value in {**workflow.get("env", {}), **step.get("env", {})}.items():
        env[key] = str(value).replace("${{ github.base_ref }}", "main")
    result = subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                            cwd=cwd, env=env, capture_output=True, text=True)
    return result, output.read_text(), summary.read_text()


def test_workflow_wires_the_tested_command(workflow):
    by_id = steps(workflow)
    assert workflow.get("on", workflow.get(True))["pull_request"]  # YAML 1.1 reads `on` as True
    assert {"install", "check", "review"} <= set(by_id)
    assert "gitops-kafka review-comment" in by_id["review"]["run"]
    assert by_id["review"]["env"]["BASE_REF"] == "${{ github.base_ref }}"
    checkout = next(s for s in workflow["jobs"]["review"]["steps"] if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    post = next(s for s in workflow["jobs"]["review"]["steps"] if s.get("uses", "").startswith("actions/github-script"))
    # The posting script finds its previous comment by the marker the command writes.
    assert f"'{report.MARKER}'" in post["with"]["script"]
    assert workflow["permissions"]["pull-requests"] == "write"


def test_review_step_writes_the_comment_of_a_valid_change(workflow, pull_request, tmp_path):
    by_id = steps(workflow)
    check, _, _ = run_step(by_id["check"], workflow, pull_request, tmp_path)
    assert check.returncode == 0, check.stderr
    result, output, summary = run_step(by_id["review"], workflow, pull_request, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "status=0" in output
    body = (pull_request / "review.md").read_text()
    assert body.startswith(report.MARKER) and summary == body
    assert "✅ dev, prod, staging: schema and policy checks pass." in body
    assert body.index("## gitops-kafka validate") < body.index("## gitops-kafka diff")
    assert "`origin/main (" in body and "🛑 **critical** `storage-size` (prod) `StatefulSet/kafka`" in body
    # Two fields: the volume size, and the startup window that grows with it.
    assert "| prod | changed | `StatefulSet/kafka` | kafka-prod | 2 |" in body


def test_review_step_reports_findings_and_the_fail_step_fires(workflow, pull_request, tmp_path):
    kustomization = pull_request / "overlays" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "images:\n- name: zookeeper\n  newTag: latest\n")
    git(pull_request, "commit", "--quiet", "-am", "unpinned image")
    result, output, _ = run_step(steps(workflow)["review"], workflow, pull_request, tmp_path)
    assert result.returncode == 0, result.stderr  # the comment is still posted ...
    assert "status=1" in output  # ... and the last step fails the job
    assert steps(workflow)["Fail on validation findings"]["if"] == "always() && steps.review.outputs.status == '1'"
    body = (pull_request / "review.md").read_text()
    assert "| prod | `StatefulSet/kafka-zookeeper` | `spec.template.spec.containers[name=zookeeper].image` | `pinned-image` |" in body


def test_review_step_fails_when_the_review_cannot_run(workflow, pull_request, tmp_path):
    step = {**steps(workflow)["review"], "env": {"BASE_REF": "no-such-branch"}}
    result, output, _ = run_step(step, workflow, pull_request, tmp_path)
    assert result.returncode == 2 and "status=2" in output
    assert "unknown revision 'origin/no-such-branch'" in result.stderr


def test_a_comment_over_the_limit_keeps_warnings_and_summary(pull_request):
    full = review_comment(pull_request, "origin/main")
    assert "<details>" in full.body
    short = review_comment(pull_request, "origin/main", limit=len(full.body) - 1)
    assert len(short.body) < len(full.body) and "<details>" not in short.body
    assert "### Warnings" in short.body and "### Summary" in short.body
    assert re.search(r"full comment would be \d+ characters", short.body)
