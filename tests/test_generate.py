"""generate in a real git repository: one commit per change, none when nothing changed,
--no-commit, --check, --branch, and refusal to overwrite uncommitted work."""
from __future__ import annotations

import shutil

from helpers import PROJECT, git, load_documents, run_cli


def head(repo):
    return git(repo, "rev-parse", "HEAD").strip()


def set_partitions(repo, partitions):
    path = repo / "environments" / "prod.yaml"
    text = path.read_text()
    path.write_text(text.replace("  - name: vehicle-packets\n    partitions: 3",
                                 f"  - name: vehicle-packets\n    partitions: {partitions}", 1))


def test_generate_commits_once_then_nothing(repo):
    first = run_cli("generate", "--env", "prod", cwd=repo)
    assert first.returncode == 0, first.stderr
    assert "committed" in first.stdout
    files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert "base/kustomization.yaml" in files and "overlays/prod/kustomization.yaml" in files
    assert "clusters/prod/argocd-application.yaml" in files
    assert not any(f.startswith(("overlays/dev", "overlays/staging")) for f in files)
    assert git(repo, "status", "--porcelain") == ""
    commit = head(repo)

    second = run_cli("generate", "--env", "prod", cwd=repo)
    assert second.returncode == 0 and "nothing changed" in second.stdout
    assert head(repo) == commit


