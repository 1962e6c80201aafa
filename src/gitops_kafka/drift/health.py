"""Health of live objects, one small function per kind (in the spirit of Argo CD's health checks).

A StatefulSet whose spec changed but whose pods still run the old revision is
"progressing" at best; with the OnDelete strategy (the seed's Kafka) it waits for
someone to delete the pods, and says so.
"""
from __future__ import annotations

from typing import Any, Callable

from gitops_kafka.drift.report import DEGRADED, HEALTHY, PROGRESSING, UNKNOWN, Health


def stateful_set(obj: dict[str, Any]) -> Health:
    spec, status = obj.get("spec", {}), obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    if status.get("observedGeneration", 0) < obj.get("metadata", {}).get("generation", 0):
        return Health(PROGRESSING, "the controller has not yet seen the latest spec")
    ready, updated = status.get("readyReplicas", 0), status.get("updatedReplicas", 0)
    current, update = status.get("currentRevision"), status.get("updateRevision")
    on_delete = (spec.get("updateStrategy") or {}).get("type") == "OnDelete"
    if current and update and current != update or updated < wanted:
        message = f"rollout pending: {updated} of {wanted} pods run revision {update}"
        if on_delete:
            message += " (updateStrategy OnDelete: pods update only when deleted)"
        return Health(DEGRADED if on_delete else PROGRESSING, message)
    if ready < wanted:
        return Health(DEGRADED if ready == 0 and wanted else PROGRESSING, f"{ready} of {wanted} pods ready")
    return Health(HEALTHY, f"{ready} of {wanted} pods ready, all on revision {update or current}")


def deployment(obj: dict[str, Any]) -> Health:
    spec, status = obj.get("spec", {}), obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    progressing = conditions.get("Progressing", {})
    if progressing.get("reason") == "ProgressDeadlineExceeded":
        return Health(DEGRADED, progressing.get("message") or "progress deadline exceeded")
    if status.get("observedGeneration", 0) < obj.get("metadata", {}).get("generation", 0):
        return Health(PROGRESSING, "the controller has not yet seen the latest spec")
    available = status.get("availableReplicas", 0)
    if status.get("updatedReplicas", 0) < wanted:
        return Health(PROGRESSING, f"{status.get('updatedReplicas', 0)} of {wanted} replicas updated")
    if available < wanted:
        return Health(DEGRADED if available == 0 and wanted else PROGRESSING, f"{available} of {wanted} replicas available")
    return Health(HEALTHY, f"{available} of {wanted} replicas available")


def persistent_volume_claim(obj: dict[str, Any]) -> Health:
    phase = (obj.get("status") or {}).get("phase", "Pending")
    if phase == "Bound":
        return Health(HEALTHY, "bound")
    if phase == "Lost":
        return Health(DEGRADED, "the bound volume is lost")
    return Health(PROGRESSING, f"phase {phase}")


def pod_disruption_budget(obj: dict[str, Any]) -> Health:
    status = obj.get("status") or {}
    allowed = status.get("disruptionsAllowed", 0)
    if allowed > 0:
        return Health(HEALTHY, f"{allowed} disruption(s) allowed")
    healthy, wanted = status.get("currentHealthy", 0), status.get("desiredHealthy", 0)
    return Health(DEGRADED, f"no disruption allowed: {healthy} healthy, {wanted} needed (node drains will block)")


def job(obj: dict[str, Any]) -> Health:
    status = obj.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or [] if c.get("status") == "True"}
    if "Complete" in conditions or "SuccessCriteriaMet" in conditions:
        return Health(HEALTHY, "completed")
    if "Failed" in conditions:
        return Health(DEGRADED, conditions["Failed"].get("message") or conditions["Failed"].get("reason") or "failed")
    return Health(PROGRESSING, f"{status.get('active', 0)} active, {status.get('failed', 0)} failed attempt(s)")


def namespace(obj: dict[str, Any]) -> Health:
    phase = (obj.get("status") or {}).get("phase", "Active")
    return Health(HEALTHY if phase == "Active" else DEGRADED, f"phase {phase}")


CHECKS: dict[str, Callable[[dict[str, Any]], Health]] = {
    "StatefulSet": stateful_set,
    "Deployment": deployment,
    "PersistentVolumeClaim": persistent_volume_claim,
    "PodDisruptionBudget": pod_disruption_budget,
    "Job": job,
    "Namespace": namespace,
}


def health(obj: dict[str, Any] | None) -> Health:
    if obj is None:
        return Health(UNKNOWN, "not in the cluster")
    check = CHECKS.get(obj.get("kind", ""))
    return check(obj) if check else Health(HEALTHY, "exists")


def worst(healths: list[Health]) -> Health:
    order = {HEALTHY: 0, UNKNOWN: 1, PROGRESSING: 2, DEGRADED: 3}
    return max(healths, key=lambda h: order[h.status]) if healths else Health(HEALTHY)
