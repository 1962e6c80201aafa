"""generate against hostile file-system and process states: concurrent runs, a worktree on
another file system, failed and killed writes. Nothing is left behind that breaks a later run."""
from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import pytest

from helpers import git, run_cli
from gitops_kafka import tree as tree_module
from gitops_kafka.errors import WriteError
from gitops_kafka.tree import Tree, read_dir, write_tree


def trees(tmp_path: Path):
    root = tmp_path / "repo"
    old, new = Tree(), Tree()
    for directory in ("base", "overlays/prod", "clusters/prod"):
        old.own(directory)
        new.own(directory)
        old.add(f"{directory}/a.yaml", f"old {directory}\n")
        new.add(f"{directory}/a.yaml", f"new {directory}\n")
    return root, old, new


def contents(root: Path, tree: Tree) -> dict:
    return {d: read_dir(root, d) for d in tree.owned}


def expected(tree: Tree) -> dict:
    return {d: tree.in_dir(d) for d in tree.owned}


def test_second_generate_at_once_exits_3_with_a_message(repo):
    with tree_module.locked(repo / ".git"):
        result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert f"another gitops-kafka generate is writing this repository (pid {os.getpid()})" in result.stderr
    assert not (repo / "overlays").exists()
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0  # the lock went with its holder


def test_a_failed_exchange_restores_the_old_tree_and_leaves_no_journal(tmp_path, monkeypatch):
    root, old, new = trees(tmp_path)
    staging = tmp_path / "staging"
    write_tree(root, old, staging)
    real = tree_module.exchange
    calls = []

    def cross_device(a, b):
        calls.append(b)
        if len(calls) == 2:
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV), str(b))
        real(a, b)

    monkeypatch.setattr(tree_module, "exchange", cross_device)
    with pytest.raises(WriteError, match="nothing was changed"):
        write_tree(root, new, staging)
    assert contents(root, old) == expected(old)  # the first, already exchanged directory was put back
    assert not staging.exists()
    monkeypatch.setattr(tree_module, "exchange", real)
    assert write_tree(root, new, staging) == new.owned  # and the next run is not broken by anything
    assert contents(root, new) == expected(new)


@pytest.mark.parametrize("journal", ["{not json", '{"txn": "gone", "entries": [{"target": "base"}]}',
                                     '{"txn": "gone", "entries": [{"target": "base", "staged": "gone/0", "inode": 1}]}'])
def test_a_journal_that_cannot_be_replayed_is_dropped_not_obeyed(tmp_path, journal):
    root, old, new = trees(tmp_path)
    staging = tmp_path / "staging"
    write_tree(root, old, staging)
    staging.mkdir()
    (staging / "journal.json").write_text(journal)
    assert write_tree(root, new, staging) == new.owned
    assert contents(root, new) == expected(new)
    assert not staging.exists()


def run_generate_killed(repo: Path, patch: str) -> subprocess.CompletedProcess:
    """generate --env prod in a child process whose `patch` (Python, with `tree` imported) kills it midway."""
    script = textwrap.dedent("""
        import os, signal
        from pathlib import Path
        from gitops_kafka import generator, tree
        {patch}
        generator.generate(Path({repo!r}), ["prod"])
        print("finished")
        """).format(patch=textwrap.dedent(patch), repo=str(repo))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_a_run_killed_while_staging_leaves_nothing_for_good(repo):
    result = run_generate_killed(repo, """
        real = tree._stage
        def _stage(directory, files):
            real(directory, files)
            os.kill(os.getpid(), signal.SIGKILL)
        tree._stage = _stage
        """)
    assert result.returncode == -signal.SIGKILL
    staging = repo / ".git" / "gitops-kafka"
    assert any(staging.iterdir())  # the dead run's half-staged files
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0
    assert not staging.exists()
    assert git(repo, "status", "--porcelain") == ""


def killed_after_the_first_exchange(repo: Path) -> Path:
    """A committed change (CMAK switched off) whose generate run is killed right after its first
    directory exchange, leaving a journal; returns the defaults file."""
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0
    defaults = repo / "environments" / "defaults.yaml"
    defaults.write_text(defaults.read_text() + "\nkafka_manager:\n  enabled: false\n")
    git(repo, "commit", "--quiet", "-am", "no CMAK")
    result = run_generate_killed(repo, """
        real = tree.exchange
        def exchange(a, b):
            real(a, b)
            os.kill(os.getpid(), signal.SIGKILL)
        tree.exchange = exchange
        """)
    assert result.returncode == -signal.SIGKILL
    return defaults


def test_killed_between_exchanges_then_edited_defaults_is_repaired_by_the_next_run(repo):
    defaults = killed_after_the_first_exchange(repo)
    assert (repo / ".git" / "gitops-kafka" / "journal.json").exists()
    # Someone edits the defaults again before the next run.
    defaults.write_text(defaults.read_text().replace("enabled: false", "enabled: true"))
    git(repo, "commit", "--quiet", "-am", "CMAK after all")
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert run_cli("generate", "--check", "--env", "prod", cwd=repo).returncode == 0
    assert git(repo, "status", "--porcelain") == ""


def test_an_edit_after_the_kill_is_still_protected(repo):
    """The killed run's files count as generated only while they are as it wrote them."""
    defaults = killed_after_the_first_exchange(repo)
    journal = json.loads((repo / ".git" / "gitops-kafka" / "journal.json").read_text())
    first = journal["entries"][0]["target"]
    edited = sorted(p for p in (repo / first).rglob("*.yaml"))[0]
    edited.write_text(edited.read_text() + "# a hand edit\n")
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 3
    assert edited.relative_to(repo).as_posix() in result.stderr


@pytest.fixture
def shm_worktree(repo):
    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(repo).st_dev:
        pytest.skip("needs /dev/shm on another file system than the test's temporary directory")
    path = shm / f"gitops-kafka-test-{uuid.uuid4().hex}"
    git(repo, "worktree", "add", "--quiet", str(path), "-b", "elsewhere")
    yield path
    git(repo, "worktree", "remove", "--force", str(path))


def test_a_worktree_on_another_file_system_generates_and_commits(repo, shm_worktree):
    result = run_cli("generate", "--env", "prod", cwd=shm_worktree)
    assert result.returncode == 0, result.stderr
    assert "committed" in result.stdout
    assert git(shm_worktree, "status", "--porcelain") == ""
    assert not (shm_worktree / tree_module.STAGING_IN_WORKTREE).exists()
    git_dir = Path(git(shm_worktree, "rev-parse", "--absolute-git-dir").strip())
    assert not (git_dir / "gitops-kafka").exists()
    assert run_cli("generate", "--env", "prod", cwd=shm_worktree).returncode == 0