def test_commit_message_says_what_changed(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    set_partitions(repo, 12)
    git(repo, "commit", "-qam", "prod: 12 partitions for vehicle-packets")
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 0, result.stderr
    message = git(repo, "log", "-1", "--format=%B")
    subject, body = message.split("\n", 1)
    assert subject.startswith("gitops-kafka: generate prod (ConfigMap/kafka-topics-")
    assert "- overlays/prod/topics.yaml: add Job/kafka-topics-" in body
    assert "- overlays/prod/topics.yaml: remove Job/kafka-topics-" in body
    changed = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert changed == ["overlays/prod/kustomization.yaml", "overlays/prod/topics.yaml"] or \
        changed == ["overlays/prod/topics.yaml"]


def test_generated_output_is_the_committed_output_of_this_repository(tmp_path):
    """This repository is a working GitOps repository: its base/ and overlays/ are current."""
    result = run_cli("generate", "--check", "--all", cwd=PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_check_writes_nothing_and_exits_1_when_stale(repo):
    run_cli("generate", "--all", cwd=repo)
    assert run_cli("generate", "--check", "--all", cwd=repo).returncode == 0
    set_partitions(repo, 6)
    before = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    result = run_cli("generate", "--check", "--env", "prod", cwd=repo)
    assert result.returncode == 1
    assert "overlays/prod/topics.yaml: differs" in result.stdout
    after = {p: p.read_bytes() for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert before == after


def test_check_finds_stale_extra_and_missing_files(repo):
    run_cli("generate", "--all", cwd=repo)
    (repo / "overlays" / "prod" / "extra.yaml").write_text("kind: ConfigMap\n")
    (repo / "overlays" / "dev" / "namespace.yaml").unlink()
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "hand edits")
    result = run_cli("generate", "--check", "--all", cwd=repo)
    assert result.returncode == 1
    assert "overlays/prod/extra.yaml: stale" in result.stdout
    assert "overlays/dev/namespace.yaml: missing" in result.stdout


def test_no_commit_only_writes(repo):
    commit = head(repo)
    result = run_cli("generate", "--env", "dev", "--no-commit", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert head(repo) == commit
    assert (repo / "overlays" / "dev" / "kustomization.yaml").exists()
    assert "?? base/" in git(repo, "status", "--porcelain", "--untracked-files=normal")
    # Running again over its own uncommitted output is fine: nothing would be lost.
    again = run_cli("generate", "--env", "dev", cwd=repo)
    assert again.returncode == 0 and "committed" in again.stdout


def test_branch_commits_on_a_new_branch(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    set_partitions(repo, 6)
    git(repo, "commit", "-qam", "more partitions")
    main = head(repo)
    result = run_cli("generate", "--env", "prod", "--branch", "kafka/prod-partitions", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert git(repo, "branch", "--show-current").strip() == "kafka/prod-partitions"
    assert git(repo, "rev-parse", "main").strip() == main
    assert git(repo, "rev-parse", "HEAD^").strip() == main
    again = run_cli("generate", "--env", "prod", "--branch", "kafka/prod-partitions", cwd=repo)
    assert again.returncode == 0 and "nothing changed" in again.stdout


def test_branch_that_exists_is_refused(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    set_partitions(repo, 6)
    git(repo, "branch", "taken")
    result = run_cli("generate", "--env", "prod", "--branch", "taken", cwd=repo)
    assert result.returncode == 3 and "already exists" in result.stderr


def test_refuses_to_overwrite_uncommitted_changes(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    patch = repo / "overlays" / "prod" / "patches" / "statefulset-kafka.yaml"
    edited = patch.read_text().replace("200Gi", "300Gi")
    patch.write_text(edited)
    set_partitions(repo, 6)
    commit = head(repo)
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 3
    assert "refusing to overwrite uncommitted changes" in result.stderr
    assert "overlays/prod/patches/statefulset-kafka.yaml" in result.stderr
    assert "Traceback" not in result.stderr
    assert patch.read_text() == edited
    assert head(repo) == commit


def test_refuses_to_delete_an_untracked_hand_written_file(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    mine = repo / "overlays" / "prod" / "my-configmap.yaml"
    mine.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: mine}\n")
    result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
    assert result.returncode == 3 and "overlays/prod/my-configmap.yaml" in result.stderr
    assert mine.exists()


def test_commit_includes_only_generated_paths(repo):
    (repo / "notes.txt").write_text("work in progress\n")
    git(repo, "add", "notes.txt")
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert "notes.txt" not in git(repo, "show", "--name-only", "--format=", "HEAD")
    assert git(repo, "status", "--porcelain").strip() == "A  notes.txt"


def test_stale_generated_files_are_removed(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().split("topics:")[0] + "gitops:\n  revision: main\n")
    git(repo, "commit", "-qam", "no topics in prod")
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert not (repo / "overlays" / "prod" / "topics.yaml").exists()
    assert "overlays/prod/topics.yaml" in git(repo, "show", "--name-only", "--format=", "HEAD")


def test_repo_option_and_subdirectory(repo, tmp_path):
    result = run_cli("generate", "--env", "dev", "--repo", str(repo), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (repo / "overlays" / "dev").is_dir()
    inside = run_cli("generate", "--env", "dev", cwd=repo / "environments")
    assert inside.returncode == 0 and "nothing changed" in inside.stdout


def test_not_a_git_repository(tmp_path):
    shutil.copytree(PROJECT / "environments", tmp_path / "environments")
    result = run_cli("generate", "--env", "prod", cwd=tmp_path)
    assert result.returncode == 2 and "not inside a git repository" in result.stderr


def test_flux_environment_gets_a_git_repository_and_kustomization(repo):
    run_cli("generate", "--env", "staging", cwd=repo)
    objects = load_documents((repo / "clusters" / "staging" / "flux-kustomization.yaml").read_text())
    source, sync = objects
    assert source["apiVersion"] == "source.toolkit.fluxcd.io/v1" and source["kind"] == "GitRepository"
    assert source["spec"]["ref"] == {"branch": "main"}
    assert sync["apiVersion"] == "kustomize.toolkit.fluxcd.io/v1" and sync["kind"] == "Kustomization"
    assert sync["spec"]["path"] == "./overlays/staging" and sync["spec"]["prune"] is True
    assert sync["spec"]["sourceRef"] == {"kind": "GitRepository", "name": source["metadata"]["name"]}
    assert sync["spec"]["interval"] == "10m"


def test_argocd_environment_gets_an_application(repo):
    run_cli("generate", "--env", "prod", cwd=repo)
    [app] = load_documents((repo / "clusters" / "prod" / "argocd-application.yaml").read_text())
    assert app["apiVersion"] == "argoproj.io/v1alpha1" and app["kind"] == "Application"
    assert app["spec"]["source"]["path"] == "overlays/prod"
    assert app["spec"]["destination"]["namespace"] == "kafka-prod"
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert "finalizers" not in app["metadata"]
    [dev] = load_documents(run_cli("generate", "--env", "dev", cwd=repo) and
                           (repo / "clusters" / "dev" / "argocd-application.yaml").read_text())
    assert dev["spec"]["syncPolicy"]["automated"]["selfHeal"] is False


FLUX_SYNC = """# This manifest was generated by flux. DO NOT EDIT.
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: flux-system
  namespace: flux-system
spec:
  interval: 10m0s
  path: ./clusters/prod
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


def others_in_clusters_prod(repo):
    """What `flux bootstrap --path clusters/prod` and a person put beside the generated files, committed."""
    (repo / "clusters" / "prod" / "flux-system").mkdir(parents=True)
    (repo / "clusters" / "prod" / "flux-system" / "gotk-sync.yaml").write_text(FLUX_SYNC)
    (repo / "clusters" / "prod" / "team-app.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: team}\n")
    git(repo, "add", "clusters/prod")
    git(repo, "commit", "-qm", "flux bootstrap, and the team's own object")


def test_files_in_clusters_env_that_generate_did_not_write_are_never_touched(repo):
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0
    others_in_clusters_prod(repo)
    untracked = repo / "clusters" / "prod" / "draft.yaml"
    untracked.write_text("# someone's work in progress\n")
    check = run_cli("generate", "--check", "--env", "prod", cwd=repo)
    assert check.returncode == 0, check.stdout  # not reported as stale
    prod = repo / "environments" / "prod.yaml"
    prod.write_text(prod.read_text().replace("gitops:\n", "gitops:\n  tool: flux\n", 1))
    git(repo, "commit", "-qam", "prod moves to Flux")

    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 0, result.stderr
    clusters = repo / "clusters" / "prod"
    assert (clusters / "flux-kustomization.yaml").exists()
    assert not (clusters / "argocd-application.yaml").exists()  # generated before, no longer: removed
    assert (clusters / "flux-system" / "gotk-sync.yaml").read_text() == FLUX_SYNC
    assert (clusters / "team-app.yaml").exists() and untracked.read_text() == "# someone's work in progress\n"
    committed = git(repo, "show", "--name-status", "--format=", "HEAD").split("\n")
    assert "D\tclusters/prod/argocd-application.yaml" in committed
    assert "A\tclusters/prod/flux-kustomization.yaml" in committed
    assert not any("draft.yaml" in line or "flux-system" in line or "team-app" in line for line in committed)
    assert git(repo, "status", "--porcelain") == "?? clusters/prod/draft.yaml\n"
    assert run_cli("generate", "--check", "--env", "prod", cwd=repo).returncode == 0


def test_a_repository_generated_before_the_manifest_keeps_its_other_files(repo):
    """Without a manifest the generator's own files are those carrying its header."""
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0
    others_in_clusters_prod(repo)
    clusters = repo / "clusters" / "prod"
    (clusters / ".gitops-kafka-files").unlink()
    old = clusters / "argocd-application.yaml"
    old.rename(clusters / "argocd-app-old-name.yaml")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "as an older gitops-kafka left it")
    check = run_cli("generate", "--check", "--env", "prod", cwd=repo)
    assert check.returncode == 1
    assert check.stdout.splitlines()[1:] == ["  clusters/prod/.gitops-kafka-files: missing",
                                             "  clusters/prod/argocd-app-old-name.yaml: stale",
                                             "  clusters/prod/argocd-application.yaml: missing"]
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0
    assert sorted(p.name for p in clusters.iterdir()) == [".gitops-kafka-files", ".gitops-kafka-version",
                                                          "argocd-application.yaml", "drift-detector-access.yaml",
                                                          "flux-system", "team-app.yaml"]


def test_branch_commits_the_environment_change_with_its_output(repo, tmp_path):
    run_cli("generate", "--all", cwd=repo)
    set_partitions(repo, 6)  # edited, not committed: the pull request is this edit plus its output
    dev = repo / "environments" / "dev.yaml"
    dev.write_text(dev.read_text() + "# unrelated edit\n")
    (repo / "notes.txt").write_text("staged elsewhere\n")
    git(repo, "add", "notes.txt")
    main = head(repo)

    result = run_cli("generate", "--env", "prod", "--branch", "kafka/prod-partitions", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert git(repo, "rev-parse", "HEAD^").strip() == main
    files = git(repo, "show", "--name-only", "--format=", "HEAD").split()
    assert "environments/prod.yaml" in files and "overlays/prod/topics.yaml" in files
    assert "environments/dev.yaml" not in files and "notes.txt" not in files
    assert "- environments/prod.yaml: edited" in git(repo, "log", "-1", "--format=%B")
    assert sorted(git(repo, "status", "--porcelain").splitlines()) == [" M environments/dev.yaml", "A  notes.txt"]

    pull_request = tmp_path / "pull-request"
    git(tmp_path, "clone", "--quiet", "--branch", "kafka/prod-partitions", str(repo), str(pull_request))
    check = run_cli("generate", "--check", "--all", cwd=pull_request)
    assert check.returncode == 0, check.stdout
