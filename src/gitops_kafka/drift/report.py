"""What one check found, as small immutable values: per object a state, drifted fields and health.

States follow the GitOps tools' vocabulary: `in_sync`, `modified`, `missing`
(declared, not in the cluster), `extra` (labelled as ours, no longer declared).
A report that could not be refreshed keeps its last good content, marked stale,
with the errors that stopped the refresh.

Field values are masked when the comparison makes them (`compare._Shown`); every
format masks once more what other sources wrote (error and health messages,
sections), so neither JSON, text nor /drift can carry a credential.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from gitops_kafka.mask import mask_text, mask_value

IN_SYNC, MODIFIED, MISSING, EXTRA = "in_sync", "modified", "missing", "extra"
STATES = (IN_SYNC, MODIFIED, MISSING, EXTRA)
HEALTHY, PROGRESSING, DEGRADED, UNKNOWN = "healthy", "progressing", "degraded", "unknown"
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
    interval: float | None = None  # seconds between checks, as the environment's detector settings ask

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

    def as_stale(self, errors: tuple[SourceFailure, ...]) -> "DriftReport":
        """This report, kept as the last good one after a failed refresh."""
        return replace(self, errors=errors, stale=True, sections=dict(self.sections))

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
        for name, section in sorted(self.sections.items()):
            out[name] = section.to_dict() if hasattr(section, "to_dict") else section
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
    for name, section in sorted(report.sections.items()):
        text = section.format_text() if hasattr(section, "format_text") else ""
        if text:
            lines.append(text)
    return mask_text("\n".join(lines)) + "\n"
