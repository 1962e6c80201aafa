"""Prometheus exposition of ensemble health and Kafka metadata, read from a real ZooKeeper."""
from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from helpers import PROJECT
from gitops_kafka.config import load_environment
from gitops_kafka.kafka import metadata as km
from gitops_kafka.kafka.check import KafkaMonitor, ZooKeeperAddress
from gitops_kafka.kafka.metrics import EXTRA_TOPICS_LISTED, metric_families


@pytest.fixture(scope="module")
def prod():
    return load_environment(PROJECT, "prod")


def scrape(health, report) -> dict[str, list]:
    class Collector:
        def collect(self):
            return metric_families(health, report)

    registry = CollectorRegistry()
    registry.register(Collector())
    samples: dict[str, list] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples, name, **labels):
    return next(v for l, v in samples[name] if l == labels)


def test_metrics_of_a_drifted_cluster(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    kafka.delete("/brokers/ids/2")
    kafka.topic("vehicle-packets", {0: [0, 1], 1: [1, 0]}, {"retention.ms": "5"})
    kafka.state("vehicle-events", 1, -1, [])
    kafka.state("vehicle-events", 2, 2, [2])
    for i in range(EXTRA_TOPICS_LISTED + 10):
        kafka.topic(f"extra-{i:03d}", {0: [0, 1]}, states=False)
    monitor = KafkaMonitor(prod, ZooKeeperAddress((zookeeper.members[0].address,), kafka_root), timeout=5)
    try:
        result = monitor.cycle()
    finally:
        monitor.close()
    samples = scrape(result.ensemble, result.metadata)
    member = zookeeper.members[0].address
    assert value(samples, "gitops_kafka_zookeeper_member_up", member=member) == 1
    assert value(samples, "gitops_kafka_zookeeper_member_mode", member=member, mode="standalone") == 1
    assert value(samples, "gitops_kafka_zookeeper_member_mode", member=member, mode="leader") == 0
    assert value(samples, "gitops_kafka_zookeeper_quorum") == 1
    assert value(samples, "gitops_kafka_zookeeper_members_serving") == 1
    assert value(samples, "gitops_kafka_kafka_metadata_readable") == 1
    assert [value(samples, "gitops_kafka_kafka_broker_registered", broker_id=str(b)) for b in range(3)] == [1, 1, 0]
    assert value(samples, "gitops_kafka_kafka_controller_elected") == 1
    drift = {(l["topic"], l["kind"]) for l, v in samples["gitops_kafka_topic_drift"]}
    assert ("vehicle-packets", "partitions") in drift and ("vehicle-packets", "config") in drift
    assert sum(kind == "topic-extra" for _, kind in drift) == EXTRA_TOPICS_LISTED  # bounded label set
    assert value(samples, "gitops_kafka_topics_extra") == EXTRA_TOPICS_LISTED + 10
    assert value(samples, "gitops_kafka_partitions_offline") == 1 + EXTRA_TOPICS_LISTED + 10  # no state znodes
    assert value(samples, "gitops_kafka_partitions_under_replicated") == 1
    assert value(samples, "gitops_kafka_partitions_under_min_isr") == 0  # vehicle-events allows 1


def test_an_unreadable_source_exports_readable_0_and_no_stale_kafka_series():
    samples = scrape(None, km.unreadable_report("zookeeper: cannot connect"))
    assert samples == {"gitops_kafka_kafka_metadata_readable": [({}, 0.0)]}


def test_every_sample_carries_the_environment_when_given_and_every_family_is_listed(zookeeper, kafka, kafka_root, prod):
    from gitops_kafka.kafka.metrics import EXPORTED, PREFIX

    kafka.cluster_as_declared(prod)
    monitor = KafkaMonitor(prod, ZooKeeperAddress((zookeeper.members[0].address,), kafka_root), timeout=5)
    try:
        result = monitor.cycle()
    finally:
        monitor.close()
    families = list(metric_families(result.ensemble, result.metadata, environment="prod"))
    assert {f.name for f in families} == {f"{PREFIX}_{name}" for name in EXPORTED}
    samples = [s for f in families for s in f.samples]
    assert samples and all(s.labels.get("environment") == "prod" for s in samples)
    assert list(samples[0].labels) == ["environment", "member"]


def test_a_kafka_check_is_a_report_section_the_daemon_collector_exports(zookeeper, kafka, kafka_root, prod):
    """metrics.ReportCollector yields `report.kafka.metric_families(env)` for a DriftReport with a Kafka check."""
    from gitops_kafka import metrics

    kafka.cluster_as_declared(prod)
    kafka.state("vehicle-events", 0, -1, [])
    monitor = KafkaMonitor(prod, ZooKeeperAddress((zookeeper.members[0].address,), kafka_root), timeout=5)
    try:
        section = monitor.cycle()
    finally:
        monitor.close()
    assert section.has_drift()
    names = {f.name for f in section.metric_families("prod")}
    assert names <= metrics.exported_metric_names()
    offline = next(f for f in section.metric_families("prod") if f.name == "gitops_kafka_partitions_offline")
    assert [(s.labels, s.value) for s in offline.samples] == [({"environment": "prod"}, 1.0)]
