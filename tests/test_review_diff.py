"""diff and render against real commits in a temporary git repository, built by the real kustomize."""
from __future__ import annotations

import json
import re
import subprocess

import pytest

from helpers import git, run_cli
from gitops_kafka.review.diff import ABSENT, ADDED, CHANGED, REMOVED, REPLACED, diff_objects, field_changes

SECRET_PLAIN = "hunter2-do-not-print"
SECRET_B64 = "aHVudGVyMi1kby1ub3QtcHJpbnQ="  # base64 of SECRET_PLAIN
SECRET_NEW_B64 = "Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5"  # base64 of correct-horse-battery


def edit(path, old, new):
    text = path.read_text()
    assert old in text, (old, path)
    path.write_text(text.replace(old, new, 1))


def generate(repo, *args):
    result = run_cli("generate", *args, "--repo", str(repo))
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    """main: the shipped environments generated; branch pr: a risky prod change; branch secret: a hand-made Secret."""
    from helpers import new_gitops_repo

    root = new_gitops_repo(tmp_path_factory.mktemp("history") / "gitops")
    generate(root, "--all")

    git(root, "checkout", "--quiet", "-b", "pr")
    env = root / "environments" / "prod.yaml"
    edit(env, "    size: 200Gi", "    size: 300Gi")
    edit(env, "  - name: vehicle-packets\n    partitions: 3", "  - name: vehicle-packets\n    partitions: 2")
    edit(env, "  heap: 3g\n", "  heap: 3g\n  image: confluentinc/cp-kafka:7.9.6\n")
    git(root, "add", "environments")
    git(root, "commit", "--quiet", "-m", "prod: bigger disks, fewer partitions, patch release")
    generate(root, "--env", "prod")

    git(root, "checkout", "--quiet", "-b", "secret", "main")
    overlay = root / "overlays" / "prod"
    (overlay / "secret.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kafka-manager\ntype: Opaque\n"
        f"data:\n  application-secret: {SECRET_B64}\nstringData:\n  other: {SECRET_PLAIN}\n")
    edit(overlay / "kustomization.yaml", "- topics.yaml\n", "- topics.yaml\n- secret.yaml\n")
    git(root, "add", "overlays")
    git(root, "commit", "--quiet", "-m", "a hand-made Secret")
    edit(overlay / "secret.yaml", SECRET_B64, SECRET_NEW_B64)
    git(root, "commit", "--quiet", "-am", "rotate the Secret")
    git(root, "checkout", "--quiet", "main")
    return root


def diff(repo, *args):
    return run_cli("diff", *args, "--repo", str(repo))


# ---------------------------------------------------------------- exit codes and the three formats

def test_no_change_exits_0(history):
    result = diff(history, "--all", "--base", "main", "--head", "main")
    assert result.returncode == 0, result.stderr
    assert "prod: main" in result.stdout and "no change" in result.stdout
    markdown = diff(history, "--env", "prod", "--base", "main", "--head", "main", "--format", "markdown")
    assert markdown.returncode == 0 and "No change in the rendered manifests." in markdown.stdout


def test_text_shows_objects_fields_before_after_and_warnings(history):
    result = diff(history, "--env", "prod", "--base", "main", "--head", "pr")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "\033[" not in out  # not a terminal: no colour
    assert "~ StatefulSet/kafka" in out
    assert "spec.volumeClaimTemplates[metadata.name=data].spec.resources.requests.storage:" in out
    assert "- 200Gi" in out and "+ 300Gi" in out
    assert "spec.template.spec.containers[name=kafka].image:" in out and "+ confluentinc/cp-kafka:7.9.6" in out
    # The topic Job and its ConfigMap have hashed names: each shown as one replaced object, the list as a diff.
    assert re.search(r"~ Job/kafka-topics-[0-9a-f]{10} \(replaces kafka-topics-[0-9a-f]{10}\)", out)
    assert re.search(r"~ ConfigMap/kafka-topics-[0-9a-f]{10} \(replaces kafka-topics-[0-9a-f]{10}\)", out)
    assert "-vehicle-packets\t3\t2" in out and "+vehicle-packets\t2\t2" in out
    assert "CRITICAL [storage-size] StatefulSet/kafka" in out
    assert "CRITICAL [topic-partitions-decrease] topic/vehicle-packets" in out
    assert "WARNING [image-change] StatefulSet/kafka" in out
    # Warnings come before the objects.
    assert out.index("CRITICAL") < out.index("~ StatefulSet/kafka")


