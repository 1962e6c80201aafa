"""Benchmark: `gitops-kafka diff --env prod --base HEAD~1` against what a user would script.

Baseline: `git worktree add` of the base revision, `kubectl kustomize` of both overlays (the
worktree's and the checkout's), `diff -u` of the two builds, `git worktree remove`. Both run as
fresh processes (with Python's bytecode cache: harness.user_env), interleaved, in a temporary
clone whose head commit changes prod's storage; both compare the base with the working tree.

    .venv/bin/python bench/diff.py [--runs 10]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent / "src"), str(HERE)]

from gitops_kafka.kustomize import kubectl_path  # noqa: E402
from harness import CLI, Row, interleave, run_process, table  # noqa: E402

PROJECT = HERE.parent


def rows(runs: int) -> list[Row]:
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(clone)], check=True)
        env = clone / "environments" / "prod.yaml"
        env.write_text(env.read_text().replace("    size: 200Gi", "    size: 300Gi"))
        subprocess.run([*CLI, "generate", "--env", "prod"], cwd=clone,
                       check=True, capture_output=True)
        worktree, kubectl = str(Path(tmp) / "wt"), str(kubectl_path())
        base_out, head_out = str(Path(tmp) / "base.yaml"), str(Path(tmp) / "head.yaml")
        scripted = [["git", "worktree", "add", "--quiet", "--detach", worktree, "HEAD~1"],
                    [kubectl, "kustomize", f"{worktree}/overlays/prod", "-o", base_out],
                    [kubectl, "kustomize", "overlays/prod", "-o", head_out],
                    ["diff", "-u", base_out, head_out],
                    ["git", "worktree", "remove", "--force", worktree]]
        diff = [[*CLI, "diff", "--env", "prod", "--base", "HEAD~1"]]  # head: the working tree, as the baseline's
        ours, theirs = interleave(lambda: run_process(diff, clone, ok=(0, 1)),  # 1: the diff found the change
                                  lambda: run_process(scripted, clone, ok=(0, 1)), runs)
    return [Row("diff --env prod --base HEAD~1", "worktree + 2 builds + diff -u", tuple(ours), tuple(theirs),
                goal_ratio=1.0)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    print(table(rows(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
