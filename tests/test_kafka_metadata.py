"""Kafka's metadata in a real ZooKeeper against the prod environment: every kind of finding.

Each test writes Kafka's own znode formats under its own chroot of the session's
ZooKeeper, reads them with the detector's reader, and compares with environments/prod.yaml.
"""
from __future__ import annotations

import pytest

from helpers import PROJECT
from gitops_kafka.config import load_environment
from gitops_kafka.kafka import metadata as km
from gitops_kafka.kafka.reader import KafkaReader
from zookeeper_servers import eventually


@pytest.fixture(scope="module")
def prod():
    return load_environment(PROJECT, "prod")


@pytest.fixture
def reader(zookeeper, kafka_root):
    reader = KafkaReader(zookeeper.hosts, kafka_root, "kafka", timeout=5)
    yield reader
    reader.close()


def report(reader, config):
    return km.compare(reader.read(), config)


def kinds(result):
    return sorted((f.kind, f.subject) for f in result.findings)


def test_a_cluster_as_declared_is_in_sync(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    result = report(reader, prod)
    assert result.in_sync, result.findings
    assert result.brokers_registered == (0, 1, 2) and result.controller == 0
    assert result.cluster_id == "q1Sh-9_ISia_zwGINzRvyQ"
    assert [(t.name, t.status) for t in result.topics] == [("vehicle-packets", "in-sync"), ("vehicle-events", "in-sync")]
    assert result.partitions == 9 and result.partitions_offline == 0
    assert result.extra_topics == ()  # __consumer_offsets is internal


def test_missing_and_unexpected_brokers_and_endpoints(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.delete("/brokers/ids/2")
    kafka.broker(7, "PLAINTEXT://kafka-7.kafka-headless.kafka-prod.svc.cluster.local:9092")
    kafka.broker(1, "PLAINTEXT://10.0.3.7:9092")
    result = report(reader, prod)
    assert kinds(result) == [("broker-endpoint", "1"), ("broker-missing", "2"), ("broker-unexpected", "7")]
    endpoint = next(f for f in result.findings if f.kind == "broker-endpoint")
    assert endpoint.desired == ["PLAINTEXT://kafka-1.kafka-headless.kafka-prod.svc.cluster.local:9092"]
    assert endpoint.actual == ["PLAINTEXT://10.0.3.7:9092"]


def test_no_controller_and_a_controller_that_is_not_registered(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.delete("/controller")
    assert kinds(report(reader, prod)) == [("controller", "controller")]
    kafka.controller(5)
    assert "broker 5, which is not registered" in report(reader, prod).findings[0].message


def test_topic_drift_missing_partitions_replication_factor_config(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.delete("/brokers/topics/vehicle-packets")
    kafka.delete("/config/topics/vehicle-packets")
    kafka.topic("vehicle-events", {0: [0, 1, 2], 1: [1, 2, 0]},
                {"retention.ms": "86400000", "cleanup.policy": "compact"})
    result = report(reader, prod)
    assert kinds(result) == [
        ("config", "vehicle-events"), ("config", "vehicle-events"), ("config", "vehicle-events"),
        ("partitions", "vehicle-events"), ("replication-factor", "vehicle-events"), ("topic-missing", "vehicle-packets")]
    messages = [f.message for f in result.findings if f.kind == "config"]
    assert "topic vehicle-events sets cleanup.policy='compact', git does not" in messages
    assert "topic vehicle-events lacks min.insync.replicas='1'" in messages
    assert "topic vehicle-events has retention.ms='86400000', git declares '604800000'" in messages
    statuses = {t.name: (t.status, t.kinds) for t in result.topics}
    assert statuses == {"vehicle-packets": ("missing", ("topic-missing",)),
                        "vehicle-events": ("drift", ("partitions", "replication-factor", "config"))}


def test_config_values_are_compared_as_kafka_stores_them(kafka, reader, prod):
    """git's `retention.ms: 604800000` (a YAML number) equals Kafka's string "604800000"."""
    kafka.cluster_as_declared(prod)
    raw = kafka.client.get("/config/topics/vehicle-events")[0]
    assert b'"retention.ms":"604800000"' in raw
    assert report(reader, prod).in_sync


def test_extra_topics_are_reported_except_internal_and_excluded_ones(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    for name in ("orders", "_schemas", "_confluent-metrics", "__transaction_state", "zz-scratch"):
        kafka.topic(name, {0: [0, 1]})
    result = report(reader, prod)
    assert result.extra_topics == ("orders", "zz-scratch")
    assert kinds(result) == [("topic-extra", "orders"), ("topic-extra", "zz-scratch")]
    assert "left alone" in result.findings[0].message


def test_pending_deletion_is_a_state_not_drift(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.topic("old-topic", {0: [0, 1]})
    kafka.put("/admin/delete_topics/old-topic")
    kafka.put("/admin/delete_topics/vehicle-packets")
    kafka.topic("vehicle-packets", {0: [0, 1]})  # would be partition drift, but it is going away
    result = report(reader, prod)
    assert result.in_sync, result.findings
    assert result.pending_deletion == ("old-topic", "vehicle-packets")
    assert dict((t.name, t.status) for t in result.topics)["vehicle-packets"] == "pending-deletion"


def test_reassignment_in_progress_is_a_state_not_drift(kafka, reader, prod):
    """Moving partition 0 from [0,1] to [2,1]: replicas [2,1,0] with 2 adding and 0 removing."""
    kafka.cluster_as_declared(prod)
    kafka.topic("vehicle-packets", {0: [2, 1, 0], 1: [1, 2], 2: [2, 0]}, adding={0: [2]}, removing={0: [0]})
    kafka.state("vehicle-packets", 0, 1, [1, 0])  # the new replica is still catching up
    result = report(reader, prod)
    assert result.in_sync, result.findings
    assert result.reassigning == ("vehicle-packets",)
    assert dict((t.name, t.status) for t in result.topics)["vehicle-packets"] == "reassigning"


def test_a_reassignment_on_kafka_before_2_4_is_a_state_not_drift(kafka, reader, prod):
    """Kafka 2.0-2.3 moving vehicle-packets 0 from [0,1] to [2,1]: the topic znode lists old and new
    replicas together ([2,1,0]) and only /admin/reassign_partitions says which are the new ones."""
    kafka.cluster_as_declared(prod)
    kafka.legacy_topic("vehicle-packets", {0: [2, 1, 0], 1: [1, 2], 2: [2, 0]})
    kafka.legacy_reassignment({("vehicle-packets", 0): [2, 1]})
    kafka.state("vehicle-packets", 0, 1, [1, 0])  # the new replica is still catching up
    result = report(reader, prod)
    assert result.in_sync, result.findings
    assert result.reassigning == ("vehicle-packets",)
    assert dict((t.name, t.status) for t in result.topics)["vehicle-packets"] == "reassigning"
    kafka.legacy_reassignment({("vehicle-packets", 0): [2, 1, 0]})  # a reassignment to a factor git does not declare
    result = eventually(lambda: r if not (r := report(reader, prod)).in_sync else None)
    assert kinds(result) == [("replication-factor", "vehicle-packets")]
    assert "replication factor mixed, git declares 2" in result.findings[0].message  # partition 0 heads for 3


def test_a_malformed_topic_config_makes_the_topic_unreadable_not_drift(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.put("/config/topics/vehicle-events", b'{"version":1,"config":{"retention.ms":604800000}}')
    result = report(reader, prod)
    assert dict((t.name, t.status) for t in result.topics)["vehicle-events"] == "unreadable"
    assert kinds(result) == [("unreadable", "/config/topics/vehicle-events")]
    kafka.topic("vehicle-events", {0: [0, 1]})  # a real difference besides: that is drift
    kafka.put("/config/topics/vehicle-events", b"{not json")
    result = eventually(lambda: r if (r := report(reader, prod)).topics[1].status == "drift" else None)
    assert result.topics[1].kinds == ("partitions", "unreadable")


def test_kafka_under_a_chroot_and_cmak_where_its_deployment_puts_it(zookeeper, kafka, kafka_root, prod):
    """`kafka.zookeeper_chroot` set: Kafka's znodes under it, CMAK's at the root its own ZK_HOSTS names."""
    from gitops_kafka.kafka.check import KafkaMonitor, target
    from gitops_kafka.render.kafka_manager import deployment

    chrooted = prod.model_copy(update={"kafka": prod.kafka.model_copy(update={"zookeeper_chroot": kafka_root})})
    cmak = deployment(chrooted)["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "ZK_HOSTS", "value": "kafka-zookeeper:2181"} in cmak["env"]  # no chroot: CMAK writes at the root
    kafka.cluster_as_declared(chrooted)
    assert kafka.root.exists("/kafka-manager/configs/kafka") and not kafka.client.exists("/kafka-manager")
    monitor = KafkaMonitor(chrooted, target(chrooted, zookeeper.hosts), timeout=5)
    try:
        result = monitor.cycle().metadata
        assert result.in_sync, result.findings
        kafka.delete("/kafka-manager/configs/kafka")
        assert kinds(monitor.cycle().metadata) == [("kafka-manager", "kafka")]
    finally:
        monitor.close()


def test_offline_under_replicated_and_under_min_isr_partitions(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.state("vehicle-packets", 0, -1, [])       # offline
    kafka.state("vehicle-packets", 1, 1, [1])       # ISR 1 < 2 replicas, and < min.insync.replicas 2
    kafka.state("vehicle-events", 2, 2, [2])        # ISR 1 < 2, but the topic's min.insync.replicas is 1
    kafka.delete("/brokers/topics/vehicle-events/partitions/1")  # no state at all: no leader
    result = report(reader, prod)
    assert (result.partitions_offline, result.partitions_under_replicated, result.partitions_under_min_isr) == (2, 2, 1)
    assert kinds(result) == [("offline", "vehicle-events"), ("offline", "vehicle-packets"),
                             ("under-min-isr", "vehicle-packets"),
                             ("under-replicated", "vehicle-events"), ("under-replicated", "vehicle-packets")]
    assert any("min.insync.replicas=2" in f.message for f in result.findings)


def test_kafka_manager_root_and_registration(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.delete("/kafka-manager/configs/kafka")
    assert kinds(report(reader, prod)) == [("kafka-manager", "kafka")]
    kafka.delete("/kafka-manager")
    assert kinds(report(reader, prod)) == [("kafka-manager", "/kafka-manager")]


def test_an_empty_chroot_is_a_cluster_that_never_started(reader, kafka, prod):
    result = report(reader, prod)
    assert not result.in_sync
    assert {f.kind for f in result.findings} >= {"broker-missing", "controller", "cluster-id", "topic-missing"}


def test_payloads_are_parsed_by_the_fields_present_not_the_version(kafka, reader, prod):
    """An old broker registration (host/port, no endpoints) and a newer one both parse."""
    kafka.cluster_as_declared(prod)
    kafka.put("/brokers/ids/0", b'{"jmx_port":-1,"timestamp":"1","host":"kafka-0","version":1,"port":9092}')
    kafka.put("/brokers/ids/1", b'{"version":9,"host":"h","port":9092,"endpoints":'
                                b'["PLAINTEXT://kafka-1.kafka-headless.kafka-prod.svc.cluster.local:9092"],"new_field":{}}')
    result = report(reader, prod)
    assert result.unreadable == 0
    assert kinds(result) == [("broker-endpoint", "0")]


MALFORMED = [
    ("/brokers/ids/1", b"not json", "not JSON"),
    ("/brokers/ids/1", b'{"endpoints":"PLAINTEXT://x:9092"}', "endpoints"),
    ("/brokers/topics/vehicle-packets", b'{"version":3,"partitions":[[0,1]]}', "partitions"),
    ("/brokers/topics/vehicle-packets", b'{"version":3}', "no partitions"),
    ("/brokers/topics/vehicle-packets/partitions/0/state", b'{"leader":"2","isr":[2]}', "leader"),
    ("/brokers/topics/vehicle-packets/partitions/0/state", b"", "not JSON"),
    ("/brokers/topics/vehicle-packets/partitions/0/state", b'{"leader":1,"isr":[1,true]}', "isr"),
    ("/brokers/topics/vehicle-packets/partitions/0/state", b'{"leader":1,"isr":[1.0]}', "isr"),
    ("/brokers/topics/vehicle-packets", b'{"version":3,"partitions":{"0":[0,1],"\xc2\xb2":[1,0]}}', "partition number"),
    ("/brokers/topics/vehicle-packets", b'{"version":3,"partitions":{"0":[0,false]}}', "partitions.0"),
    ("/config/topics/vehicle-events", b'{"version":1,"config":{"retention.ms":604800000}}', "string values"),
    ("/controller", b"[0]", "JSON object"),
    ("/cluster/id", b'{"version":"1"}', "id"),
    ("/admin/reassign_partitions", b'{"partitions":{"t":0}}', "partitions"),
    ("/kafka-manager/configs/kafka", b"\xff\xfe", "not JSON"),
]


@pytest.mark.parametrize("path,payload,reason", MALFORMED, ids=[f"{p}:{r}" for p, _, r in MALFORMED])
def test_a_malformed_payload_is_unreadable_never_in_sync_and_recovers(kafka, reader, prod, path, payload, reason):
    kafka.cluster_as_declared(prod)
    original = kafka.read(path)
    assert report(reader, prod).in_sync
    kafka.put(path, payload)
    result = eventually(lambda: r if (r := report(reader, prod)).unreadable else None)
    assert not result.in_sync
    finding = next(f for f in result.findings if f.kind == "unreadable")
    assert finding.subject == path and reason in finding.message
    if path.startswith("/brokers/topics/vehicle-packets") and "state" not in path:
        assert dict((t.name, t.status) for t in result.topics)["vehicle-packets"] == "unreadable"
    if path.startswith("/config/topics/"):
        assert dict((t.name, t.status) for t in result.topics)[path.rsplit("/", 1)[1]] == "unreadable"
    if original is None:
        kafka.delete(path)
    else:
        kafka.put(path, original)
    eventually(lambda: report(reader, prod).in_sync)


def test_a_stray_broker_id_is_unreadable(kafka, reader, prod):
    kafka.cluster_as_declared(prod)
    kafka.put("/brokers/ids/not-a-number", b"{}")
    result = report(reader, prod)
    assert [(f.kind, f.subject) for f in result.findings] == [("unreadable", "/brokers/ids/not-a-number")]


def test_equal_replica_lists_and_states_are_one_shared_value_and_unequal_ones_stay_apart():
    """100,000 partitions hold few distinct replica lists and states: parsing shares them (the daemon's memory)."""
    state = km.parse_partition_state(b'{"leader":1,"isr":[1,2],"leader_epoch":3}')
    same = km.parse_partition_state(b'{"controller_epoch":9,"leader":1,"version":1,"leader_epoch":3,"isr":[1,2]}')
    later = km.parse_partition_state(b'{"leader":1,"isr":[1,2],"leader_epoch":4}')
    other = km.parse_partition_state(b'{"leader":2,"isr":[2,1],"leader_epoch":3}')
    assert same is state and later == km.PartitionState(1, (1, 2), 4) and other == km.PartitionState(2, (2, 1), 3)
    assignment = km.parse_assignment(b'{"partitions":{"0":[1,2],"1":[2,1]},"adding_replicas":{},"removing_replicas":{}}')
    assert assignment.replicas == {0: (1, 2), 1: (2, 1)} and assignment.replicas[0] is state.isr
    assert not assignment.reassigning and assignment.replication_factor() == 2
    moving = km.parse_assignment(b'{"partitions":{"0":[1,2,3]},"adding_replicas":{"0":[3]},"removing_replicas":{}}')
    assert moving.adding == {0: (3,)} and moving.reassigning and moving.moving(0)


def test_a_state_parsed_again_from_memory_is_the_state_parsed_afresh():
    """Each distinct state payload is parsed once: byte-equal payloads only, never a failed parse, and
    still right after the memory is full and starts again."""
    payloads = [b'{"controller_epoch":%d,"leader":%d,"version":1,"leader_epoch":%d,"isr":[%d,%d]}' % (c, l, e, l, (l + 1) % 5)
                for c in (1, 2) for l in range(-1, 5) for e in range(km.PARSED_AT_MOST // 6)]
    payloads += [b'{"leader":1,"isr":[1,2]}', b'{"leader":1,"isr":[1,2],"leader_epoch":null}', b'{"leader":1, "isr":[1,2]}']
    for _ in range(2):
        for payload in payloads:
            assert km.parse_partition_state(payload) == km._parse_partition_state(payload)
    for bad in (b'{"leader":1,"isr":[true]}', b'{"leader":1}', b"[1]", None):
        for _ in range(2):
            with pytest.raises(km.PayloadError):
                km.parse_partition_state(bad)
    # the same bytes as another kind's payload are that kind's own parse
    config = b'{"version":1,"config":{"leader":"1"}}'
    assert km.parse_topic_config(config) == {"leader": "1"}
    with pytest.raises(km.PayloadError, match="leader and isr"):
        km.parse_partition_state(config)
    # a config is a dict of its own each time: a caller changing one changes no other topic's
    first = km.parse_topic_config(config)
    first["retention.ms"] = "1"
    assert km.parse_topic_config(config) == {"leader": "1"}


def test_partitions_numbered_from_zero_are_one_tuple_that_behaves_as_their_dict():
    as_dict = {0: (1, 2), 1: (2, 1), 2: (1, 2)}
    dense = km.partition_map(dict(as_dict))
    assert isinstance(dense, km.Partitions)
    assert dense == as_dict and as_dict == dense and dict(dense) == as_dict and repr(dense) == repr(as_dict)
    assert list(dense) == [0, 1, 2] and list(dense.items()) == list(as_dict.items())
    assert list(dense.values()) == list(as_dict.values()) and sorted(dense.items()) == sorted(as_dict.items())
    assert len(dense) == 3 and 2 in dense and 3 not in dense and -1 not in dense and "0" not in dense
    assert dense.get(1) == (2, 1) and dense.get(3) is None and dense.get(-1) is None
    for absent in (3, -1, "0"):
        with pytest.raises(KeyError):
            dense[absent]
    assert dense != {0: (1, 2), 1: (2, 1)} and dense != {0: (1, 2), 1: (2, 1), 3: (1, 2)}
    sparse = {0: (1,), 2: (1,)}
    assert km.partition_map(sparse) is sparse and km.partition_map({}) == {}
    # equal replica maps are one value; keys in any order, numbered from zero or not
    first = km.parse_assignment(b'{"partitions":{"1":[1,2],"0":[2,1]}}')
    second = km.parse_assignment(b'{"partitions":{"0":[2,1],"1":[1,2]},"topic_id":"x"}')
    assert first.replicas is second.replicas and first.replicas == {0: (2, 1), 1: (1, 2)}
    assert km.parse_assignment(b'{"partitions":{"0":[1],"2":[1]}}').replicas == {0: (1,), 2: (1,)}


def test_a_snapshot_of_partition_tuples_reports_as_one_of_dicts(prod):
    """The report (counts, findings, their order) is the same whichever form the reader kept."""
    def snapshot(form):
        topics, states = {}, {}
        extra = [type(prod.topics[0])(name=f"extra-{n}", partitions=12, replication_factor=3) for n in range(3)]
        for i, topic in enumerate(prod.topics + extra):
            replicas = {p: tuple((p + r) % 3 for r in range(topic.replication_factor)) for p in range(topic.partitions)}
            topics[topic.name] = km.Assignment(form(replicas))
            states[topic.name] = form({p: None if (p + i) % 5 == 0 else km.Unreadable(f"/x/{p}", "bad") if (p + i) % 7 == 0
                                       else km.PartitionState(-1 if (p + i) % 4 == 0 else r[0], r[:1 + (p + i) % 3], 0)
                                       for p, r in replicas.items()})
        return km.MetadataSnapshot(cluster_id="c", controller=0, brokers={}, topics=topics, configs={}, states=states)
    with_dicts, with_tuples = snapshot(dict), snapshot(km.partition_map)
    assert isinstance(with_tuples.topics["extra-0"].replicas, km.Partitions)
    assert isinstance(with_tuples.states["extra-0"], km.Partitions)
    expected = km.compare(with_dicts, prod)
    assert expected.partitions_offline and expected.partitions_under_replicated and expected.unreadable
    assert km.compare(with_tuples, prod) == expected
