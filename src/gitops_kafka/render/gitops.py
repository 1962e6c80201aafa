"""The object that syncs an environment's overlay: an Argo CD Application or a Flux Kustomization.

It lives outside the overlay it syncs (in clusters/<env>/), so that the overlay
never manages its own sync. Neither deletes the cluster's resources when the sync
object itself is deleted: the Application carries no resources finalizer, and the
Namespace in the overlay is exempt from pruning, since persistent volumes and
topics must outlive a mistaken deletion.
"""
from __future__ import annotations

from typing import Any

from gitops_kafka import topology
from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.render import common


sync_name = topology.sync_name


def source_path(config: EnvironmentConfig) -> str:
    return config.gitops.path or config.overlay_path


def sync_labels(config: EnvironmentConfig) -> dict[str, str]:
    return {
        "app.kubernetes.io/name": "kafka",
        "app.kubernetes.io/instance": config.cluster_name,
        "app.kubernetes.io/part-of": common.PART_OF,
        common.MANAGED_LABEL: common.MANAGED_BY,
        common.ENVIRONMENT_LABEL: config.name,
    }


def render(config: EnvironmentConfig) -> tuple[str, list[dict[str, Any]]]:
    """(file name, objects) of the environment's sync object(s)."""
    if config.gitops.tool == "flux":
        return "flux-kustomization.yaml", flux(config)
    return "argocd-application.yaml", [argocd(config)]


def argocd(config: EnvironmentConfig) -> dict[str, Any]:
    gitops = config.gitops
    sync_policy: dict[str, Any] = {}
    if gitops.sync.automated:
        sync_policy["automated"] = {"prune": gitops.sync.prune, "selfHeal": gitops.sync.self_heal}
    # Prune last, after the new objects are healthy; retry, since a Job may still be running.
    sync_policy["syncOptions"] = ["PruneLast=true"]
    sync_policy["retry"] = {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}
    synced = topology.sync_object(config)
    return {
        "apiVersion": synced.api_version,
        "kind": synced.kind,
        "metadata": {"name": synced.name, "namespace": synced.namespace, "labels": sync_labels(config)},
        "spec": {
            "project": gitops.argocd.project,
            "source": {"repoURL": gitops.repo_url, "targetRevision": gitops.revision, "path": source_path(config)},
            "destination": {"server": gitops.argocd.destination_server, "namespace": config.namespace},
            "syncPolicy": sync_policy,
        },
    }


def flux(config: EnvironmentConfig) -> list[dict[str, Any]]:
    gitops = config.gitops
    source_spec: dict[str, Any] = {"interval": gitops.flux.interval, "url": gitops.repo_url,
                                   "ref": {"branch": gitops.revision}}
    if gitops.flux.secret_ref:
        source_spec["secretRef"] = {"name": gitops.flux.secret_ref}
    spec: dict[str, Any] = {
        "interval": gitops.flux.interval,
        "path": f"./{source_path(config)}",
        "prune": gitops.sync.prune,
        "sourceRef": {"kind": "GitRepository", "name": sync_name(config)},
        "targetNamespace": config.namespace,
        "timeout": gitops.flux.timeout,
        "wait": True,
    }
    if not gitops.sync.automated:
        spec["suspend"] = True
    synced = topology.sync_object(config)
    return [
        {
            "apiVersion": "source.toolkit.fluxcd.io/v1",
            "kind": "GitRepository",
            "metadata": {"name": sync_name(config), "namespace": gitops.flux.namespace, "labels": sync_labels(config)},
            "spec": source_spec,
        },
        {
            "apiVersion": synced.api_version,
            "kind": synced.kind,
            "metadata": {"name": synced.name, "namespace": synced.namespace, "labels": sync_labels(config)},
            "spec": spec,
        },
    ]
