"""Benchmark: the daemon's own memory with 10,000 topics in ZooKeeper and the prod overlay.

The daemon runs as it runs in a cluster, a process of its own (`gitops-kafka daemon --env
prod`), tracking a clone of this repository, reading the live objects through the official
client and a kubeconfig from a Kubernetes API stand-in (kmock, seeded with prod's objects as
a real API server returns them: tests/kube.py), and reading Kafka's metadata from a real
ZooKeeper holding prod's brokers plus 10,000 topics x 10 partitions (bench/zookeeper_scan.py).
Its peak (VmHWM) and current (VmRSS) resident memory are sampled from /proc/PID/status
while it runs its first, full cycle and then steady ones; each run is a fresh daemon.

There is no baseline: the figure is a bound (120 MiB), the size of a small container's
memory limit. The time column is how long the daemon took to finish its first checks.

    .venv/bin/python bench/daemon.py [--runs 3] [--topics 10000]
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path[:0] = [str(PROJECT / "src"), str(PROJECT / "tests"), str(HERE)]

from harness import CLI, MIB, Row, Sample, table, user_env  # noqa: E402
from zookeeper_scan import CHROOT, large_cluster  # noqa: E402

CHECKS = 3  # the first, full cycle, then steady ones
GOAL_MIB = 120


def memory(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of a running process, in bytes."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmHWM:", "VmRSS:")):
                name, size, _ = line.split()
                values[name.rstrip(":")] = int(size) * 1024
    return values


def checks_done(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
    except OSError:
        return 0
    found = re.search(r'^gitops_kafka_checks_total\{environment="prod"\} (\S+)$', text, re.M)
    return int(float(found.group(1))) if found else 0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_daemon(repo: Path, branch: str, kubeconfig: Path, zookeeper: str, cache: Path,
               steady: list[int]) -> Sample:
    """One fresh daemon until it has run CHECKS checks; its peak RSS, and its RSS after them into `steady`."""
    port = free_port()
    command = CLI + ["daemon", "--env", "prod", "--repo", str(repo), "--branch", branch, "--cache", str(cache),
                     "--kubeconfig", str(kubeconfig), "--zookeeper", zookeeper, "--timeout", "30",
                     "--interval", "1", "--listen", f"127.0.0.1:{port}"]
    log = open(cache.with_suffix(".log"), "w+b")  # a file, not a pipe: a full pipe would stop the daemon
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log, env=user_env())
    try:
        peak = 0
        while checks_done(port) < CHECKS:
            if process.poll() is not None:
                log.seek(0)
                raise SystemExit(f"the daemon exited {process.returncode}: {log.read().decode()[-800:]}")
            if time.perf_counter() - start > 600:
                raise SystemExit("the daemon did not finish its checks within 600 s")
            peak = max(peak, memory(process.pid)["VmHWM"])
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        now = memory(process.pid)
        steady.append(now["VmRSS"])
        return Sample(seconds, max(peak, now["VmHWM"]))
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def daemon_rows(zookeeper_hosts: str, runs: int, topics: int) -> list[Row]:
    from gitops_kafka import kustomize
    from helpers import load_documents
    from kube import KubeAPI, as_applied

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        repo = root / "repo"
        subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(repo)], check=True)
        branch = subprocess.run(["git", "-C", str(repo), "rev-parse", "--abbrev-ref", "HEAD"], check=True,
                                capture_output=True, text=True).stdout.strip()
        desired = load_documents(kustomize.build(repo / "overlays" / "prod"))
        api = KubeAPI(root, desired)
        try:
            for obj in desired:
                api.create(as_applied(obj))
            steady: list[int] = []
            samples = [run_daemon(repo, branch, api.kubeconfig, zookeeper_hosts + CHROOT, root / f"cache{i}", steady)
                       for i in range(runs)]
        finally:
            api.close()
    note = (f"{topics:,} topics x 10 partitions, prod overlay ({len(desired)} objects); RSS after "
            f"{CHECKS} checks: {min(steady) / MIB:.0f}-{max(steady) / MIB:.0f} MiB; time = until {CHECKS} checks done")
    return [Row("daemon RSS, 10,000 topics + prod overlay", "-", tuple(samples), goal_rss_mib=GOAL_MIB, note=note)]


def rows(runs: int) -> list[Row]:
    runs = max(1, min(runs, 3))  # each run is minutes long; the peak hardly varies
    with large_cluster() as hosts:
        return daemon_rows(hosts, runs, 10_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--topics", type=int, default=10_000)
    args = parser.parse_args()
    with large_cluster(args.topics) as hosts:
        print(table(daemon_rows(hosts, args.runs, args.topics)))


if __name__ == "__main__":
    main()
