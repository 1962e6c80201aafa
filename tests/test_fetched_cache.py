"""The drift detector's fetched cache, run by plain git: the tip it reports is the branch's tip, in
each place git may keep that ref; the tree it checks out is exactly that commit; a moved source,
a deleted cache and a hung fetch are each handled."""
from __future__ import annotations

import os
import shutil
import signal
import threading
import time
from pathlib import Path

import pytest

from helpers import git
from gitops_kafka import gitrepo
from gitops_kafka.errors import GitError


def source_repo(root: Path, **files: str) -> Path:
    root.mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@gitops-kafka.invalid")
    git(root, "config", "user.name", "gitops-kafka tests")
    commit(root, "first", **files)
    return root


def commit(root: Path, message: str, **files: str) -> str:
    for name, text in files.items():
        (root / name).write_text(text)
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--allow-empty", "-m", message)
    return git(root, "rev-parse", "HEAD").strip()


def tip(root: Path, branch: str = "main") -> str:
    return git(root, "rev-parse", f"refs/heads/{branch}").strip()


@pytest.fixture(autouse=True)
def fresh_process():
    """Each test starts as a new daemon would: no remote URL remembered from another test."""
    gitrepo._REMOTE_SET.clear()
    yield
    gitrepo._REMOTE_SET.clear()


def test_the_tip_is_the_branch_tip_and_moves_with_it(tmp_path):
    source = source_repo(tmp_path / "source", a="1\n")
    cache = tmp_path / "cache"
    assert gitrepo.branch_tip(str(source), "main", cache) == tip(source)  # asked before there is a cache
    assert gitrepo.fetch_branch(str(source), "main", cache) == tip(source)
    second = commit(source, "second", a="2\n")
    assert gitrepo.branch_tip(str(source), "main", cache) == second
    assert gitrepo.fetch_branch(str(source), "main", cache) == second
    assert gitrepo.branch_tip(str(source), "nope", cache) is None


def test_the_checkout_is_exactly_the_commit(tmp_path):
    source = source_repo(tmp_path / "source", a="1\n", b="kept\n")
    cache = tmp_path / "cache"
    first = gitrepo.fetch_branch(str(source), "main", cache)
    tree = gitrepo.checkout_fetched(cache, first, str(source))
    (tree / "a").write_text("edited by hand\n")
    (tree / "stray").write_text("left over\n")
    (tree / "b").unlink()
    git(source, "rm", "--quiet", "b")
    second = commit(source, "second", a="2\n", c="new\n")
    tree = gitrepo.checkout_fetched(cache, gitrepo.fetch_branch(str(source), "main", cache), str(source))
    assert git(tree, "rev-parse", "HEAD").strip() == second
    assert sorted(p.name for p in tree.iterdir() if p.name != ".git") == ["a", "c"]
    assert (tree / "a").read_text() == "2\n"
    tree = gitrepo.checkout_fetched(cache, first, str(source))  # an older fetched commit, still in the cache
    assert sorted(p.name for p in tree.iterdir() if p.name != ".git") == ["a", "b"]


def test_a_packed_ref_is_read_as_the_tip_of_its_own_branch(tmp_path):
    source = source_repo(tmp_path / "source", a="1\n")
    git(source, "checkout", "--quiet", "-b", "other")
    other = commit(source, "on other", a="other\n")
    git(source, "checkout", "--quiet", "main")
    main = commit(source, "on main", a="main\n")
    cache = tmp_path / "cache"
    assert gitrepo.fetch_branch(str(source), "other", cache) == other
    assert gitrepo.fetch_branch(str(source), "main", cache) == main
    git(cache, "pack-refs", "--all", "--prune")
    assert not (cache / ".git" / "refs" / "remotes" / "origin" / "main").exists()
    assert gitrepo.fetch_branch(str(source), "main", cache) == main  # nothing new: the ref stays packed
    assert gitrepo.fetch_branch(str(source), "other", cache) == other


def test_a_ref_kept_neither_loose_nor_packed_is_asked_of_git(tmp_path):
    source = source_repo(tmp_path / "source", a="1\n")
    cache = tmp_path / "cache"
    gitrepo.fetch_branch(str(source), "main", cache)
    git(cache, "symbolic-ref", "refs/remotes/origin/alias", "refs/remotes/origin/main")
    assert (cache / ".git" / "refs" / "remotes" / "origin" / "alias").read_text().startswith("ref: ")
    assert gitrepo._tip(cache, "refs/remotes/origin/alias") == tip(source)


def test_a_new_source_for_the_same_cache_is_fetched_from(tmp_path):
    first = source_repo(tmp_path / "first", a="first\n")
    moved = source_repo(tmp_path / "moved", a="moved\n")
    cache = tmp_path / "cache"
    assert gitrepo.fetch_branch(str(first), "main", cache) == tip(first)
    assert gitrepo.fetch_branch(str(moved), "main", cache) == tip(moved)  # same process
    gitrepo._REMOTE_SET.clear()  # a restarted daemon, given the first source again
    assert gitrepo.fetch_branch(str(first), "main", cache) == tip(first)
    assert git(cache, "config", "--get", "remote.origin.url").strip() == str(first)


def test_a_deleted_cache_is_made_again(tmp_path):
    source = source_repo(tmp_path / "source", a="1\n")
    cache = tmp_path / "cache"
    gitrepo.fetch_branch(str(source), "main", cache)
    shutil.rmtree(cache)
    second = commit(source, "second", a="2\n")
    assert gitrepo.fetch_branch(str(source), "main", cache) == second


def test_a_missing_branch_is_git_s_one_line_answer(tmp_path):
    source = source_repo(tmp_path / "source", a="1\n")
    with pytest.raises(GitError) as error:
        gitrepo.fetch_branch(str(source), "nope", tmp_path / "cache")
    assert str(error.value) == (f"cannot fetch branch 'nope' of {source}: "
                                "fatal: couldn't find remote ref refs/heads/nope")


@pytest.mark.parametrize("ask, command", [(gitrepo.fetch_branch, "git fetch"), (gitrepo.branch_tip, "git ls-remote")],
                         ids=["fetch", "tip"])
def test_a_fetch_that_hangs_is_stopped_with_the_helpers_it_started(tmp_path, monkeypatch, ask, command):
    record = tmp_path / "ssh-pid"
    fake = tmp_path / "bin"
    fake.mkdir()
    # A server that never answers; its pipes to git are closed, so only stopping it ends it.
    (fake / "ssh").write_text(f"#!/bin/sh\necho $$ > {record}\nexec sleep 600 </dev/null >/dev/null 2>&1\n")
    (fake / "ssh").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}{os.pathsep}{os.environ['PATH']}")
    failures: list[str] = []

    def fetch():
        try:
            ask("ssh://git@git.example.invalid/gitops.git", "main", tmp_path / "cache", timeout=1.0)
        except GitError as exc:
            failures.append(str(exc))

    worker = threading.Thread(target=fetch, daemon=True)
    try:
        worker.start()
        worker.join(120)  # a bound on a hang, far above the 1 s asked for
        assert not worker.is_alive(), "the fetch did not return after its timeout"
        assert failures == ["cannot fetch branch 'main' of ssh://***@git.example.invalid/gitops.git: "
                            f"{command} did not finish within 1 s"]
        pid = int(record.read_text())
        deadline = time.monotonic() + 10
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(pid), "the ssh git started outlived the timeout"
    finally:
        if record.exists() and _alive(int(record.read_text())):
            os.kill(int(record.read_text()), signal.SIGKILL)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"
