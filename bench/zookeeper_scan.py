"""Benchmark: the detector's ZooKeeper reader against a plain pipelined kazoo read, same run.

Starts a real ZooKeeper (Debian's package), writes a large cluster's metadata in Kafka's
own formats (default 10,000 topics x 10 partitions = 100,000 partitions, under a chroot),
then times three cycles, each for the reader (`KafkaReader.read`, watches + versions of
nothing: only what changed is read again) and for the baseline (every znode read again,
pipelined with kazoo's `get_async`, payloads JSON-decoded):

  1. the first full scan          2. a steady cycle, nothing changed
  3. a cycle after 100 topics changed (a config override and a partition state each)

and the reader's peak Python memory over a full scan plus comparison (tracemalloc, in a
separate pass so that tracing does not slow the timed ones), and the process's peak RSS.

    .venv/bin/python bench/zookeeper_scan.py [--topics 10000] [--partitions 10]
"""
from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT / "src"))
sys.path.insert(0, str(PROJECT / "tests"))

from kazoo.client import KazooClient  # noqa: E402

from gitops_kafka.config import load_environment  # noqa: E402
from gitops_kafka.kafka import metadata as km  # noqa: E402
from gitops_kafka.kafka.reader import KafkaReader  # noqa: E402
from kafka_znodes import KafkaZnodes  # noqa: E402
from zookeeper_servers import Ensemble  # noqa: E402

CHROOT = "/kafka"
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
            check(pending.pop(0).get())
    for result in pending:
        check(result.get())


def check(results) -> None:
    errors = [r for r in results if isinstance(r, Exception)]
    if errors:
        raise SystemExit(f"populating failed: {errors[0]!r}")


def baseline_read(client: KazooClient) -> int:
    """Every znode the reader covers, read again, pipelined: the plain kazoo way. Returns reads."""
    small = ["/cluster/id", "/controller", "/admin/reassign_partitions", "/kafka-manager", "/kafka-manager/configs/kafka"]
    lists = [client.get_children_async(p) for p in ("/brokers/ids", "/admin/delete_topics", "/brokers/topics", "/config/topics")]
    smalls = [client.exists_async(p) for p in small]
    ids, _, topics, configs = (r.get() for r in lists)
    [r.get() for r in smalls]
    brokers = [client.get_async(f"/brokers/ids/{i}") for i in ids]
    topic_reads = [(t, client.get_async(f"/brokers/topics/{t}")) for t in topics]
    config_reads = [client.get_async(f"/config/topics/{t}") for t in configs]
    states = []
    for topic, request in topic_reads:
        partitions = json.loads(request.get()[0])["partitions"]
        states += [client.get_async(f"/brokers/topics/{topic}/partitions/{p}/state") for p in partitions]
    for request in [*brokers, *config_reads]:
        json.loads(request.get()[0])
    for request in states:
        json.loads(request.get()[0])
    return len(lists) + len(smalls) + len(brokers) + len(topic_reads) + len(config_reads) + len(states)


def timed(function):
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def wait_for_watches(reader: KafkaReader, expected: int, timeout: float = 30.0) -> None:
    """The changes' watch events reach the reader's session asynchronously; let them all arrive."""
    deadline = time.monotonic() + timeout
    while len(reader._dirty) < expected and time.monotonic() < deadline:
        time.sleep(0.01)


def row(label: str, ours: tuple[float, int], theirs: tuple[float, int]) -> str:
    (t1, r1), (t2, r2) = ours, theirs
    return (f"{label:<28} reader {t1 * 1000:9.1f} ms {r1:7d} reads | baseline {t2 * 1000:9.1f} ms {r2:7d} reads"
            f" | baseline / reader {t2 / t1:7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--partitions", type=int, default=10, help="per topic")
    parser.add_argument("--changed", type=int, default=100)
    args = parser.parse_args()
    config = load_environment(PROJECT, "prod")
    with tempfile.TemporaryDirectory() as tmp:
        server = Ensemble(Path(tmp), size=1, heap="1g", tick_time=2000).start()
        try:
            setup = KazooClient(hosts=server.hosts, timeout=30)
            setup.start(timeout=30)
            setup.create(CHROOT)
            writer = KazooClient(hosts=server.hosts + CHROOT, timeout=30)
            writer.start(timeout=30)
            kafka = KafkaZnodes(writer)
            kafka.cluster_as_declared(config)
            seconds, _ = timed(lambda: populate(writer, args.topics, args.partitions))
            total = args.topics * args.partitions
            print(f"ZooKeeper {server.members[0].address}{CHROOT}: {args.topics} topics, {total} partitions "
                  f"written in {seconds:.1f} s")
            baseline = KazooClient(hosts=server.hosts + CHROOT, timeout=30)
            baseline.start(timeout=30)
            reader = KafkaReader(server.hosts, CHROOT, config.cluster_name, timeout=30)
            reader.session.connect()

            full = timed(reader.read)[0], reader.reads
            full_base = timed(lambda: baseline_read(baseline))
            steady = timed(reader.read)[0], reader.reads
            steady_base = timed(lambda: baseline_read(baseline))
            for t in range(0, args.topics, max(1, args.topics // args.changed))[:args.changed]:
                name = f"topic-{t:05d}"
                kafka.config(name, {"retention.ms": "86400000"})
                kafka.state(name, 0, 1, [1, 2])
            wait_for_watches(reader, 2 * args.changed)
            changed = timed(reader.read)[0], reader.reads
            changed_base = timed(lambda: baseline_read(baseline))
            snapshot = reader.read()
            compare_seconds, report = timed(lambda: km.compare(snapshot, config))
            reader.close()

            print(row("1. first full scan", full, full_base))
            print(row("2. steady, nothing changed", steady, steady_base))
            print(row(f"3. {args.changed} topics changed", changed, changed_base))
            print(f"compare() of the whole snapshot: {compare_seconds * 1000:.1f} ms "
                  f"({report.partitions} partitions, {len(report.extra_topics)} extra topics, "
                  f"{report.partitions_under_replicated} under-replicated)")

            gc.collect()
            tracemalloc.start()
            traced = KafkaReader(server.hosts, CHROOT, config.cluster_name, timeout=30)
            snapshot = traced.read()
            km.compare(snapshot, config)
            retained, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            traced.close()
            print(f"reader memory over a full scan + compare: peak {peak / 2**20:.1f} MiB, "
                  f"retained {retained / 2**20:.1f} MiB (tracemalloc)")
            print(f"process peak RSS (both readers, kazoo, interpreter): "
                  f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
            baseline.stop()
            writer.stop()
            setup.stop()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
