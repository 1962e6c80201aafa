"""Config in, objects out: every component renders plain dicts, no I/O.

`components` is what a configuration deploys, grouped by the file it belongs in;
`expected_objects` is what `kubectl kustomize overlays/<env>` must build from the
generated tree (tests hold the two to each other with the real binary).
"""
from __future__ import annotations

import copy
from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.kube.objects import CLUSTER_SCOPED, ObjectKey
from gitops_kafka.render import alerts, common, detector, kafka, kafka_manager, topics, zookeeper



def components(config: EnvironmentConfig) -> dict[str, list[dict[str, Any]]]:
    """The objects of one configuration, by component file, in apply order within each."""
    rendered = {
        "zookeeper": zookeeper.render(config),
        "kafka": kafka.render(config),
        "kafka-manager": kafka_manager.render(config),
        "topics": topics.render(config),
        "drift-detector": detector.render(config),
        "monitoring": alerts.render(config),
    }
    return {name: objects for name, objects in rendered.items() if objects}


def namespace(config: EnvironmentConfig) -> dict[str, Any]:
    """The environment's Namespace: never pruned, Pod Security enforced at baseline, restricted audited.

    Baseline, not restricted, is enforced because the Kafka Manager image runs as root.
    """
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": config.namespace,
            "labels": {
                common.MANAGED_LABEL: common.MANAGED_BY,
                "pod-security.kubernetes.io/enforce": "baseline",
                "pod-security.kubernetes.io/audit": "restricted",
                "pod-security.kubernetes.io/warn": "restricted",
            },
            "annotations": {
                "argocd.argoproj.io/sync-options": "Prune=false,Delete=false",
                "kustomize.toolkit.fluxcd.io/prune": "disabled",
            },
        },
    }


def object_key(obj: dict[str, Any]) -> ObjectKey:
    """Identity of a rendered object: rendered objects name no namespace (the overlay sets it)."""
    return ObjectKey.of(obj)


def overlay_only(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """Objects that exist per environment only: its Namespace and the cluster-scoped grant to read it."""
    return [namespace(config), *detector.namespace_access(config)]


def expected_objects(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """What the overlay must build to: every object, namespaced and labelled with the environment."""
    out = []
    for obj in [*overlay_only(config), *(o for objs in components(config).values() for o in objs)]:
        obj = copy.deepcopy(obj)
        if obj["kind"] not in CLUSTER_SCOPED:  # objects placed elsewhere (Grafana's namespace) keep theirs
            obj["metadata"].setdefault("namespace", config.namespace)
        for subject in obj.get("subjects", []):  # kustomize places service accounts in the namespace too
            if subject.get("kind") == "ServiceAccount":
                subject.setdefault("namespace", config.namespace)
        obj["metadata"].setdefault("labels", {})[common.ENVIRONMENT_LABEL] = config.name
        out.append(obj)
    return out
