"""Helpers the tests share: the project's paths, real git repositories, the CLI in a child process.

Imported as a package (`from helpers import run_cli`); conftest.py keeps only fixtures.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

PROJECT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = PROJECT / "environments"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def new_gitops_repo(root: Path) -> Path:
    """A git repository at root holding a copy of the shipped environment files, committed."""
    root.mkdir(parents=True)
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.email", "test@gitops-kafka.invalid")
    git(root, "config", "user.name", "gitops-kafka tests")
    shutil.copytree(ENVIRONMENTS, root / "environments")
    git(root, "add", "environments")
    git(root, "commit", "--quiet", "-m", "environments")
    return root


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """The installed command, in a child process, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "gitops_kafka", *args], cwd=cwd, capture_output=True, text=True)


def load_documents(text: str) -> list[dict]:
    return [d for d in yaml.safe_load_all(text) if d]


def wait_for(condition, timeout=30.0):
    """Poll condition until it holds; a hang guard, not a timing claim."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("condition not met in time")
