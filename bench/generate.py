"""Benchmark: `gitops-kafka generate --env prod --no-commit` against `kubectl kustomize overlays/prod`.

Both run as the user runs them (a fresh process each time), interleaved in the
same run so that machine noise hits both alike; the ratio is what to read.
Runs in a temporary clone, so this repository is never written.

    .venv/bin/python bench/generate.py [--runs 15]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "src"))

from gitops_kafka.kustomize import kubectl_path  # noqa: E402


def timed(command: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(clone)], check=True)
        generate = [sys.executable, "-m", "gitops_kafka", "generate", "--env", "prod", "--no-commit"]
        build = [str(kubectl_path()), "kustomize", "overlays/prod"]
        timed(generate, clone), timed(build, clone)  # warm the page cache for both
        ours, theirs = [], []
        for _ in range(args.runs):
            ours.append(timed(generate, clone))
            theirs.append(timed(build, clone))
    g, k = statistics.median(ours), statistics.median(theirs)
    print(f"runs: {args.runs} each, interleaved")
    print(f"gitops-kafka generate --env prod --no-commit  median {g * 1000:8.1f} ms  (min {min(ours) * 1000:.1f})")
    print(f"kubectl kustomize overlays/prod (baseline)    median {k * 1000:8.1f} ms  (min {min(theirs) * 1000:.1f})")
    print(f"ratio generate / kustomize build: {g / k:.2f}x")


if __name__ == "__main__":
    main()
