"""Timing of two command lines side by side: fresh processes, interleaved so that noise hits both alike."""
from __future__ import annotations

import statistics
import subprocess
import time
from pathlib import Path


def timed(commands: list[list[str]], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    """Seconds to run each command in turn; an exit code outside `ok` stops the benchmark."""
    start = time.perf_counter()
    for command in commands:
        result = subprocess.run(command, cwd=cwd, capture_output=True)
        if result.returncode not in ok:
            raise SystemExit(f"{' '.join(command)} exited {result.returncode}: {result.stderr.decode()[-500:]}")
    return time.perf_counter() - start


def compare(ours: list[list[str]], baseline: list[list[str]], cwd: Path, runs: int,
            ours_ok: tuple[int, ...] = (0,)) -> tuple[list[float], list[float]]:
    """Both sides once to warm the page cache, then `runs` alternating timings of each."""
    timed(ours, cwd, ours_ok), timed(baseline, cwd)
    mine, theirs = [], []
    for _ in range(runs):
        mine.append(timed(ours, cwd, ours_ok))
        theirs.append(timed(baseline, cwd))
    return mine, theirs


def report(ours_label: str, baseline_label: str, ours: list[float], theirs: list[float], ratio_label: str) -> None:
    o, b = statistics.median(ours), statistics.median(theirs)
    width = max(len(ours_label), len(baseline_label))
    print(f"runs: {len(ours)} each, interleaved")
    print(f"{ours_label:<{width}}  median {o * 1000:8.1f} ms  (min {min(ours) * 1000:.1f})")
    print(f"{baseline_label:<{width}}  median {b * 1000:8.1f} ms  (min {min(theirs) * 1000:.1f})")
    print(f"ratio {ratio_label}: {o / b:.2f}x")
