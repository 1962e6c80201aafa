"""The reader between cycles and under faults, against real ZooKeeper servers.

Incremental: an unchanged topic costs no request; a changed one is re-read alone.
Faults: ZooKeeper down at start-up, going down mid-cycle, the leader of a 3-member
ensemble killed, a missing chroot, an expired session. In each, a cycle reports what it
could not read (never "in sync") and a later cycle recovers without anyone's help.
"""
from __future__ import annotations

import threading

import pytest
from kazoo.client import KazooClient

from helpers import PROJECT
from conftest_zookeeper import writer
from gitops_kafka.config import load_environment
from gitops_kafka.kafka import metadata as km
from gitops_kafka.kafka.ensemble import check_ensemble
from gitops_kafka.kafka.check import KafkaMonitor, ZooKeeperAddress
from gitops_kafka.kafka import zookeeper as zookeeper_module
from gitops_kafka.kafka.reader import KafkaReader
from gitops_kafka.errors import SourceError
from kafka_znodes import KafkaZnodes
from zookeeper_servers import Ensemble, eventually


@pytest.fixture(scope="module")
def prod():
    return load_environment(PROJECT, "prod")


def many_topics(kafka: KafkaZnodes, count: int, partitions: int = 2) -> None:
    """`count` extra topics written in pipelined transactions (fast enough for thousands)."""
    client = kafka.client
    for start in range(0, count, 100):
        tx = client.transaction()
        for i in range(start, min(start + 100, count)):
            name = f"load-{i:05d}"
            tx.create(f"/brokers/topics/{name}", b'{"version":3,"partitions":{%s}}' % ",".join(
                f'"{p}":[0,1]' for p in range(partitions)).encode())
            tx.create(f"/config/topics/{name}", b'{"version":1,"config":{}}')
            tx.create(f"/brokers/topics/{name}/partitions")
            for p in range(partitions):
                tx.create(f"/brokers/topics/{name}/partitions/{p}")
                tx.create(f"/brokers/topics/{name}/partitions/{p}/state",
                          b'{"controller_epoch":1,"leader":0,"version":1,"leader_epoch":0,"isr":[0,1]}')
        assert all(not isinstance(r, Exception) for r in tx.commit())


# ---------------------------------------------------------------- incremental

