"""What one check found, as small immutable values: per object a state, drifted fields and health.

States follow the GitOps tools' vocabulary: `in_sync`, `modified`, `missing`
(declared, not in the cluster), `extra` (labelled as ours, no longer declared).
A report that could not be refreshed keeps its last good content, marked stale,
with the errors that stopped the refresh.

Field values are masked when the comparison makes them (`compare._Shown`); every
format masks once more what other sources wrote (error and health messages,
the Kafka check), so neither JSON, text nor /drift can carry a credential.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, replace
from enum import Enum
from typing import Any, Iterator, Protocol

from gitops_kafka.mask import mask_text, mask_value
from gitops_kafka.terminal import printable



class SyncState(str, Enum):
    """Where an object stands against git. A str: JSON, metrics labels and text show the value."""

    IN_SYNC = "in_sync"
    MODIFIED = "modified"
    MISSING = "missing"  # declared, not in the cluster
    EXTRA = "extra"  # labelled as ours, no longer declared

    __str__ = str.__str__
    __format__ = str.__format__


class HealthStatus(str, Enum):
    """How a live object is doing, worst last."""

    HEALTHY = "healthy"
    UNKNOWN = "unknown"
    PROGRESSING = "progressing"
    DEGRADED = "degraded"

    __str__ = str.__str__
    __format__ = str.__format__


IN_SYNC, MODIFIED, MISSING, EXTRA = SyncState
STATES = tuple(SyncState)
HEALTHY, UNKNOWN, PROGRESSING, DEGRADED = HealthStatus
HEALTH_STATES = (HEALTHY, PROGRESSING, DEGRADED, UNKNOWN)


@dataclass(frozen=True)
class FieldDrift:
    """One field that differs: where, what git says, what runs, and who changed it when known."""

    path: str
    desired: Any
    live: Any
    manager: str | None = None
    time: str | None = None


@dataclass(frozen=True)
class Health:
    status: HealthStatus
    message: str = ""


@dataclass(frozen=True)
class ObjectDrift:
    api_version: str
    kind: str
    name: str
    namespace: str | None
    state: SyncState
    fields: tuple[FieldDrift, ...] = ()
    health: Health | None = None
    cause: str | None = None  # why it drifted (drift/sync.py): pending-sync, out-of-band, sync-failing, unknown

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def has_drift(self) -> bool:
        return self.state != IN_SYNC


@dataclass(frozen=True)
class SourceFailure:
    source: str
    message: str


class KafkaSection(Protocol):
    """What a report needs of the Kafka check (`gitops_kafka.kafka.check.KafkaCheck`), without importing it."""

    @property
    def readable(self) -> bool:
        """ZooKeeper answered: Kafka's metadata could be read."""

    def has_drift(self) -> bool: ...

    def to_dict(self) -> dict[str, Any]: ...

    def format_text(self) -> str: ...

    def metric_families(self, environment: str | None = None) -> Iterator[Any]: ...


class SyncExplanation(Protocol):
    """What a report needs of the causes section (`gitops_kafka.drift.sync.SyncSection`)."""

    def to_dict(self) -> dict[str, Any]: ...

    def format_text(self) -> str: ...

    def metric_families(self, env: str) -> Iterator[Any]: ...


@dataclass(frozen=True)
class DriftReport:
    environment: str
    revision: str | None
    started: float
    duration: float
    objects: tuple[ObjectDrift, ...] = ()
    errors: tuple[SourceFailure, ...] = ()
    stale: bool = False
    kafka: KafkaSection | None = None  # the Kafka check, when the target asks for one
    sync: SyncExplanation | None = None  # the sync controller's status and each drift's cause (drift/sync.py)
    interval: float | None = None  # seconds between checks, as the environment's detector settings ask

    @property
    def ok(self) -> bool:
        """The check ran to the end: every source answered."""
        return not self.errors

    def drifted(self) -> list[ObjectDrift]:
        return [o for o in self.objects if o.has_drift()]

    def has_drift(self) -> bool:
        return bool(self.drifted()) or (self.kafka is not None and self.kafka.has_drift())

    def unread_sources(self) -> tuple[str, ...]:
        """Sources a completed check could not read: ZooKeeper when Kafka's metadata was unreadable."""
        return ("zookeeper",) if self.kafka is not None and not self.kafka.readable else ()

    def exit_code(self) -> int:
        """What `check` exits with: 2 when a source could not be read (an error, not a verdict), 1 drift, 0."""
        if self.unread_sources():
            return 2
        return 1 if self.has_drift() else 0

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for o in self.objects if o.state == state) for state in STATES}

    def as_stale(self, errors: tuple[SourceFailure, ...]) -> "DriftReport":
        """This report, kept as the last good one after a failed refresh."""
        return replace(self, errors=errors, stale=True)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (`check --format json`, `/drift`), masked."""
        out = {
            "environment": self.environment,
            "revision": self.revision,
            "started": self.started,
            "duration_seconds": round(self.duration, 6),
            "stale": self.stale,
            "in_sync": not self.has_drift(),
            "counts": self.counts(),
            "errors": [asdict(e) for e in self.errors],
            "objects": [
                {
                    "apiVersion": o.api_version, "kind": o.kind, "name": o.name, "namespace": o.namespace,
                    "state": o.state, "cause": o.cause,
                    "fields": [asdict(f) for f in o.fields],
                    "health": asdict(o.health) if o.health else None,
                }
                for o in self.objects
            ],
        }
        if self.kafka is not None:
            out["kafka"] = self.kafka.to_dict()
        if self.sync is not None:
            out["sync"] = self.sync.to_dict()
        return mask_value(out)


def _show(value: Any) -> str:
    text = repr(value) if not isinstance(value, (dict, list)) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 120 else text[:117] + "..."


def format_text(report: DriftReport) -> str:
    """A terminal summary: one line per drifted or unhealthy object, one per drifted field."""
    counts = report.counts()
    drifted = report.drifted()
    revision = (report.revision or "unknown revision")[:12]
    head = f"{report.environment} @ {revision}: "
    if report.stale:
        head += "STALE (last good report shown; the latest check failed) "
    head += (f"{len(drifted)} of {len(report.objects)} objects drifted "
             f"({counts[MODIFIED]} modified, {counts[MISSING]} missing, {counts[EXTRA]} extra)"
             if drifted else f"in sync ({len(report.objects)} objects)")
    lines = [head]
    for error in report.errors:
        lines.append(f"  error  {error.source}: {error.message}")
    for obj in drifted:
        lines.append(f"  {obj.state:<9} {obj.ref}" + (f"  [{obj.cause}]" if obj.cause else ""))
        for f in obj.fields:
            who = f" ({f.manager}{', ' + f.time if f.time else ''})" if f.manager else ""
            lines.append(f"      {f.path}: {_show(f.desired)} -> {_show(f.live)}{who}")
    for obj in report.objects:
        if obj.health and obj.health.status not in (HEALTHY,) and obj.state != MISSING:
            lines.append(f"  {obj.health.status:<9} {obj.ref}: {obj.health.message}")
    if report.kafka is not None:
        lines.append(report.kafka.format_text())
    if report.sync is not None and report.sync.format_text():
        lines.append(report.sync.format_text())
    return printable(mask_text("\n".join(lines))) + "\n"
