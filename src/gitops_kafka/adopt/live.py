"""What runs: the namespace's workloads through the drift detector's Kubernetes seam, topics from ZooKeeper.

Only get and list are used, on StatefulSets, Deployments, Services, ConfigMaps and
PodDisruptionBudgets of one namespace (docs: README "Adopting a running cluster" for
the Role); Secrets are never read.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (apiVersion, kind) read from the namespace: what a hand-deployed Kafka is made of.
KINDS = (("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap"),
         ("policy/v1", "PodDisruptionBudget"))


@dataclass(frozen=True)
class LiveCluster:
    namespace: str
    objects: list[dict[str, Any]]
    topics: dict[str, dict[str, Any]] | None  # name -> {"partitions", "replication_factor", "config"}; None: not read
    topic_problems: list[str]


def read_objects(kubeconfig: str | None, context: str | None, namespace: str, timeout: float) -> list[dict[str, Any]]:
    from gitops_kafka.kube.cluster import KubernetesCluster

    cluster = KubernetesCluster(kubeconfig, context, timeout=timeout)
    try:
        return [obj for api_version, kind in KINDS for obj in cluster.list_labelled(api_version, kind, namespace, {})]
    finally:
        cluster.close()


def read_topics(hosts: str, chroot: str | None, timeout: float) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every topic under Kafka's chroot: partitions, replication factor, config overrides."""
    from gitops_kafka.kafka import metadata as km
    from gitops_kafka.kafka.reader import read_once

    snapshot = read_once(hosts, chroot, "kafka", timeout)
    topics: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for name, assignment in sorted(snapshot.topics.items()):
        if isinstance(assignment, km.Unreadable):
            problems.append(f"topic {name}: {assignment.path}: {assignment.reason}")
            continue
        config = snapshot.configs.get(name)
        if isinstance(config, km.Unreadable):
            problems.append(f"topic {name}: {config.path}: {config.reason}")
            continue
        factor = assignment.replication_factor()
        if factor is None:
            problems.append(f"topic {name}: its partitions have different replication factors")
            continue
        if assignment.reassigning:
            problems.append(f"topic {name}: a reassignment is in progress; import again when it ends")
            continue
        topics[name] = {"partitions": len(assignment.replicas), "replication_factor": factor,
                        "config": dict(config or {})}
    return topics, problems
