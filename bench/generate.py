"""Benchmark: `gitops-kafka generate --env prod --no-commit` against `kubectl kustomize overlays/prod`.

Both run as the user runs them (a fresh process each time), interleaved in the
same run so that machine noise hits both alike; the ratio is what to read.
Runs in a temporary clone, so this repository is never written.

    .venv/bin/python bench/generate.py [--runs 15]
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
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(clone)], check=True)
        generate = [[sys.executable, "-m", "gitops_kafka", "generate", "--env", "prod", "--no-commit"]]
        build = [[str(kubectl_path()), "kustomize", "overlays/prod"]]
        ours, theirs = compare(generate, build, clone, args.runs)
    report("gitops-kafka generate --env prod --no-commit", "kubectl kustomize overlays/prod (baseline)",
           ours, theirs, "generate / kustomize build")


if __name__ == "__main__":
    main()
