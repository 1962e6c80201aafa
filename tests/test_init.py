"""`gitops-kafka init`: the starting files, never an overwrite, and generate works right after."""
from __future__ import annotations

import yaml

from helpers import PROJECT, git, run_cli
from gitops_kafka import __version__, scaffold
from gitops_kafka.config import load_environment
from gitops_kafka.generator import generate

STARTING_FILES = {"environments/defaults.yaml", "environments/prod.yaml", ".gitignore", "README.md",
                  ".github/workflows/gitops-kafka-review.yaml", "docs/runbooks.md"}


def empty_repo(tmp_path):
    root = tmp_path / "kafka-gitops"
    root.mkdir()
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@gitops-kafka.invalid")
    git(root, "config", "user.name", "gitops-kafka tests")
    return root


def test_init_writes_the_starting_files_and_generate_works_right_after(tmp_path):
    root = empty_repo(tmp_path)
    result = run_cli("init", cwd=root)
    assert result.returncode == 0, result.stderr
    written = set(git(root, "ls-files", "--others").split())
    assert written == STARTING_FILES
    assert "gitops.repo_url is https://github.com/example-org/kafka-gitops.git" in result.stderr
    # not even committed: generate --all still works, as the README tells
    assert generate(root, None).commit is not None
    config = load_environment(root, "prod")
    assert (config.zookeeper.replicas, config.kafka.replicas, config.kafka_manager.enabled) == (3, 3, True)
    assert [t.name for t in config.topics] == ["example-events"]
    assert config.namespace == "kafka-prod" and config.gitops.tool == "argocd"


def test_every_environment_file_is_commented_and_names_its_environment(tmp_path):
    files = scaffold.files("flux", ["dev", "prod"], "git@github.com:acme/kafka-gitops.git")
    for env in ("dev", "prod"):
        text = files[f"environments/{env}.yaml"]
        assert text.startswith(f"# The {env} environment") and f"namespace: kafka-{env}" in text
        assert yaml.safe_load(text)["topics"][0]["name"] == "example-events"
    defaults = yaml.safe_load(files["environments/defaults.yaml"])
    assert defaults["gitops"] == {"tool": "flux", "repo_url": "git@github.com:acme/kafka-gitops.git", "revision": "main"}
    assert "Flux syncs" in files["README.md"]
    workflow = yaml.safe_load(files[".github/workflows/gitops-kafka-review.yaml"])
    assert workflow["env"]["GITOPS_KAFKA"] == f"gitops-kafka=={__version__}"


def test_repo_url_defaults_to_the_origin_remote(tmp_path):
    root = empty_repo(tmp_path)
    git(root, "remote", "add", "origin", "https://git.acme.invalid/platform/kafka.git")
    result = run_cli("init", "--env", "staging", "prod", "--tool", "flux", cwd=root)
    assert result.returncode == 0 and result.stderr == ""
    defaults = yaml.safe_load((root / "environments/defaults.yaml").read_text())
    assert defaults["gitops"]["repo_url"] == "https://git.acme.invalid/platform/kafka.git"
    assert (root / "environments/staging.yaml").is_file() and (root / "environments/prod.yaml").is_file()


def test_init_refuses_to_overwrite_anything_and_writes_nothing(tmp_path):
    root = empty_repo(tmp_path)
    (root / "README.md").write_text("our own readme\n")
    result = run_cli("init", cwd=root)
    assert result.returncode == 3 and "refusing to overwrite what exists: README.md" in result.stderr
    assert "Traceback" not in result.stderr
    assert (root / "README.md").read_text() == "our own readme\n"
    assert not (root / "environments").exists() and not (root / ".gitignore").exists()


def test_bad_input_is_one_line_without_a_traceback(tmp_path):
    root = empty_repo(tmp_path)
    bad_env = run_cli("init", "--env", "Prod_1", cwd=root)
    assert bad_env.returncode == 2 and "--env Prod_1: environment names are DNS-1123 labels" in bad_env.stderr
    bad_url = run_cli("init", "--repo-url", "not a url", cwd=root)
    assert bad_url.returncode == 2 and "--repo-url not a url: expected a git URL" in bad_url.stderr
    bad_tool = run_cli("init", "--tool", "jenkins", cwd=root)
    assert bad_tool.returncode == 2 and "invalid choice: 'jenkins'" in bad_tool.stderr
    not_git = tmp_path / "plain"
    not_git.mkdir()
    outside = run_cli("init", cwd=not_git)
    assert outside.returncode == 2 and "is not inside a git repository" in outside.stderr
    for result in (bad_env, bad_url, bad_tool, outside):
        assert "Traceback" not in result.stderr
    assert [p.name for p in root.iterdir()] == [".git"]


def test_the_shipped_workflow_and_runbooks_are_what_init_writes():
    """docs/ of this repository is the same text init writes, so one of them cannot drift from the other."""
    files = scaffold.files("argocd", ["prod"], scaffold.EXAMPLE_REPO_URL)
    assert (PROJECT / "docs/github-workflow.yaml").read_text() == files[".github/workflows/gitops-kafka-review.yaml"]
    assert (PROJECT / "docs/runbooks.md").read_text() == files["docs/runbooks.md"]