def test_text_is_coloured_on_request(history):
    result = diff(history, "--env", "prod", "--base", "main", "--head", "pr", "--color", "always")
    assert "\033[31;1mCRITICAL" in result.stdout and "\033[32m+ 300Gi" in result.stdout


def test_markdown_warnings_then_summary_table_then_one_details_per_object(history):
    result = diff(history, "--env", "prod", "--base", "main", "--head", "pr", "--format", "markdown")
    assert result.returncode == 1
    out = result.stdout
    warnings, table, objects = out.index("### Warnings"), out.index("| environment | change |"), out.index("### Objects")
    assert warnings < table < objects
    assert "🛑 **critical** `storage-size` (prod) `StatefulSet/kafka`" in out
    rows = [line for line in out.splitlines() if line.startswith("| prod |")]
    # The topic Job and its ConfigMap are replaced; the StatefulSet's startup window grows with its storage.
    assert len(rows) == 3 == out.count("<details>") == out.count("</details>")
    assert "| prod | changed | `StatefulSet/kafka` | kafka-prod | 3 |" in rows
    assert "@@ spec.volumeClaimTemplates[metadata.name=data].spec.resources.requests.storage\n- 200Gi\n+ 300Gi" in out


def test_json_lists_changes_fields_and_warnings(history):
    result = diff(history, "--env", "prod", "--base", "main", "--head", "pr", "--format", "json")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["changed"] is True
    [prod] = document["environments"]
    changes = {c["kind"] + "/" + c["name"].split("-")[0]: c for c in prod["changes"]}
    sts = next(c for c in prod["changes"] if c["kind"] == "StatefulSet")
    assert sts["status"] == "changed" and sts["namespace"] == "kafka-prod"
    assert {"path": "spec.template.spec.containers[name=kafka].image",
            "before": "confluentinc/cp-kafka:7.9.5", "after": "confluentinc/cp-kafka:7.9.6"} in sts["fields"]
    assert changes["Job/kafka"]["status"] == "replaced" and changes["Job/kafka"]["previousName"].startswith("kafka-topics-")
    assert {w["rule"] for w in prod["warnings"]} == {"storage-size", "topic-partitions-decrease", "image-change"}
    assert all({"severity", "rule", "object", "message"} <= set(w) for w in prod["warnings"])


def test_all_environments(history):
    result = diff(history, "--all", "--base", "main", "--head", "pr", "--format", "json")
    assert result.returncode == 1
    by_env = {e["env"]: e for e in json.loads(result.stdout)["environments"]}
    assert set(by_env) == {"dev", "prod", "staging"}
    assert by_env["prod"]["changed"] and not by_env["dev"]["changed"] and not by_env["staging"]["changed"]


def test_working_tree_is_the_default_head(history, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(history), str(clone)], check=True)
    assert diff(clone, "--env", "dev", "--base", "HEAD").returncode == 0
    edit(clone / "environments" / "dev.yaml", "    partitions: 3\n", "    partitions: 4\n")
    generate(clone, "--env", "dev", "--no-commit")
    result = diff(clone, "--env", "dev", "--base", "HEAD")
    assert result.returncode == 1 and "-> working tree" in result.stdout and "+vehicle-packets\t4\t1" in result.stdout


def test_an_environment_new_at_head_is_all_added(history, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(history), str(clone)], check=True)
    (clone / "environments" / "qa.yaml").write_text((clone / "environments" / "dev.yaml").read_text()
                                                    .replace("namespace: kafka-dev", "namespace: kafka-qa"))
    generate(clone, "--env", "qa", "--no-commit")
    result = diff(clone, "--env", "qa", "--base", "HEAD", "--format", "json")
    assert result.returncode == 1, result.stderr
    changes = json.loads(result.stdout)["environments"][0]["changes"]
    assert changes and {c["status"] for c in changes} == {"added"}