def test_an_unchanged_cluster_costs_the_same_few_reads_whatever_its_size(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    reader = KafkaReader(zookeeper.hosts, kafka_root, timeout=5)
    try:
        reader.read()
        reader.read()
        steady_small = reader.reads
        many_topics(kafka, 300, partitions=3)
        extra = []

        def all_new_topics_read():
            topics = reader.read().topics
            extra.append(reader.reads - steady_small)
            return len(topics) == 303

        eventually(all_new_topics_read)
        # each new topic read once (data, config, 3 states), plus the two topic lists when they changed
        assert 300 * 5 <= sum(extra) <= 300 * 5 + 2 * len(extra)
        reader.read()
        assert reader.reads == steady_small, "an unchanged topic must cost no request"
    finally:
        reader.close()


def test_a_changed_topic_is_re_read_alone(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    many_topics(kafka, 200)
    reader = KafkaReader(zookeeper.hosts, kafka_root, timeout=5)
    try:
        reader.read()
        steady = (reader.read(), reader.reads)[1]
        kafka.state("load-00007", 1, 1, [1])
        snapshot = eventually(lambda: s if (s := reader.read()).states["load-00007"][1].isr == (1,) else None)
        assert reader.reads == steady + 1
        kafka.topic("load-00008", {0: [0, 1], 1: [1, 0], 2: [0, 1]})  # partitions added: topic, config, 3 states
        snapshot = eventually(lambda: s if len((s := reader.read()).topics["load-00008"].replicas) == 3 else None)
        assert snapshot.states["load-00008"][2] == km.PartitionState(0, (0, 1), 0)
        kafka.delete("/brokers/topics/load-00009")
        kafka.delete("/config/topics/load-00009")
        snapshot = eventually(lambda: s if "load-00009" not in (s := reader.read()).topics
                              and "load-00009" not in s.configs else None)
        assert "load-00009" not in snapshot.states
        kafka.topic("brand-new", {0: [0, 1]})
        eventually(lambda: "brand-new" in reader.read().states)
    finally:
        reader.close()


def test_a_scan_through_a_small_window_is_the_scan_through_a_large_one(zookeeper, kafka, kafka_root, prod, monkeypatch):
    """Each answer is parsed as it comes, while later requests are in flight (the first scan's
    memory peak and time): a narrow window must give the snapshot, and the reads, of a wide one."""
    kafka.cluster_as_declared(prod)
    many_topics(kafka, 40, partitions=3)
    kafka.state("load-00011", 2, -1, [])
    kafka.state("load-00012", 1, 1, [1])
    kafka.delete("/brokers/topics/load-00013/partitions/0/state")
    whole = KafkaReader(zookeeper.hosts, kafka_root, timeout=5)
    try:
        expected, reads = whole.read(), whole.reads
    finally:
        whole.close()
    monkeypatch.setattr(zookeeper_module, "WINDOW", 7)
    batched = KafkaReader(zookeeper.hosts, kafka_root, timeout=5)
    try:
        snapshot = batched.read()
        assert snapshot == expected and batched.reads == reads
        assert snapshot.states["load-00013"][0] is None and snapshot.states["load-00011"][2].leader == -1
        kafka.state("load-00013", 0, 0, [0, 1])  # a missing state is read again until it exists
        eventually(lambda: batched.read().states["load-00013"][0] == km.PartitionState(0, (0, 1), 0))
    finally:
        batched.close()


def test_a_cycle_failing_part_way_is_followed_by_a_whole_read(zookeeper, kafka, kafka_root, prod, monkeypatch):
    """A state znode the detector may not read fails the cycle after earlier answers were applied;
    once readable again, the next cycle must hold every state, not only those read before the failure."""
    from kazoo.security import OPEN_ACL_UNSAFE, make_acl

    kafka.cluster_as_declared(prod)
    many_topics(kafka, 30, partitions=3)
    monkeypatch.setattr(zookeeper_module, "WINDOW", 7)
    locked = f"{kafka_root}/brokers/topics/load-00015/partitions/1/state"
    root = writer(zookeeper.hosts)
    reader = KafkaReader(zookeeper.hosts, kafka_root, timeout=5)
    try:
        root.set_acls(locked, [make_acl("world", "anyone", write=True, create=True, delete=True, admin=True)])
        with pytest.raises(SourceError, match="NoAuth"):
            reader.read()
        root.set_acls(locked, OPEN_ACL_UNSAFE)
        snapshot = reader.read()
        assert km.compare(snapshot, prod).findings == tuple(
            km.MetadataFinding("topic-extra", f"load-{i:05d}", f"topic load-{i:05d} exists in Kafka but git does not declare it (left alone)")
            for i in range(30))
        assert all(len(snapshot.states[f"load-{i:05d}"]) == 3 for i in range(30))
    finally:
        reader.close()
        root.stop()
        root.close()


def test_watches_keep_nothing_per_znode_and_every_change_still_reaches_the_reader(zookeeper, kafka, kafka_root, prod):
    """kazoo would keep a set and a path per watch (40 MiB at 120,000 watches): the session's registry
    keeps nothing per znode, and data, child and deletion events still mark what changed."""
    kafka.cluster_as_declared(prod)
    many_topics(kafka, 40, partitions=3)
    reader = KafkaReader(zookeeper.hosts, kafka_root, timeout=5)
    try:
        reader.read()
        client = reader.session._client
        for registry in (client._data_watchers, client._child_watchers):
            assert isinstance(registry, zookeeper_module.SharedWatch) and len(registry) == 0
        steady = (reader.read(), reader.reads)[1]
        kafka.state("load-00004", 2, 1, [1])  # a data watch
        eventually(lambda: reader.read().states["load-00004"][2] == km.PartitionState(1, (1,), 0))
        kafka.topic("load-new", {0: [0, 1]})  # a child watch (the topic list)
        eventually(lambda: "load-new" in reader.read().topics)
        kafka.delete("/brokers/topics/load-00005")  # a deletion: the data watch and the list's
        eventually(lambda: "load-00005" not in reader.read().topics)
        # the deletion's events come one by one (states, topic, list): once all are in, nothing is left to read
        eventually(lambda: (reader.read(), reader.reads)[1] == steady)
    finally:
        reader.close()


def test_a_path_kazoo_would_normalise_is_read_as_kazoo_reads_it(zookeeper, kafka, kafka_root, prod):
    """Paths the reader builds go to kazoo's queue as they are; any other still goes through get_async."""
    kafka.cluster_as_declared(prod)
    session = zookeeper_module.Session(zookeeper.hosts, timeout=5)
    try:
        session.connect()
        ids = f"{kafka_root}/brokers/ids"
        got = session.get_many([f"{ids}/0", f"{ids}//0", f"{ids}/0/", f"{ids}/0//",
                                f"{kafka_root}/brokers/ids/1", f"{ids}/9"], watch=True)
        assert got[f"{ids}/0"] is not None and got[f"{ids}/1"] is not None and got[f"{ids}/9"] is None
        assert got[f"{ids}//0"] == got[f"{ids}/0/"] == got[f"{ids}/0//"] == got[f"{ids}/0"]
        with pytest.raises(ValueError, match="relative"):  # kazoo's own refusal, as before: never sent as it is
            session.get_many([f"{ids}/../ids/0"])
    finally:
        session.close()


def test_a_shared_registry_keeps_any_other_watcher_per_path():
    ours, other = (lambda event: None), (lambda event: None)
    registry = zookeeper_module.SharedWatch(ours)
    assert registry.values() == []  # nothing left yet: a lost connection calls no one
    registry["/a"].add(ours)
    registry["/b"].add(other)
    assert registry.values() == [(ours,), {other}] and len(registry) == 1
    assert registry.pop("/a", []) == [ours]
    assert registry.pop("/b", []) == [ours, other]
    assert registry.pop("/b", []) == [ours] and len(registry) == 0


# ---------------------------------------------------------------- faults

def test_zookeeper_down_at_start_up_then_recovering(tmp_path, prod):
    server = Ensemble(tmp_path / "late", size=1)  # configured, not started
    monitor = KafkaMonitor(prod, ZooKeeperAddress((server.members[0].address,), None), timeout=2)
    try:
        result = monitor.cycle()
        assert not result.metadata.readable and not result.in_sync
        assert result.metadata.findings[0].kind == "unreadable"
        assert "cannot connect" in result.metadata.error
        assert not result.ensemble.members[0].reachable and not result.ensemble.quorum
        server.start()
        client = writer(server.hosts)
        KafkaZnodes(client).cluster_as_declared(prod)
        client.stop()
        result = monitor.cycle()
        assert result.metadata.readable and result.metadata.in_sync, result.metadata.findings
    finally:
        monitor.close()
        server.stop()


def test_zookeeper_going_down_mid_cycle_then_recovering(standalone_zookeeper, prod):
    server = standalone_zookeeper
    client = writer(server.hosts)
    kafka = KafkaZnodes(client)
    kafka.cluster_as_declared(prod)
    many_topics(kafka, 1500)
    client.stop()
    reader = KafkaReader(server.hosts, None, timeout=3)
    try:
        reader.session.connect()
        outcome = {}
        cycle = threading.Thread(target=lambda: outcome.update(result=_read(reader)))
        cycle.start()
        eventually(lambda: reader.reads > 100 or not cycle.is_alive(), interval=0.001)
        server.members[0].pause()  # the topic reads are in flight: freeze the server under them...
        assert cycle.is_alive(), "the cycle ended before the server went down"
        server.members[0].kill()  # ...and kill it
        cycle.join(30)
        assert isinstance(outcome["result"], SourceError), outcome
        assert outcome["result"].source == "zookeeper"
        with pytest.raises(SourceError):
            reader.read()
        server.start()
        snapshot = eventually(lambda: s if isinstance(s := _read(reader), km.MetadataSnapshot) else None)
        assert len(snapshot.topics) == 1503
        assert km.compare(snapshot, prod).findings == tuple(
            km.MetadataFinding("topic-extra", f"load-{i:05d}", f"topic load-{i:05d} exists in Kafka but git does not declare it (left alone)")
            for i in range(1500))
    finally:
        reader.close()


def _read(reader):
    try:
        return reader.read()
    except SourceError as exc:
        return exc


def test_missing_chroot_is_unreadable_until_it_exists(zookeeper, prod):
    chroot = "/kafka-never-created-" + str(id(prod))
    monitor = KafkaMonitor(prod, ZooKeeperAddress((zookeeper.members[0].address,), chroot), timeout=3)
    try:
        result = monitor.cycle()
        assert not result.metadata.readable and not result.in_sync
        assert f"chroot {chroot} does not exist" in result.metadata.error
        client = writer(zookeeper.hosts)
        client.create(chroot)
        chrooted = writer(zookeeper.hosts + chroot)
        KafkaZnodes(chrooted, client).cluster_as_declared(prod)
        chrooted.stop()
        client.stop()
        assert monitor.cycle().metadata.in_sync
    finally:
        monitor.close()


def test_session_expiry_loses_watches_and_the_reader_reads_everything_again(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    reader = KafkaReader(zookeeper.hosts, kafka_root, timeout=3)
    try:
        assert km.compare(reader.read(), prod).in_sync
        session_id, password = reader.session.session_id
        # Expire the session: another client takes it over with the same id and password, then closes it.
        thief = KazooClient(hosts=zookeeper.hosts, client_id=(session_id, password), timeout=3)
        thief.start(timeout=10)
        thief.stop()
        thief.close()
        kafka.config("vehicle-packets", {"retention.ms": "1"})  # while the reader has no session, no watch
        snapshot = eventually(lambda: s if isinstance(s := _read(reader), km.MetadataSnapshot)
                              and s.configs["vehicle-packets"] == {"retention.ms": "1"} else None)
        assert reader.session.session_id[0] != session_id
        assert [f.kind for f in km.compare(snapshot, prod).findings] == ["config"]
        kafka.config("vehicle-packets", {})
        eventually(lambda: isinstance(s := _read(reader), km.MetadataSnapshot) and km.compare(s, prod).in_sync)
    finally:
        reader.close()


def test_leader_killed_in_an_ensemble_re_election_and_recovery(zookeeper_ensemble, prod):
    ensemble = zookeeper_ensemble
    client = writer(ensemble.hosts)
    KafkaZnodes(client).cluster_as_declared(prod)
    client.stop()
    addresses = [m.address for m in ensemble.members]
    health = check_ensemble(addresses)
    assert (health.declared, health.serving, health.leaders, health.quorum) == (3, 3, 1, True)
    leader = next(m for m in health.members if m.mode == "leader")
    assert leader.synced_followers == 2
    assert all(m.synced_followers is None for m in health.members if m.mode == "follower")
    assert all(m.znode_count and m.znode_count > 20 for m in health.members)

    monitor = KafkaMonitor(prod, ZooKeeperAddress(tuple(addresses), None), timeout=3)
    try:
        assert monitor.cycle().in_sync
        ensemble.leader().kill()
        ensemble.wait_serving()
        health = check_ensemble(addresses)
        assert (health.serving, health.leaders, health.quorum, health.healthy) == (2, 1, True, False)
        assert sum(not m.reachable for m in health.members) == 1
        assert next(m for m in health.members if m.mode == "leader").synced_followers == 1
        result = eventually(lambda: r if (r := monitor.cycle()).metadata.readable else None)
        assert result.metadata.in_sync and not result.in_sync  # Kafka fine, ensemble degraded

        ensemble.leader().kill()  # one of three left: no quorum
        health = eventually(lambda: h if not (h := check_ensemble(addresses)).quorum and h.serving == 0 else None)
        alone = next(m for m in health.members if m.reachable)
        assert alone.mode == "not-serving" and alone.error  # "not currently serving requests", or nothing while it elects
        assert any("no quorum: 0 of 3" in p for p in health.problems())
        result = monitor.cycle()
        assert not result.metadata.readable and not result.in_sync
    finally:
        monitor.close()


def test_a_hung_zookeeper_fails_the_cycle_in_bounded_time_then_recovers(standalone_zookeeper, prod):
    """SIGSTOP: the connection stays open and nothing answers (a long GC pause, a partition)."""
    server = standalone_zookeeper
    client = writer(server.hosts)
    KafkaZnodes(client).cluster_as_declared(prod)
    many_topics(KafkaZnodes(client), 300)
    client.stop()
    reader = KafkaReader(server.hosts, None, timeout=2)
    try:
        reader.read()
        reader._changed(None)  # next cycle reads all 300 topics again: a large pipelined batch
        server.members[0].pause()
        outcome = {}
        cycle = threading.Thread(target=lambda: outcome.update(result=_read(reader)))
        cycle.start()
        cycle.join(20)
        assert not cycle.is_alive(), "a hung server must not hang the cycle"
        assert isinstance(outcome["result"], SourceError)
        server.members[0].resume()
        snapshot = eventually(lambda: s if isinstance(s := _read(reader), km.MetadataSnapshot) else None)
        assert len(snapshot.topics) == 303
    finally:
        server.members[0].resume()
        reader.close()
