"""Benchmark: the detector's first ZooKeeper scan against plain kazoo reading the same znodes.

Starts a real ZooKeeper (Debian's package) and writes a large cluster's metadata in Kafka's
own formats under a chroot: 10,000 topics x 10 partitions = 100,000 partition states, and
120,028 reads for a full scan.

Baseline, the fastest plain way: one kazoo client reading the same znodes with `get_async`
and at most 2,000 requests unanswered (waiting on the oldest when the window is full), the
topic lists first, then topics and configs, then every partition state, payloads
JSON-decoded. Ours: `KafkaReader.read()` on a fresh reader, which also parses every payload
into the snapshot and leaves a watch on each znode. Each repetition takes a fresh reader
and a fresh kazoo client against the same server, connected before the clock starts;
the two sides alternate. A second pair compares the reader with the same plain scan leaving a
watch on every znode (what makes the reader's steady cycle cheap): kazoo registers each watch in
its I/O thread, which the scan waits on, so this is the floor of any scan that watches.

A steady cycle (nothing changed) has no like-for-like baseline: re-reading everything is
not what the reader does, and reading only the few znodes it always reads is what it does.
So it is shown alone, with its read count; the tests prove that it stays constant whatever
the cluster's size.

    .venv/bin/python bench/zookeeper_scan.py [--runs 5] [--topics 10000] [--partitions 10]
"""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from collections import deque
from pathlib import Path
from typing import Iterator

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path[:0] = [str(PROJECT / "src"), str(PROJECT / "tests"), str(HERE)]

from kazoo.client import KazooClient  # noqa: E402
from kazoo.exceptions import NoNodeError  # noqa: E402

from harness import Row, Sample, interleave, run_call, table  # noqa: E402

CHROOT = "/kafka"
WINDOW = 2000  # the baseline's requests unanswered at most
STATE = b'{"controller_epoch":1,"leader":%d,"version":1,"leader_epoch":0,"isr":[%d,%d,%d]}'


def populate(client: KazooClient, topics: int, partitions: int) -> None:
    """Kafka's znodes for `topics` topics, written in pipelined multi-op transactions."""
    pending = []
    for start in range(0, topics, 40):
        tx = client.transaction()
        for t in range(start, min(start + 40, topics)):
            name = f"topic-{t:05d}"
            replicas = {str(p): [(p + r) % 3 for r in range(3)] for p in range(partitions)}
            tx.create(f"/brokers/topics/{name}", json.dumps(
                {"partitions": replicas, "topic_id": f"id{t}", "adding_replicas": {}, "removing_replicas": {},
                 "version": 3}).encode())
            tx.create(f"/config/topics/{name}", b'{"version":1,"config":{"retention.ms":"604800000"}}')
            tx.create(f"/brokers/topics/{name}/partitions")
            for p in range(partitions):
                r = replicas[str(p)]
                tx.create(f"/brokers/topics/{name}/partitions/{p}")
                tx.create(f"/brokers/topics/{name}/partitions/{p}/state", STATE % (r[0], *r))
        pending.append(tx.commit_async())
        if len(pending) >= 8:
            _check(pending.pop(0).get())
    for result in pending:
        _check(result.get())


def _check(results) -> None:
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise SystemExit(f"populating failed: {errors[0]!r}")


@contextlib.contextmanager
def large_cluster(topics: int = 10_000, partitions: int = 10) -> Iterator[str]:
    """A real ZooKeeper holding prod's brokers plus `topics` topics under CHROOT; yields its hosts."""
    from gitops_kafka.config import load_environment
    from kafka_znodes import KafkaZnodes
    from zookeeper_servers import Ensemble

    with tempfile.TemporaryDirectory() as tmp:
        server = Ensemble(Path(tmp), size=1, heap="1g", tick_time=2000).start()
        try:
            setup = KazooClient(hosts=server.hosts, timeout=30)
            setup.start(timeout=30)
            setup.create(CHROOT)
            writer = KazooClient(hosts=server.hosts + CHROOT, timeout=30)
            writer.start(timeout=30)
            KafkaZnodes(writer, setup).cluster_as_declared(load_environment(PROJECT, "prod"))
            populate(writer, topics, partitions)
            for client in (writer, setup):
                client.stop()
                client.close()
            yield server.hosts
        finally:
            server.stop()


