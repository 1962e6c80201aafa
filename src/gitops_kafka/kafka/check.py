"""One check of ZooKeeper and Kafka against an environment: ensemble health plus metadata.

`KafkaMonitor` is what a daemon keeps between cycles (its reader holds the watches);
`check` is the one-shot form the CLI uses. A cycle never raises for a source that
cannot be read: the report says what could not be read, which is never "in sync".
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.kafka import metadata as km
from gitops_kafka.kafka.ensemble import EnsembleHealth, check_ensemble, declared_members
from gitops_kafka.kafka.reader import KafkaReader
from gitops_kafka.errors import SourceError
from gitops_kafka.terminal import printable

HOSTS_VARIABLE = "GITOPS_KAFKA_ZOOKEEPER"


@dataclass(frozen=True)
class ZooKeeperAddress:
    """Where to look: the ensemble members, and the chroot Kafka keeps its znodes under."""

    members: tuple[str, ...]
    chroot: str | None

    @property
    def hosts(self) -> str:
        return ",".join(self.members)


def target(config: EnvironmentConfig, hosts: str | None = None) -> ZooKeeperAddress:
    """The declared members, or `hosts` ('h:p,h:p[/chroot]', else $GITOPS_KAFKA_ZOOKEEPER) instead.

    A chroot written after the hosts replaces the environment's `kafka.zookeeper_chroot`.
    """
    hosts = hosts or os.environ.get(HOSTS_VARIABLE) or None
    if not hosts:
        return ZooKeeperAddress(tuple(declared_members(config)), config.kafka.zookeeper_chroot)
    hosts, slash, chroot = hosts.partition("/")
    members = tuple(h.strip() for h in hosts.split(",") if h.strip())
    if not members:
        raise SourceError("zookeeper", f"no ZooKeeper hosts in {hosts!r}")
    return ZooKeeperAddress(members, f"/{chroot.strip('/')}" if slash and chroot.strip("/") else config.kafka.zookeeper_chroot)


@dataclass(frozen=True)
class KafkaCheck:
    ensemble: EnsembleHealth
    metadata: km.KafkaMetadataReport

    @property
    def in_sync(self) -> bool:
        return self.ensemble.healthy and self.metadata.in_sync

    @property
    def readable(self) -> bool:
        return self.metadata.readable

    def has_drift(self) -> bool:
        """`drift.report.KafkaSection`: anything found, or anything that could not be read."""
        return not self.in_sync

    def to_dict(self) -> dict[str, Any]:
        return {"in_sync": self.in_sync, "zookeeper": self.ensemble.to_dict(), "kafka": self.metadata.to_dict()}

    def format_text(self) -> str:
        return format_text(self)

    def metric_families(self, environment: str | None = None):
        """`drift.report.KafkaSection`: this check's families for `metrics.ReportCollector`, labelled by environment."""
        from gitops_kafka.kafka.metrics import metric_families

        return metric_families(self.ensemble, self.metadata, environment)


class KafkaMonitor:
    """Checks one environment cycle after cycle, re-reading only what changed."""

    def __init__(self, config: EnvironmentConfig, where: ZooKeeperAddress, timeout: float = 10.0):
        self.config = config
        self.target = where
        self.timeout = timeout
        self.reader = KafkaReader(where.hosts, where.chroot, config.cluster_name, timeout, km.kafka_manager_root(config))
        self.snapshot: km.MetadataSnapshot | None = None

    def cycle(self) -> KafkaCheck:
        ensemble = check_ensemble(list(self.target.members), min(self.timeout, 2.0))
        try:
            self.snapshot = self.reader.read()
        except SourceError as exc:
            self.snapshot = None
            return KafkaCheck(ensemble, km.unreadable_report(exc.message))
        return KafkaCheck(ensemble, km.compare(self.snapshot, self.config))

    def close(self) -> None:
        self.reader.close()


def check(config: EnvironmentConfig, where: ZooKeeperAddress, timeout: float = 10.0) -> tuple[KafkaCheck, km.MetadataSnapshot | None]:
    monitor = KafkaMonitor(config, where, timeout)
    try:
        return monitor.cycle(), monitor.snapshot
    finally:
        monitor.close()


def format_text(result: KafkaCheck) -> str:
    ensemble, report = result.ensemble, result.metadata
    lines = [f"zookeeper: {ensemble.serving}/{ensemble.declared} members serving, "
             f"quorum {'yes' if ensemble.quorum else 'NO'}, leaders {ensemble.leaders}"]
    for member in ensemble.members:
        detail = member.mode or "unreachable"
        if member.latency_ms is not None:
            detail += f", latency {member.latency_ms} ms, outstanding {member.outstanding_requests}, znodes {member.znode_count}"
        if member.synced_followers is not None:
            detail += f", synced followers {member.synced_followers}"
        if member.error:
            detail += f" ({member.error})"
        lines.append(f"  {member.address}: {detail}")
    if not report.readable:
        lines.append(f"kafka: UNREADABLE: {report.error}")
        return printable("\n".join(lines))
    lines.append(f"kafka: cluster {report.cluster_id or '?'}, controller {report.controller if report.controller is not None else 'none'}, "
                 f"brokers {len(report.brokers_registered)}/{len(report.brokers_expected)}, "
                 f"{report.partitions} partitions ({report.partitions_offline} offline, "
                 f"{report.partitions_under_replicated} under-replicated, {report.partitions_under_min_isr} under min ISR)")
    for topic in report.topics:
        lines.append(f"  topic {topic.name}: {topic.status}" + (f" ({', '.join(topic.kinds)})" if topic.kinds else ""))
    for state, names in (("pending deletion", report.pending_deletion), ("reassignment in progress", report.reassigning)):
        if names:
            lines.append(f"  {state}: {', '.join(names)}")
    if report.findings:
        lines.append(f"{len(report.findings)} finding{'s' if len(report.findings) != 1 else ''}:")
        lines += [f"  [{f.kind}] {f.message}" for f in report.findings]
    else:
        lines.append("kafka metadata matches git")
    return printable("\n".join(lines))
