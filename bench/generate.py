"""Benchmark: `generate` and `render` against the kustomize build they stand in for.

Baselines (the fastest plain way a user would script the same result):
- `generate --env prod --no-commit`, up to date and after an environment change, against
  `kubectl kustomize overlays/prod`: a reviewer needs the build either way. Up to date is
  measured twice: with the ledger of an earlier generate in this clone (its shortcut), and
  without one (a fresh clone, or inputs someone else changed: the full parse and render).
- the floor of a generate that must validate: a fresh Python process that only reads and
  validates `environments/prod.yaml` (pydantic and the configuration's models), against the same build.
- `render --env prod` against `kubectl kustomize overlays/prod`.
- `render --env prod --ref HEAD~1` against `git worktree add` of that revision + the build +
  `git worktree remove`.

Every command is a fresh process, as the user runs it (with Python's bytecode cache, as an
installed package has it: harness.user_env), interleaved with its baseline in a temporary clone
(this repository is never written).

    .venv/bin/python bench/generate.py [--runs 10]
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
from gitops_kafka.ledger import LEDGER  # noqa: E402
from harness import CLI, Row, interleave, run_process, table  # noqa: E402

PROJECT = HERE.parent


def clone_of(project: Path, into: Path) -> Path:
    clone = into / "repo"
    subprocess.run(["git", "clone", "--quiet", str(project), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "commit", "--quiet", "--allow-empty", "-m", "bench"], check=True)
    return clone


def changer(clone: Path):
    """Back to the committed state (untimed), then an edit of prod's storage size: every run has a change."""
    env = clone / "environments" / "prod.yaml"
    text = env.read_text()
    assert "    size: 200Gi" in text, "bench expects prod's kafka storage at 200Gi"

    def change() -> None:
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--", "."], check=True)
        env.write_text(text.replace("    size: 200Gi", "    size: 300Gi"))
    return change


def rows(runs: int) -> list[Row]:
    build = [[str(kubectl_path()), "kustomize", "overlays/prod"]]
    kustomize_label = "kubectl kustomize overlays/prod"
    with tempfile.TemporaryDirectory() as tmp:
        clone = clone_of(PROJECT, Path(tmp))
        baseline = lambda: run_process(build, clone)  # noqa: E731
        out = []
        generate = [CLI + ["generate", "--env", "prod", "--no-commit"]]
        ours, theirs = interleave(lambda: run_process(generate, clone), baseline, runs)
        out.append(Row("generate --env prod --no-commit (up to date)", kustomize_label, tuple(ours), tuple(theirs),
                       goal_ratio=1.0, note="the ledger knows these inputs: a generate ran here before"))

        def without_ledger():
            (clone / ".git" / LEDGER).unlink(missing_ok=True)
            return run_process(generate, clone)
        ours, theirs = interleave(without_ledger, baseline, runs)
        out.append(Row("generate --env prod --no-commit (up to date, no ledger)", kustomize_label, tuple(ours),
                       tuple(theirs), goal_ratio=1.0,
                       note="first generate in a fresh clone or after a pull: parses, validates and renders"))
        change = changer(clone)

        def changed():
            change()
            return run_process([CLI + ["generate", "--env", "prod", "--no-commit"]], clone)
        ours, theirs = interleave(changed, baseline, runs)
        subprocess.run(["git", "-C", str(clone), "checkout", "--quiet", "--", "."], check=True)
        out.append(Row("generate --env prod --no-commit (after a change)", kustomize_label, tuple(ours), tuple(theirs),
                       goal_ratio=1.0))
        validate = [[sys.executable, "-c", "import sys, pathlib; from gitops_kafka.config import load_environment; "
                     "load_environment(pathlib.Path(sys.argv[1]), 'prod')", str(clone)]]
        ours, theirs = interleave(lambda: run_process(validate, clone), baseline, runs)
        out.append(Row("floor: a process that only reads and validates environments/prod.yaml", kustomize_label,
                       tuple(ours), tuple(theirs),
                       note="interpreter + pydantic + the configuration's models: what any generate that must "
                            "validate pays before it renders"))
        ours, theirs = interleave(lambda: run_process([CLI + ["render", "--env", "prod"]], clone), baseline, runs)
        out.append(Row("render --env prod", kustomize_label, tuple(ours), tuple(theirs), goal_ratio=1.1))
        worktree = str(Path(tmp) / "wt")
        at_ref = [["git", "worktree", "add", "--quiet", "--detach", worktree, "HEAD~1"],
                  [str(kubectl_path()), "kustomize", f"{worktree}/overlays/prod"],
                  ["git", "worktree", "remove", "--force", worktree]]
        ours, theirs = interleave(lambda: run_process([CLI + ["render", "--env", "prod", "--ref", "HEAD~1"]], clone),
                                  lambda: run_process(at_ref, clone), runs)
        out.append(Row("render --env prod --ref HEAD~1", "git worktree add + kustomize + remove",
                       tuple(ours), tuple(theirs), goal_ratio=1.1))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    print(table(rows(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