def plain_scan(client: KazooClient, watch=None) -> int:
    """Every znode the reader covers, through a window of WINDOW unanswered requests (with `watch`
    left on each, when given). Returns reads."""
    window: deque = deque()
    reads = 0
    get = (lambda path: client.get_async(path, watch=watch)) if watch else client.get_async
    children = (lambda path: client.get_children_async(path, watch=watch)) if watch else client.get_children_async

    def read_all(paths, request) -> dict:
        nonlocal reads
        out = {}

        def settle():
            path, pending = window.popleft()
            try:
                out[path] = pending.get()
            except NoNodeError:
                out[path] = None
        for path in paths:
            if len(window) >= WINDOW:
                settle()
            window.append((path, request(path)))
            reads += 1
        while window:
            settle()
        return out

    read_all(["/cluster/id", "/controller", "/admin/reassign_partitions"], get)
    lists = read_all(["/brokers/ids", "/admin/delete_topics", "/brokers/topics", "/config/topics"], children)
    read_all([f"/brokers/ids/{i}" for i in lists["/brokers/ids"] or ()], get)
    topics = lists["/brokers/topics"] or []
    data = read_all([f"/brokers/topics/{t}" for t in topics]
                    + [f"/config/topics/{t}" for t in lists["/config/topics"] or ()], get)
    for path, answer in data.items():
        data[path] = json.loads(answer[0])
    states = read_all([f"/brokers/topics/{t}/partitions/{p}/state"
                       for t in topics for p in data[f"/brokers/topics/{t}"]["partitions"]], get)
    for answer in states.values():
        json.loads(answer[0])
    return reads


def first_scan(hosts: str, reads: list[int]) -> Sample:
    from gitops_kafka.kafka.reader import KafkaReader

    reader = KafkaReader(hosts, CHROOT, "kafka", timeout=30)
    try:
        reader.session.connect()
        sample = run_call(reader.read)
        reads.append(reader.reads)
        return sample
    finally:
        reader.close()


def baseline_scan(hosts: str, reads: list[int], watching: bool = False) -> Sample:
    client = KazooClient(hosts=hosts + CHROOT, timeout=30)
    client.start(timeout=30)
    try:
        start = time.perf_counter()
        reads.append(plain_scan(client, (lambda event: None) if watching else None))
        return Sample(time.perf_counter() - start)
    finally:
        client.stop()
        client.close()


def steady_cycles(hosts: str, runs: int) -> tuple[list[Sample], int]:
    from gitops_kafka.kafka.reader import KafkaReader

    reader = KafkaReader(hosts, CHROOT, "kafka", timeout=30)
    try:
        reader.read()
        samples = [run_call(reader.read) for _ in range(runs)]
        return samples, reader.reads
    finally:
        reader.close()


def scan_rows(hosts: str, runs: int) -> list[Row]:
    ours_reads: list[int] = []
    plain_reads: list[int] = []
    ours, theirs = interleave(lambda: first_scan(hosts, ours_reads), lambda: baseline_scan(hosts, plain_reads), runs)
    if len(set(ours_reads)) != 1 or len(set(plain_reads)) != 1 or not 0 <= ours_reads[0] - plain_reads[0] <= 5:
        raise SystemExit(f"the two sides read different amounts: {ours_reads} vs {plain_reads}")
    watched_reads: list[int] = []
    ours_again, watched = interleave(lambda: first_scan(hosts, []),
                                     lambda: baseline_scan(hosts, watched_reads, watching=True), runs)
    steady, steady_reads = steady_cycles(hosts, runs)
    return [
        Row(f"ZooKeeper first scan, {ours_reads[0]:,} reads", f"kazoo get_async, {WINDOW:,} window", tuple(ours),
            tuple(theirs), goal_ratio=1.0,
            note=f"fresh reader / fresh kazoo client per run; the baseline makes {plain_reads[0]:,} reads "
                 f"(the reader also checks the chroot and Kafka Manager's root)"),
        Row(f"ZooKeeper first scan, {ours_reads[0]:,} reads (the floor of a scan that watches)",
            f"kazoo get_async + a watch on each znode, {WINDOW:,} window", tuple(ours_again), tuple(watched),
            goal_ratio=1.0, note="the same plain scan leaving a watch on every znode it reads, as the reader does "
                                 "so that a steady cycle reads only what changed"),
        Row(f"ZooKeeper steady cycle, nothing changed, {steady_reads} reads", "-", tuple(steady)),
    ]


def rows(runs: int) -> list[Row]:
    with large_cluster() as hosts:
        return scan_rows(hosts, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--partitions", type=int, default=10, help="per topic")
    args = parser.parse_args()
    with large_cluster(args.topics, args.partitions) as hosts:
        print(table(scan_rows(hosts, args.runs)))


if __name__ == "__main__":
    main()
