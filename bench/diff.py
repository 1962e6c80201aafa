"""Benchmark: `gitops-kafka diff --env prod` between two commits against two `kubectl kustomize` builds.

A diff must build the overlay twice (base and head) whatever else it does, so the
baseline is those two builds alone; both run as the user runs them (fresh processes),
interleaved in the same run, in a temporary clone where the head commit changes prod.

    .venv/bin/python bench/diff.py [--runs 10]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "src"), str(Path(__file__).resolve().parent)]

from gitops_kafka.kustomize import kubectl_path  # noqa: E402
from interleaved import compare, report  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(clone)], check=True)
        env = clone / "environments" / "prod.yaml"
        env.write_text(env.read_text().replace("    size: 200Gi", "    size: 300Gi"))
        subprocess.run([sys.executable, "-m", "gitops_kafka", "generate", "--env", "prod"], cwd=clone,
                       check=True, capture_output=True)
        subprocess.run(["git", "commit", "--quiet", "-am", "bench"], cwd=clone, capture_output=True)
        diff = [[sys.executable, "-m", "gitops_kafka", "diff", "--env", "prod", "--base", "HEAD~1", "--head", "HEAD"]]
        build = [[str(kubectl_path()), "kustomize", "overlays/prod"]] * 2
        ours, theirs = compare(diff, build, clone, args.runs, ours_ok=(0, 1))  # 1: the diff found the change
    report("gitops-kafka diff --env prod HEAD~1..HEAD", "2 x kubectl kustomize overlays/prod (baseline)",
           ours, theirs, "diff / two kustomize builds")


if __name__ == "__main__":
    main()
