"""The report's typed seams: states are Enums that print as their values; one exit code for cli and daemon."""
from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from gitops_kafka.drift.report import EXTRA, IN_SYNC, DriftReport, HealthStatus, ObjectDrift, SyncState, format_text
from gitops_kafka.kafka.metadata import TopicState

SOURCE = Path(__file__).resolve().parent.parent / "src" / "gitops_kafka"


@dataclass(frozen=True)
class FakeKafka:
    """A stand-in at the KafkaSection seam (the Protocol drift.report declares)."""

    readable: bool
    drift: bool = False

    def has_drift(self) -> bool:
        return self.drift or not self.readable

    def to_dict(self):
        return {"in_sync": not self.has_drift()}

    def format_text(self) -> str:
        return "kafka: in sync" if not self.has_drift() else "kafka: drift"

    def metric_families(self, environment=None):
        return iter(())


def report(*objects, kafka=None) -> DriftReport:
    return DriftReport("prod", "abc", 1.0, 0.5, objects=objects, kafka=kafka)


def test_states_are_enums_that_serialize_as_before():
    obj = ObjectDrift("v1", "ConfigMap", "left-over", "kafka", EXTRA)
    data = report(obj).to_dict()
    assert isinstance(obj.state, SyncState) and data["objects"][0]["state"] == "extra"
    assert json.dumps(data["counts"], sort_keys=True) == '{"extra": 1, "in_sync": 0, "missing": 0, "modified": 0}'
    assert json.dumps([SyncState.IN_SYNC, HealthStatus.DEGRADED, TopicState.PENDING_DELETION]) == \
        '["in_sync", "degraded", "pending-deletion"]'
    assert f"{obj.state:<9}|" == "extra    |" and "  extra     ConfigMap/left-over" in format_text(report(obj))


def test_exit_code_is_computed_once_by_the_report():
    in_sync = ObjectDrift("v1", "ConfigMap", "a", "kafka", IN_SYNC)
    extra = ObjectDrift("v1", "ConfigMap", "b", "kafka", EXTRA)
    assert report(in_sync).exit_code() == 0
    assert report(in_sync, extra).exit_code() == 1
    assert report(in_sync, kafka=FakeKafka(readable=True, drift=True)).exit_code() == 1
    unreadable = report(in_sync, kafka=FakeKafka(readable=False))
    assert unreadable.exit_code() == 2 and unreadable.unread_sources() == ("zookeeper",)
    assert report(in_sync, kafka=FakeKafka(readable=True)).to_dict()["kafka"] == {"in_sync": True}


def test_no_two_classes_share_a_name():
    seen: dict[str, list[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                seen.setdefault(node.name, []).append(str(path.relative_to(SOURCE)))
    assert {name: where for name, where in seen.items() if len(where) > 1} == {}
