"""Pieces every component shares: labels, security contexts, probes, resources, hashes.

Objects are plain dicts built in the order a reader expects (apiVersion, kind,
metadata, spec); the YAML writer keeps that order, so output is deterministic.
"""
from __future__ import annotations

import hashlib
import json
from typing import Any

from gitops_kafka.config import EnvironmentConfig, Resources

MANAGED_BY = "gitops-kafka"
MANAGED_LABEL = "app.kubernetes.io/managed-by"
ENVIRONMENT_LABEL = "gitops-kafka.io/environment"
CONFIG_HASH_ANNOTATION = "gitops-kafka.io/config-hash"
PART_OF = "kafka"
NON_ROOT_UID = 1000


# The workloads an adopted cluster keeps identities for: name -> (its `adopt:` key, its component).
ADOPTABLE = {"zookeeper": ("zookeeper", "coordination"), "kafka": ("kafka", "broker"),
             "kafka-manager": ("kafka_manager", "ui")}


def adopted(config: EnvironmentConfig, name: str) -> Any:
    """The `adopt:` identities of a workload, or None when the generator chooses them itself."""
    key = ADOPTABLE.get(name, (None,))[0]
    return getattr(config.adopt, key) if key else None


def selector_labels(config: EnvironmentConfig, name: str) -> dict[str, str]:
    """The labels that select a component's pods: stable for the object's life (selectors are immutable)."""
    kept = adopted(config, name)
    if kept is not None:
        return dict(kept.selector)
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/instance": config.cluster_name}


def labels(config: EnvironmentConfig, name: str, component: str) -> dict[str, str]:
    """An object's labels; an adopted workload's own objects keep its selector labels, so its pods stay selected."""
    out = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/instance": config.cluster_name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": PART_OF,
        MANAGED_LABEL: MANAGED_BY,
    }
    kept = adopted(config, name)
    if kept is not None and ADOPTABLE[name][1] == component:
        out.update(kept.selector)
    return out


def metadata(name: str, object_labels: dict[str, str], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(object_labels)}
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def resources(spec: Resources) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for section in ("requests", "limits"):
        values = {k: v for k, v in getattr(spec, section).model_dump().items() if v is not None}
        if values:
            out[section] = values
    return out


def pod_security_context(fs_group: bool = True) -> dict[str, Any]:
    """Pod Security "restricted": non-root, RuntimeDefault seccomp; fsGroup makes volumes writable."""
    context: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": NON_ROOT_UID,
        "runAsGroup": NON_ROOT_UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if fs_group:
        context["fsGroup"] = NON_ROOT_UID
        context["fsGroupChangePolicy"] = "OnRootMismatch"
    return context


def container_security_context(read_only_root: bool = False) -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "readOnlyRootFilesystem": read_only_root,
    }


def spread(selector: dict[str, str]) -> list[dict[str, Any]]:
    """One pod per node where possible, and across zones: losing a node or a zone loses one member."""
    return [
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule",
         "labelSelector": {"matchLabels": dict(selector)}},
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": {"matchLabels": dict(selector)}},
    ]


def env(name: str, value: str) -> dict[str, str]:
    return {"name": name, "value": str(value)}


def field_env(name: str, path: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": path}}}


def claim_name(config: EnvironmentConfig, name: str) -> str:
    """The volume claim template's name: PersistentVolumeClaims are named <claim>-<pod>, so it is the data's identity."""
    kept = adopted(config, name)
    return kept.claim_template if kept is not None else "data"


def pod_management(config: EnvironmentConfig, name: str) -> str:
    """Parallel unless an adopted StatefulSet was created otherwise (the field is immutable)."""
    kept = adopted(config, name)
    return kept.pod_management_policy if kept is not None else "Parallel"


def volume_claim(name: str, storage_class: str | None, size: str) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"]}
    if storage_class:
        spec["storageClassName"] = storage_class
    spec["resources"] = {"requests": {"storage": size}}
    return {"metadata": {"name": name}, "spec": spec}


def content_hash(value: Any, length: int = 10) -> str:
    """A short, stable digest of any JSON-able value: names and annotations that change with content."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def pdb(config: EnvironmentConfig, object_name: str, name: str, component: str) -> dict[str, Any]:
    """At most one member down through voluntary disruption (drains, upgrades): quorum and ISR survive."""
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": metadata(object_name, labels(config, name, component)),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector_labels(config, name)}},
    }


def service(config: EnvironmentConfig, service_name: str, name: str, component: str,
            ports: list[dict[str, Any]], headless: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"type": "ClusterIP"}
    if headless:
        # Members must find each other by DNS before they are ready: an ensemble forms only then.
        spec.update({"clusterIP": "None", "publishNotReadyAddresses": True})
    spec["ports"] = [{**p, "protocol": "TCP"} for p in ports]
    spec["selector"] = selector_labels(config, name)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": metadata(service_name, labels(config, name, component)),
        "spec": spec,
    }


def tcp_probe(port: str, period: int, failures: int, initial_delay: int = 0) -> dict[str, Any]:
    probe: dict[str, Any] = {"tcpSocket": {"port": port}}
    if initial_delay:
        probe["initialDelaySeconds"] = initial_delay
    probe.update({"periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": failures})
    return probe


def exec_probe(command: list[str], period: int, failures: int, initial_delay: int = 0) -> dict[str, Any]:
    probe: dict[str, Any] = {"exec": {"command": list(command)}}
    if initial_delay:
        probe["initialDelaySeconds"] = initial_delay
    probe.update({"periodSeconds": period, "timeoutSeconds": 5, "failureThreshold": failures})
    return probe


def image_name(image: str) -> str:
    """The repository part of an image reference (what kustomize's images transformer matches)."""
    without_digest = image.split("@", 1)[0]
    head, _, tail = without_digest.rpartition("/")
    name = tail.split(":", 1)[0]
    return f"{head}/{name}" if head else name


def job(config: EnvironmentConfig, job_name: str, name: str, component: str, container: dict[str, Any],
        volumes: list[dict[str, Any]] | None = None, deadline_seconds: int = 1800) -> dict[str, Any]:
    """A run-to-completion step of the deployment; never deleted by TTL, so GitOps does not recreate it."""
    pod_spec: dict[str, Any] = {
        "restartPolicy": "OnFailure",
        "enableServiceLinks": False,
        "securityContext": pod_security_context(fs_group=False),
        "containers": [container],
    }
    if volumes:
        pod_spec["volumes"] = volumes
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata(job_name, labels(config, name, component)),
        "spec": {
            "backoffLimit": 10,
            "activeDeadlineSeconds": deadline_seconds,
            "template": {"metadata": {"labels": labels(config, name, component)}, "spec": pod_spec},
        },
    }


def singleton_deployment(config: EnvironmentConfig, object_name: str, name: str, component: str,
                         pod_spec: dict[str, Any], annotations: dict[str, str] | None = None) -> dict[str, Any]:
    """One replica, replaced rather than rolled (two copies must never run side by side)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata(object_name, labels(config, name, component), annotations),
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": selector_labels(config, name)},
            "template": {"metadata": {"labels": labels(config, name, component)}, "spec": pod_spec},
        },
    }
