"""What one check found, as small immutable values: per object a state, drifted fields and health.

States follow the GitOps tools' vocabulary: `in_sync`, `modified`, `missing`
(declared, not in the cluster), `extra` (labelled as ours, no longer declared).
A report that could not be refreshed keeps its last good content, marked stale,
with the errors that stopped the refresh.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

IN_SYNC, MODIFIED, MISSING, EXTRA = "in_sync", "modified", "missing", "extra"
STATES = (IN_SYNC, MODIFIED, MISSING, EXTRA)
HEALTHY, PROGRESSING, DEGRADED, UNKNOWN = "healthy", "progressing", "degraded", "unknown"
HEALTH_STATES = (HEALTHY, PROGRESSING, DEGRADED, UNKNOWN)
MASK = "*** (masked)"


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
    status: str
    message: str = ""


@dataclass(frozen=True)
class ObjectDrift:
    api_version: str
    kind: str
    name: str
    namespace: str | None
    state: str
    fields: tuple[FieldDrift, ...] = ()
    health: Health | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"

    def has_drift(self) -> bool:
        return self.state != IN_SYNC


@dataclass(frozen=True)
class SourceFailure:
    source: str
    message: str


@dataclass(frozen=True)
class DriftReport:
    environment: str
    revision: str | None
    started: float
    duration: float
    objects: tuple[ObjectDrift, ...] = ()
    errors: tuple[SourceFailure, ...] = ()
    stale: bool = False
    sections: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """The check ran to the end: every source answered."""
        return not self.errors

    def drifted(self) -> list[ObjectDrift]:
        return [o for o in self.objects if o.has_drift()]

    def has_drift(self) -> bool:
        return bool(self.drifted()) or any(getattr(s, "has_drift", lambda: False)() for s in self.sections.values())

    def counts(self) -> dict[str, int]:
        return {state: sum(1 for o in self.objects if o.state == state) for state in STATES}

    def as_stale(self, errors: tuple[SourceFailure, ...], started: float, duration: float) -> "DriftReport":
        """This report, kept as the last good one after a failed refresh."""
        return replace(self, errors=errors, stale=True, sections=dict(self.sections))

    def to_dict(self) -> dict[str, Any]:
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
                    "state": o.state,
                    "fields": [asdict(f) for f in o.fields],
                    "health": asdict(o.health) if o.health else None,
                }
                for o in self.objects
            ],
        }
        for name, section in sorted(self.sections.items()):
            out[name] = section.to_dict() if hasattr(section, "to_dict") else section
        return out
