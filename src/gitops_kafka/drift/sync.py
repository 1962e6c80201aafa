"""Why something drifted: the sync controller's own status, and a cause per drifted object and topic.

A change Argo CD or Flux has not applied yet is not an incident; a hand edit is; a
sync that keeps failing is another incident. The environment's `Application`
(Argo CD) or `Kustomization` (Flux) says which revision it applied and whether its
last attempt failed; compared with the revision the detector checked, each drift
gets one of four bounded causes:

- `pending-sync`: git is ahead of what the controller applied (or it is applying now);
- `out-of-band`: the controller applied this revision, the cluster differs anyway
  (a person's tool changed it after the last sync: manager and time when known);
- `sync-failing`: the controller tried and failed (its message);
- `unknown`: the controller's status could not be read.

`parse_application`, `parse_kustomization` and `classify` are pure.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Iterable

PENDING_SYNC, OUT_OF_BAND, SYNC_FAILING, UNKNOWN = "pending-sync", "out-of-band", "sync-failing", "unknown"
CAUSES = (PENDING_SYNC, OUT_OF_BAND, SYNC_FAILING, UNKNOWN)
TOPIC = "Topic"  # the kind a topic's cause is reported under
_SHA = re.compile(r"[0-9a-f]{40}")
# Flux Ready=False reasons that mean "still working", not "failed".
_FLUX_PROGRESSING = {"Progressing", "ProgressingWithRetry", "DependencyNotReady"}


@dataclass(frozen=True)
class SyncStatus:
    """What the sync controller reports about the environment: applied revision, failure, activity."""

    tool: str
    name: str
    readable: bool = True
    error: str | None = None
    applied: str | None = None  # the commit the controller last applied successfully
    attempted: str | None = None  # the commit it is applying or last tried
    failing: bool = False
    in_progress: bool = False
    message: str = ""
    synced_at: str | None = None  # when the last sync finished (RFC 3339)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Cause:
    cause: str
    manager: str | None = None
    time: str | None = None
    message: str | None = None

    def describe(self) -> str:
        extra = [x for x in (self.manager, self.time) if x] + ([self.message] if self.message else [])
        return f"{self.cause}{' (' + ', '.join(extra) + ')' if extra else ''}"


def revision(text: Any) -> str | None:
    """The commit of a revision as either tool writes it: `<sha>`, `main@sha1:<sha>`, `main/<sha>`."""
    if not isinstance(text, str):
        return None
    found = _SHA.findall(text)
    return found[-1] if found else None


def parse_application(app: dict[str, Any]) -> SyncStatus:
    """An Argo CD Application's status (2.x and 3.x): applied = the last sync operation's result (or history)."""
    name = (app.get("metadata") or {}).get("name") or ""
    status = app.get("status") or {}
    sync = status.get("sync") or {}
    operation = status.get("operationState") or {}
    result = operation.get("syncResult") or {}
    history = status.get("history") or []
    phase = operation.get("phase")
    succeeded_revision = revision(result.get("revision")) if phase == "Succeeded" else None
    applied = succeeded_revision or (revision(history[-1].get("revision")) if history else None)
    attempted = revision(((operation.get("operation") or {}).get("sync") or {}).get("revision")) or \
        revision(result.get("revision")) or revision(sync.get("revision"))
    failing = phase in ("Failed", "Error")
    message = operation.get("message") or "" if failing else ""
    return SyncStatus("argocd", name, applied=applied, attempted=attempted, failing=failing,
                      in_progress=phase in ("Running", "Terminating"), message=message,
                      synced_at=operation.get("finishedAt") or (history[-1].get("deployedAt") if history else None))


def parse_kustomization(kustomization: dict[str, Any]) -> SyncStatus:
    """A Flux Kustomization's status (v1): lastAppliedRevision, lastAttemptedRevision and the Ready condition."""
    name = (kustomization.get("metadata") or {}).get("name") or ""
    status = kustomization.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    reconciling = any(c.get("type") == "Reconciling" and c.get("status") == "True" for c in status.get("conditions") or [])
    failing = ready.get("status") == "False" and ready.get("reason") not in _FLUX_PROGRESSING
    message = f"{ready.get('reason')}: {ready.get('message') or ''}".strip() if failing else ""
    return SyncStatus("flux", name, applied=revision(status.get("lastAppliedRevision")),
                      attempted=revision(status.get("lastAttemptedRevision")), failing=failing,
                      in_progress=reconciling or ready.get("status") == "Unknown", message=message,
                      synced_at=ready.get("lastTransitionTime") if ready.get("status") == "True" else None)


