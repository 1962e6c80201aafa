"""The alerts written beside the drift detector, with each alert's own defaults."""
from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from gitops_kafka.config.fields import Int32, PrometheusDuration, HttpUrl, Section


Severity = Literal["critical", "warning", "info"]


class Alert(Section):
    """One alert: how long its condition must hold before it fires, and whom it pages."""

    enabled: bool = True
    for_: PrometheusDuration = Field(alias="for")
    severity: Severity = "warning"


class ThresholdAlert(Alert):
    threshold: Int32 = Field(default=0, ge=0, description="fires when the count is above this")


class StaleAlert(Alert):
    after_intervals: Int32 = Field(default=5, ge=2, description="no successful check for this many detector intervals")


# Each alert's defaults; an environment file that sets one key of an alert keeps the others.
ALERT_DEFAULTS: dict[str, tuple[type[Alert], dict[str, Any]]] = {
    "drift": (Alert, {"for": "15m"}),
    "drift_out_of_band": (Alert, {"for": "10m"}),
    "sync_failing": (Alert, {"for": "15m", "severity": "critical"}),
    "sync_pending": (Alert, {"for": "1h"}),
    "check_failing": (Alert, {"for": "10m"}),
    "check_stale": (StaleAlert, {"for": "2m"}),
    "detector_down": (Alert, {"for": "5m"}),
    "detector_absent": (Alert, {"for": "15m"}),
    "zookeeper_quorum_lost": (Alert, {"for": "1m", "severity": "critical"}),
    "zookeeper_member_down": (Alert, {"for": "5m"}),
    "kafka_metadata_unreadable": (Alert, {"for": "10m"}),
    "broker_not_registered": (Alert, {"for": "5m"}),
    "controller_missing": (Alert, {"for": "2m", "severity": "critical"}),
    "topic_drift": (Alert, {"for": "15m"}),
    "partitions_offline": (ThresholdAlert, {"for": "1m", "severity": "critical"}),
    "partitions_under_replicated": (ThresholdAlert, {"for": "10m"}),
    "partitions_under_min_isr": (ThresholdAlert, {"for": "5m", "severity": "critical"}),
    "statefulset_rollout": (Alert, {"for": "30m"}),
}


def _alert(name: str):
    kind, values = ALERT_DEFAULTS[name]
    return Field(default_factory=lambda: kind.model_validate(values))


class Alerts(Section):
    """The PrometheusRule and Grafana dashboard written beside the drift detector; see docs/runbooks.md."""

    enabled: bool = Field(default=True, description="write the PrometheusRule (needs the Prometheus Operator)")
    dashboard: bool = Field(default=True, description="write the Grafana dashboard ConfigMap (sidecar label)")
    runbook_url: HttpUrl | None = Field(
        default=None, description="URL of docs/runbooks.md; default: the file in gitops.repo_url at gitops.revision")
    drift: Alert = _alert("drift")
    drift_out_of_band: Alert = _alert("drift_out_of_band")
    sync_failing: Alert = _alert("sync_failing")
    sync_pending: Alert = _alert("sync_pending")  # its `for` is the grace period a sync may take
    check_failing: Alert = _alert("check_failing")
    check_stale: StaleAlert = _alert("check_stale")
    detector_down: Alert = _alert("detector_down")
    detector_absent: Alert = _alert("detector_absent")
    zookeeper_quorum_lost: Alert = _alert("zookeeper_quorum_lost")
    zookeeper_member_down: Alert = _alert("zookeeper_member_down")
    kafka_metadata_unreadable: Alert = _alert("kafka_metadata_unreadable")
    broker_not_registered: Alert = _alert("broker_not_registered")
    controller_missing: Alert = _alert("controller_missing")
    topic_drift: Alert = _alert("topic_drift")
    partitions_offline: ThresholdAlert = _alert("partitions_offline")
    partitions_under_replicated: ThresholdAlert = _alert("partitions_under_replicated")
    partitions_under_min_isr: ThresholdAlert = _alert("partitions_under_min_isr")
    statefulset_rollout: Alert = _alert("statefulset_rollout")

    @model_validator(mode="before")
    @classmethod
    def _keep_alert_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: {**ALERT_DEFAULTS[key][1], **value} if key in ALERT_DEFAULTS and isinstance(value, dict) else value
                for key, value in data.items()}
