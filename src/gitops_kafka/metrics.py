"""Prometheus metrics: a custom collector over the daemon's latest report.

Each scrape yields metrics from the current report only, so a drift that was
fixed simply stops being reported: no stale label sets to remove. Per-object
series are bounded by what git declares, plus at most MAX_EXTRAS extras.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, InfoMetricFamily

from gitops_kafka.drift.report import EXTRA

PREFIX = "gitops_kafka"
# Every source a failed check is counted under; "internal" is the detector's own failure (a bug).
SOURCES = ("git", "config", "kustomize", "kubernetes", "zookeeper", "internal")
MAX_EXTRAS = 50


class ReportCollector:
    """Reads the daemon's latest published state on every scrape; never touches git or the cluster itself."""

    def __init__(self, latest: Callable[[], Any]):
        self.latest = latest  # () -> daemon.State, read once per scrape so one scrape shows one check

    def describe(self):
        return []

    def collect(self) -> Iterator:
        state = self.latest()
        env = state.target.env
        yield _gauge("check_success", "1 if the latest check completed, 0 if a source failed",
                     [([env], 1.0 if state.last_ok else 0.0)] if state.checks else [])
        yield _counter("checks", "checks run since start", [([env], state.checks)])
        errors = CounterMetricFamily(f"{PREFIX}_check_errors", "failed checks by the source that failed",
                                     labels=["environment", "source"])
        for source in sorted(set(SOURCES) | set(state.errors)):
            errors.add_metric([env, source], state.errors.get(source, 0))
        yield errors
        yield _gauge("check_last_success_timestamp_seconds", "when the latest successful check started (unix time)",
                     [([env], state.last_success)] if state.last_success else [])
        report = state.report
        if report is None:
            return
        yield _gauge("check_duration_seconds", "duration of the check that produced the current report",
                     [([env], report.duration)])
        yield _gauge("report_stale", "1 if the current report is the last good one, kept after a failed check",
                     [([env], 1.0 if report.stale else 0.0)])
        info = InfoMetricFamily(f"{PREFIX}_git_revision", "git revision the current report compared",
                                labels=["environment"])
        info.add_metric([env], {"revision": report.revision or "unknown"})
        yield info
        objects = list(report.objects)
        extras = [o for o in objects if o.state == EXTRA]
        shown = [o for o in objects if o.state != EXTRA] + extras[:MAX_EXTRAS]
        counts = GaugeMetricFamily(f"{PREFIX}_objects", "objects by drift state", labels=["environment", "state"])
        for name, value in report.counts().items():
            counts.add_metric([env, name], value)
        yield counts
        drift = GaugeMetricFamily(f"{PREFIX}_object_drift", "1 for each object's current drift state",
                                  labels=["environment", "kind", "name", "state"])
        fields = GaugeMetricFamily(f"{PREFIX}_object_drifted_fields", "fields that differ from git, per object",
                                   labels=["environment", "kind", "name"])
        health = GaugeMetricFamily(f"{PREFIX}_object_health", "1 for each object's current health status",
                                   labels=["environment", "kind", "name", "status"])
        for obj in shown:
            drift.add_metric([env, obj.kind, obj.name, obj.state], 1.0)
            fields.add_metric([env, obj.kind, obj.name], len(obj.fields))
            if obj.health:
                health.add_metric([env, obj.kind, obj.name, obj.health.status], 1.0)
        yield drift
        yield fields
        yield health
        if report.kafka is not None:
            yield from report.kafka.metric_families(env)
        if report.sync is not None:
            yield from report.sync.metric_families(env)


def _gauge(name: str, documentation: str, samples) -> GaugeMetricFamily:
    family = GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=["environment"])
    for labels, value in samples:
        family.add_metric(labels, value)
    return family


def _counter(name: str, documentation: str, samples) -> CounterMetricFamily:
    family = CounterMetricFamily(f"{PREFIX}_{name}", documentation, labels=["environment"])
    for labels, value in samples:
        family.add_metric(labels, value)
    return family


# Every metric name the collector can export (for the alert rules and dashboards to be checked against).
EXPORTED = (
    "check_success", "checks_total", "check_errors_total", "check_last_success_timestamp_seconds",
    "check_duration_seconds", "report_stale", "git_revision_info", "objects", "object_drift",
    "object_drifted_fields", "object_health",
)


def exported_metric_names() -> frozenset[str]:
    """Full names of every metric the daemon exports: what alert rules and dashboards may query.

    Each metrics layer contributes its own list here (this collector's EXPORTED;
    a layer adding families through a report section adds its list too).
    """
    from gitops_kafka.drift.sync import EXPORTED as SYNC_EXPORTED
    from gitops_kafka.kafka.metrics import EXPORTED as KAFKA_EXPORTED

    return frozenset(f"{PREFIX}_{name}" for name in (*EXPORTED, *KAFKA_EXPORTED, *SYNC_EXPORTED))