def classify(status: SyncStatus | None, tracked: str | None, changes: Iterable[tuple[str | None, str | None]] = ()) -> Cause:
    """The cause of one drift, from the controller's status, the revision checked, and who changed what when.

    `changes` are (manager, time) of the drifted fields (managedFields). A person's
    change after the last sync is out-of-band even while git is ahead of the controller.
    """
    from gitops_kafka.drift.compare import HUMAN_MANAGERS

    if status is None or not status.readable:
        return Cause(UNKNOWN, message=status.error if status else None)
    human = sorted(((t or "", m) for m, t in changes if m and HUMAN_MANAGERS.match(m)), reverse=True)
    manager, time = (human[0][1], human[0][0] or None) if human else (None, None)
    if status.failing:
        return Cause(SYNC_FAILING, message=status.message or "the last sync failed")
    behind = tracked is not None and status.applied != tracked
    after_sync = manager is not None and (not status.synced_at or not time or time > status.synced_at)
    if (behind or status.in_progress) and not after_sync:
        return Cause(PENDING_SYNC, message=f"applied {(status.applied or 'nothing')[:12]}, git is at {(tracked or '?')[:12]}")
    known = [(m, t) for m, t in changes if m]
    if manager is None and known:
        manager, time = max(known, key=lambda c: c[1] or "")
    return Cause(OUT_OF_BAND, manager=manager, time=time)


def read_status(config, cluster) -> SyncStatus:
    """The environment's sync object as the cluster reports it; what cannot be read is said, never raised."""
    from gitops_kafka.errors import SourceError
    from gitops_kafka.topology import sync_object

    synced, flux = sync_object(config), config.gitops.tool == "flux"
    name, tool = synced.name, "flux" if flux else "argocd"
    try:
        found = cluster.get(synced.api_version, synced.kind, name, synced.namespace)
    except SourceError as exc:
        return SyncStatus(tool, name, readable=False, error=exc.message)
    if found is None:
        return SyncStatus(tool, name, readable=False, error=f"{synced.kind} {name} not found")
    return parse_kustomization(found) if flux else parse_application(found)


# ---------------------------------------------------------------- the report section

@dataclass(frozen=True)
class SyncSection:
    """The controller's status and the cause of every drifted object and topic: `sync` in the report."""

    status: SyncStatus
    causes: tuple[tuple[str, str, Cause], ...] = ()  # (kind, name, cause)

    def has_drift(self) -> bool:
        return False  # the objects and topics carry the drift; this only explains it

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status.to_dict(),
                "causes": [{"kind": k, "name": n, **{a: b for a, b in asdict(c).items() if b is not None}}
                           for k, n, c in self.causes]}

    def format_text(self) -> str:
        """Nothing when there is nothing to explain; else the controller's state and one line per cause."""
        s = self.status
        if not self.causes and not s.failing:
            return ""
        if not s.readable:
            head = f"sync: {s.tool} {s.name} unreadable ({s.error}): causes unknown"
        else:
            head = (f"sync: {s.tool} {s.name} applied {(s.applied or 'nothing')[:12]}"
                    + (f", FAILING: {s.message}" if s.failing else "") + (", syncing" if s.in_progress else ""))
        return "\n".join([head] + [f"  {c.cause:<12} {k}/{n}{': ' + c.describe()[len(c.cause):].strip(' ()') if c.describe() != c.cause else ''}"
                                   for k, n, c in self.causes])

    def metric_families(self, env: str):
        from prometheus_client.core import GaugeMetricFamily

        causes = GaugeMetricFamily("gitops_kafka_drift_cause", "1 for each drifted object's or topic's cause",
                                   labels=["environment", "kind", "name", "cause"])
        for kind, name, cause in self.causes:
            causes.add_metric([env, kind, name, cause.cause], 1.0)
        yield causes
        readable = GaugeMetricFamily("gitops_kafka_sync_status_readable",
                                     "1 if the sync controller's status (Application or Kustomization) could be read",
                                     labels=["environment", "tool"])
        readable.add_metric([env, self.status.tool], 1.0 if self.status.readable else 0.0)
        yield readable


EXPORTED = ("drift_cause", "sync_status_readable")


def section(status: SyncStatus, tracked: str | None, objects, kafka=None) -> SyncSection:
    """The causes of every drifted object (from its fields' managers) and every drifted topic."""
    causes = [(o.kind, o.name, classify(status, tracked, [(f.manager, f.time) for f in o.fields]))
              for o in objects if o.has_drift()]
    metadata = getattr(kafka, "metadata", None)
    if metadata is not None:
        topics = [t.name for t in metadata.topics if t.status in ("drift", "missing")] + list(metadata.extra_topics)
        causes += [(TOPIC, name, classify(status, tracked)) for name in topics]
    return SyncSection(status, tuple(causes))
