"""Prometheus metric families from the latest ensemble health and Kafka metadata report.

Called by a collector on each scrape, so a fixed problem simply stops being reported.
Label sets stay bounded: members and brokers the environment declares (plus brokers
that registered anyway), topics git declares, and at most EXTRA_TOPICS_LISTED extras.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from functools import partial

from prometheus_client.core import GaugeMetricFamily, Metric

from gitops_kafka.kafka.ensemble import MODES, EnsembleHealth
from gitops_kafka.kafka.metadata import DIFFERING_TOPICS, KafkaMetadataReport, TopicState

EXTRA_TOPICS_LISTED = 20
PREFIX = "gitops_kafka"


# Every family this layer exports, by name without the prefix: what alerts and dashboards may query.
EXPORTED = (
    "zookeeper_member_up", "zookeeper_member_mode", "zookeeper_member_latency_seconds",
    "zookeeper_member_outstanding_requests", "zookeeper_member_znodes", "zookeeper_synced_followers",
    "zookeeper_members_declared", "zookeeper_members_serving", "zookeeper_leaders", "zookeeper_quorum",
    "kafka_metadata_readable", "kafka_broker_registered", "kafka_brokers_expected", "kafka_controller_elected",
    "topic_drift", "topics_declared", "topics_drifted", "topics_extra", "partitions", "partitions_offline",
    "partitions_under_replicated", "partitions_under_min_isr", "kafka_znodes_unreadable", "kafka_findings",
)


class _Family(GaugeMetricFamily):
    """A gauge whose samples all carry `environment` first when one is given."""

    def __init__(self, name: str, documentation: str, labels: list[str], environment: str | None):
        self._environment = [environment] if environment is not None else []
        super().__init__(name, documentation, labels=(["environment"] if environment is not None else []) + labels)

    def add_metric(self, labels, value, timestamp=None):
        super().add_metric([*self._environment, *labels], value, timestamp)


def _gauge(name: str, documentation: str, value: float | None = None, labels: list[str] | None = None,
           environment: str | None = None):
    family = _Family(f"{PREFIX}_{name}", documentation, list(labels or []), environment)
    if value is not None:
        family.add_metric([], value)
    return family


def ensemble_families(health: EnsembleHealth, environment: str | None = None) -> Iterator[Metric]:
    gauge = partial(_gauge, environment=environment)
    up = gauge("zookeeper_member_up", "1 if the member answers four-letter words", labels=["member"])
    mode = gauge("zookeeper_member_mode", "1 for the member's current mode", labels=["member", "mode"])
    latency = gauge("zookeeper_member_latency_seconds", "average request latency the member reports", labels=["member"])
    outstanding = gauge("zookeeper_member_outstanding_requests", "requests queued on the member", labels=["member"])
    znodes = gauge("zookeeper_member_znodes", "znodes in the member's data tree", labels=["member"])
    synced = gauge("zookeeper_synced_followers", "followers in sync, as the leader reports", labels=["member"])
    for member in health.members:
        up.add_metric([member.address], 1 if member.reachable else 0)
        for known in MODES:
            mode.add_metric([member.address, known], 1 if member.mode == known else 0)
        if member.latency_ms is not None:
            latency.add_metric([member.address], member.latency_ms / 1000)
        if member.outstanding_requests is not None:
            outstanding.add_metric([member.address], member.outstanding_requests)
        if member.znode_count is not None:
            znodes.add_metric([member.address], member.znode_count)
        if member.synced_followers is not None:
            synced.add_metric([member.address], member.synced_followers)
    yield from (up, mode, latency, outstanding, znodes, synced)
    yield gauge("zookeeper_members_declared", "ensemble members the environment declares", health.declared)
    yield gauge("zookeeper_members_serving", "members serving requests", health.serving)
    yield gauge("zookeeper_leaders", "members that report being the leader", health.leaders)
    yield gauge("zookeeper_quorum", "1 if the ensemble has quorum and one leader", 1 if health.quorum else 0)


def kafka_families(report: KafkaMetadataReport, environment: str | None = None) -> Iterator[Metric]:
    gauge = partial(_gauge, environment=environment)
    yield gauge("kafka_metadata_readable", "1 if Kafka's metadata could be read from ZooKeeper", 1 if report.readable else 0)
    if not report.readable:
        return
    registered = gauge("kafka_broker_registered", "1 if the broker is registered in ZooKeeper", labels=["broker_id"])
    for broker_id in sorted(set(report.brokers_expected) | set(report.brokers_registered)):
        registered.add_metric([str(broker_id)], 1 if broker_id in report.brokers_registered else 0)
    yield registered
    yield gauge("kafka_brokers_expected", "brokers the environment declares", len(report.brokers_expected))
    yield gauge("kafka_controller_elected", "1 if a controller is elected", 0 if report.controller is None else 1)
    drift = gauge("topic_drift", "1 per topic and kind of difference from git", labels=["topic", "kind"])
    declared = {t.name for t in report.topics}
    for finding in report.findings:
        if finding.subject in declared and finding.kind in ("topic-missing", "partitions", "replication-factor", "config"):
            drift.add_metric([finding.subject, finding.kind], 1)
    for topic in report.topics:
        if topic.status == TopicState.UNREADABLE:
            drift.add_metric([topic.name, "unreadable"], 1)
    for name in report.extra_topics[:EXTRA_TOPICS_LISTED]:
        drift.add_metric([name, "topic-extra"], 1)
    yield drift
    yield gauge("topics_declared", "topics git declares", len(report.topics))
    yield gauge("topics_drifted", "declared topics that differ from git or are missing",
                 sum(t.status in DIFFERING_TOPICS for t in report.topics))
    yield gauge("topics_extra", "topics in Kafka git does not declare (excluded patterns aside)", len(report.extra_topics))
    yield gauge("partitions", "partitions in Kafka", report.partitions)
    yield gauge("partitions_offline", "partitions without a leader", report.partitions_offline)
    yield gauge("partitions_under_replicated", "partitions with fewer in-sync replicas than replicas",
                 report.partitions_under_replicated)
    yield gauge("partitions_under_min_isr", "partitions with fewer in-sync replicas than min.insync.replicas",
                 report.partitions_under_min_isr)
    yield gauge("kafka_znodes_unreadable", "Kafka znodes whose payload could not be understood", report.unreadable)
    kinds = gauge("kafka_findings", "findings by kind", labels=["kind"])
    for kind, count in sorted(Counter(f.kind for f in report.findings).items()):
        kinds.add_metric([kind], count)
    yield kinds


def metric_families(health: EnsembleHealth | None, report: KafkaMetadataReport | None,
                    environment: str | None = None) -> Iterator[Metric]:
    """Everything this layer exports; either part may be absent (not checked yet).

    With `environment`, every sample carries an `environment` label first, as the
    daemon's other families do.
    """
    if health is not None:
        yield from ensemble_families(health, environment)
    if report is not None:
        yield from kafka_families(report, environment)