# ---------------------------------------------------------------- errors exit 2, never a traceback

@pytest.mark.parametrize("args, message", [
    (("--env", "prod", "--base", "no-such-branch"), "unknown revision 'no-such-branch'"),
    (("--env", "prod", "--base", "main", "--head", "deadbeef"), "unknown revision 'deadbeef'"),
    (("--env", "nope", "--base", "main", "--head", "pr"), "overlays/nope/ exists at neither"),
])
def test_errors_exit_2(history, args, message):
    result = diff(history, *args)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr


def test_outside_a_repository_exits_2(tmp_path):
    result = diff(tmp_path, "--env", "prod", "--base", "main")
    assert result.returncode == 2 and "not inside a git repository" in result.stderr


def test_a_broken_overlay_exits_2_naming_the_revision(history, tmp_path):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(history), str(clone)], check=True)
    edit(clone / "overlays" / "prod" / "kustomization.yaml", "- topics.yaml\n", "- missing.yaml\n")
    git(clone, "commit", "--quiet", "-am", "broken")
    result = diff(clone, "--env", "prod", "--base", "HEAD~1", "--head", "HEAD")
    assert result.returncode == 2 and "overlays/prod at HEAD (" in result.stderr and "/tmp/gitops-kafka-review-" not in result.stderr


# ---------------------------------------------------------------- Secret values never appear

@pytest.mark.parametrize("fmt", ["text", "markdown", "json"])
@pytest.mark.parametrize("base, head", [("main", "secret~1"), ("secret~1", "secret"), ("secret", "main")])
def test_secret_values_never_appear(history, fmt, base, head):
    result = diff(history, "--env", "prod", "--base", base, "--head", head, "--format", fmt)
    assert result.returncode == 1, result.stderr
    for value in (SECRET_PLAIN, SECRET_B64, SECRET_NEW_B64, "correct-horse-battery"):
        assert value not in result.stdout
    assert "Secret/kafka-manager" in result.stdout or '"kind": "Secret"' in result.stdout
    if fmt != "text" or head == "secret":  # text lists added and removed objects by name only
        assert "***" in result.stdout


def test_a_rotated_secret_value_reads_as_changed(history):
    result = diff(history, "--env", "prod", "--base", "secret~1", "--head", "secret")
    assert "data.application-secret:" in result.stdout and "*** (changed)" in result.stdout


# ---------------------------------------------------------------- render

def test_render_at_a_revision_is_byte_identical_to_kustomize_there(history, tmp_path, kubectl):
    checkout = tmp_path / "checkout"
    git(history, "worktree", "add", "--quiet", "--detach", str(checkout), "pr")
    try:
        expected = subprocess.run([str(kubectl), "kustomize", "overlays/prod"], cwd=checkout,
                                  capture_output=True, check=True).stdout
    finally:
        git(history, "worktree", "remove", "--force", str(checkout))
    result = subprocess.run([*run_cli_prefix(), "render", "--env", "prod", "--ref", "pr", "--repo", str(history)],
                            capture_output=True)
    assert result.returncode == 0 and result.stdout == expected
    on_main = subprocess.run([*run_cli_prefix(), "render", "--env", "prod", "--ref", "main", "--repo", str(history)],
                             capture_output=True)
    assert on_main.stdout != expected and b"storage: 200Gi" in on_main.stdout


def test_a_revision_is_exported_only_as_far_as_kustomize_reads_it(history):
    """render and diff export base/ and the overlays they build, keeping links and modes; not environments/."""
    from gitops_kafka.gitrepo import GitRepo
    from gitops_kafka.review.snapshot import build_paths, snapshot

    repo = GitRepo(history)
    with snapshot(repo, "pr", build_paths(["prod"])) as snap:
        exported = sorted(p.relative_to(snap.root).as_posix() for p in snap.root.rglob("*") if p.is_file())
        assert exported and all(p.startswith(("base/", "overlays/prod/")) for p in exported)
        assert snap.has_environment("prod") and not snap.has_environment("dev")
    with snapshot(repo, "pr", build_paths(None)) as snap:
        assert {"dev", "prod"} <= set(snap.environments()) and not (snap.root / "environments").exists()
    with snapshot(repo, "pr") as snap:  # validate reads the environment files too
        assert (snap.root / "environments" / "prod.yaml").is_file()


