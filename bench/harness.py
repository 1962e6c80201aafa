"""What every benchmark here shares: fresh-process or in-process samples, interleaved with a baseline
measured in the same run (machines here are noisy: the ratio of medians is what to read), peak RSS
of the measured process itself, and one table.

A benchmark module offers `rows(runs: int) -> list[Row]`; `bench/run.py` runs them all.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

MIB = 1024 * 1024
# The console script a user runs (beside the interpreter in a virtual environment), else the module.
SCRIPT = Path(sys.executable).parent / "gitops-kafka"
CLI = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "gitops_kafka"]


@dataclass(frozen=True)
class Sample:
    """One measurement: wall seconds, and the measured process's peak RSS in bytes (0: not measured)."""
    seconds: float
    peak_rss: int = 0


def user_env() -> dict[str, str]:
    """The environment a user's command runs in: this one, except that Python may use cached bytecode.

    pip compiles an installed package; with PYTHONDONTWRITEBYTECODE set (as some sandboxes and CI
    images do) every sample would compile gitops_kafka from source, a cost no user pays."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_process(commands: Sequence[Sequence[str]], cwd: Path, ok: tuple[int, ...] = (0,),
                env: dict[str, str] | None = None) -> Sample:
    """Each command in turn as a fresh process (in `env`, default `user_env()`); the peak RSS is the
    largest of their own (from wait4).

    An exit code outside `ok` stops the benchmark: a failing command measures nothing."""
    start = time.perf_counter()
    peak = 0
    for command in commands:
        process = subprocess.Popen(list(command), cwd=cwd, env=user_env() if env is None else env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in ok:
            raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {stderr.decode()[-500:]}")
        peak = max(peak, usage.ru_maxrss * 1024)  # Linux reports kilobytes
    return Sample(time.perf_counter() - start, peak)


def run_call(function: Callable[[], object]) -> Sample:
    """One in-process call, timed (RSS is the benchmark process's own, so it is not reported)."""
    start = time.perf_counter()
    function()
    return Sample(time.perf_counter() - start)


def interleave(ours: Callable[[], Sample], baseline: Callable[[], Sample], runs: int,
               warmups: int = 1) -> tuple[list[Sample], list[Sample]]:
    """`warmups` rounds of both (page cache, imports), then `runs` alternating rounds, order flipped
    every round so that neither side always runs right after the other."""
    for _ in range(warmups):
        ours(), baseline()
    mine: list[Sample] = []
    theirs: list[Sample] = []
    for index in range(runs):
        if index % 2:
            theirs.append(baseline())
            mine.append(ours())
        else:
            mine.append(ours())
            theirs.append(baseline())
    return mine, theirs


@dataclass(frozen=True)
class Row:
    """One figure of the table: ours against a baseline (ratio of medians), or alone against a bound."""
    figure: str
    baseline_label: str
    ours: tuple[Sample, ...]
    baseline: tuple[Sample, ...] = ()
    goal_ratio: float | None = None
    goal_rss_mib: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if not self.baseline:
            return None
        return median_seconds(self.ours) / median_seconds(self.baseline)

    @property
    def peak_rss_mib(self) -> float:
        return max((s.peak_rss for s in self.ours), default=0) / MIB

    @property
    def meets_goal(self) -> bool:
        ratio_ok = self.goal_ratio is None or (self.ratio is not None and self.ratio <= self.goal_ratio)
        rss_ok = self.goal_rss_mib is None or self.peak_rss_mib <= self.goal_rss_mib
        return ratio_ok and rss_ok


def median_seconds(samples: Sequence[Sample]) -> float:
    return statistics.median(s.seconds for s in samples)


def min_seconds(samples: Sequence[Sample]) -> float:
    return min(s.seconds for s in samples)


def timing(samples: Sequence[Sample]) -> str:
    if not samples:
        return "-"
    return f"{median_seconds(samples) * 1000:.1f} ms (min {min_seconds(samples) * 1000:.1f})"


def goal(row: Row) -> str:
    parts = []
    if row.goal_ratio is not None:
        parts.append(f"≤ {row.goal_ratio:.2f}×")
    if row.goal_rss_mib is not None:
        parts.append(f"≤ {row.goal_rss_mib:.0f} MiB")
    return ", ".join(parts) or "-"


def table(rows: Sequence[Row]) -> str:
    """Markdown, so that the README's Performance section can quote it as printed."""
    lines = ["| figure | ours, median (min) | baseline | baseline, median (min) | ratio | peak RSS | goal | met |",
             "|---|---|---|---|---|---|---|---|"]
    for row in rows:
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}×"
        rss = f"{row.peak_rss_mib:.0f} MiB" if row.peak_rss_mib else "-"
        lines.append(f"| {row.figure} | {timing(row.ours)} | {row.baseline_label} | {timing(row.baseline)} "
                     f"| {ratio} | {rss} | {goal(row)} | {'yes' if row.meets_goal else 'no'} |")
    runs = max((len(row.ours) for row in rows), default=0)
    notes = [f"- {row.figure}: {row.note}" for row in rows if row.note]
    return "\n".join(lines + [f"\nruns: up to {runs} per side, interleaved, after a warm-up round"] + notes)