def test_render_defaults_to_the_working_tree_and_leaves_it_alone(history, tmp_path, kubectl):
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(history), str(clone)], check=True)
    edit(clone / "overlays" / "dev" / "kustomization.yaml", "resources:\n", "commonAnnotations:\n  edited: 'yes'\nresources:\n")
    expected = subprocess.run([str(kubectl), "kustomize", "overlays/dev"], cwd=clone, capture_output=True, check=True).stdout
    result = subprocess.run([*run_cli_prefix(), "render", "--env", "dev"], cwd=clone, capture_output=True)
    assert result.stdout == expected and b"edited: \"yes\"" in result.stdout
    before = git(clone, "status", "--porcelain")
    assert run_cli("render", "--env", "dev", "--ref", "HEAD~0", "--repo", str(clone)).returncode == 0
    assert git(clone, "status", "--porcelain") == before and git(clone, "rev-parse", "--abbrev-ref", "HEAD") == "main\n"


def test_render_errors(history):
    missing = run_cli("render", "--env", "prod", "--ref", "nope", "--repo", str(history))
    assert missing.returncode == 2 and "unknown revision 'nope'" in missing.stderr
    absent = run_cli("render", "--env", "qa", "--ref", "main", "--repo", str(history))
    assert absent.returncode == 2 and "overlays/qa/ does not exist at main" in absent.stderr


def run_cli_prefix():
    import sys
    return [sys.executable, "-m", "gitops_kafka"]


# ---------------------------------------------------------------- the object diff itself

def sts(env=None, image="kafka:1", name="kafka"):
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name, "namespace": "ns"},
            "spec": {"template": {"spec": {"containers": [{"name": "kafka", "image": image, "env": env or []}]}}}}


def test_named_list_items_are_matched_by_name_not_position():
    before = sts([{"name": "A", "value": "1"}, {"name": "B", "value": "2"}])
    after = sts([{"name": "B", "value": "3"}, {"name": "C", "value": "4"}])
    fields = {f.path: (f.before, f.after) for f in field_changes(before, after)}
    prefix = "spec.template.spec.containers[name=kafka].env"
    assert fields == {f"{prefix}[name=A]": ({"name": "A", "value": "1"}, ABSENT),
                      f"{prefix}[name=B].value": ("2", "3"),
                      f"{prefix}[name=C]": (ABSENT, {"name": "C", "value": "4"})}


def test_reordered_named_items_are_reported_as_an_order_change():
    a, b = {"name": "A", "value": "1"}, {"name": "B", "value": "2"}
    [change] = field_changes(sts([a, b]), sts([b, a]))
    assert change.path.endswith("env (order)") and change.before == ["A", "B"] and change.after == ["B", "A"]


def test_statuses_and_hash_renamed_objects():
    job = lambda name, n: {"apiVersion": "batch/v1", "kind": "Job",  # noqa: E731
                           "metadata": {"name": name, "namespace": "ns"}, "spec": {"parallelism": n}}
    before = [sts(), job("kafka-topics-0123456789", 1), sts(name="gone")]
    after = [sts(image="kafka:2"), job("kafka-topics-abcdef0123", 2), sts(name="new")]
    changes = {c.name: c for c in diff_objects(before, after)}
    assert changes["kafka"].status == CHANGED
    assert changes["kafka-topics-abcdef0123"].status == REPLACED
    assert changes["kafka-topics-abcdef0123"].previous_name == "kafka-topics-0123456789"
    assert changes["gone"].status == REMOVED and changes["new"].status == ADDED
    assert diff_objects(before, before) == []


def test_a_namespace_move_is_a_removal_and_an_addition():
    moved = sts()
    moved["metadata"]["namespace"] = "other"
    assert sorted(c.status for c in diff_objects([sts()], [moved])) == [ADDED, REMOVED]
