"""Where the cluster's parts are: the sync object, member and broker names, their DNS endpoints, `zookeeper.connect`.

The render writes these names into the manifests; the checks look for the same
names in the cluster and in ZooKeeper and probe the same endpoints. One module says
them both, so the detector can never look for a name the generator stopped writing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the model reads zookeeper_connect from here: no import at run time
    from gitops_kafka.config import EnvironmentConfig

ZOOKEEPER_CLIENT_PORT = 2181
KAFKA_PORT = 9092
CMAK_ROOT_ZNODE = "/kafka-manager"  # where CMAK keeps its znodes, under the chroot of its own ZK_HOSTS


def sync_name(config: "EnvironmentConfig") -> str:
    """The Argo CD Application (or Flux Kustomization) of the environment: Argo CD's tracking label value."""
    return f"{config.cluster_name}-{config.name}"


@dataclass(frozen=True)
class SyncObject:
    """The object that syncs the environment and whose status says what was applied."""

    api_version: str
    kind: str
    resource: str  # its plural in the API: what an RBAC rule names
    name: str
    namespace: str

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]


def sync_object(config: "EnvironmentConfig") -> SyncObject:
    """Flux's Kustomization or Argo CD's Application: written by the render, read by the drift check."""
    if config.gitops.tool == "flux":
        return SyncObject("kustomize.toolkit.fluxcd.io/v1", "Kustomization", "kustomizations", sync_name(config),
                          config.gitops.flux.namespace)
    return SyncObject("argoproj.io/v1alpha1", "Application", "applications", sync_name(config),
                      config.gitops.argocd.namespace)


def zookeeper_name(config: "EnvironmentConfig") -> str:
    """The ZooKeeper StatefulSet (an adopted one keeps its name)."""
    kept = config.adopt.zookeeper
    return kept.name if kept else f"{config.cluster_name}-zookeeper"


def zookeeper_service(config: "EnvironmentConfig") -> str:
    """The client Service: what Kafka's zookeeper.connect and CMAK's ZK_HOSTS name."""
    kept = config.adopt.zookeeper
    return kept.service if kept else zookeeper_name(config)


def zookeeper_headless(config: "EnvironmentConfig") -> str:
    kept = config.adopt.zookeeper
    return kept.headless_service if kept else f"{zookeeper_name(config)}-headless"


def zookeeper_members(config: "EnvironmentConfig") -> list[str]:
    """The members the environment runs, by their stable headless-Service DNS names, host:port."""
    base, headless = zookeeper_name(config), zookeeper_headless(config)
    return [f"{base}-{i}.{headless}.{config.namespace}.svc.{config.cluster_domain}:{ZOOKEEPER_CLIENT_PORT}"
            for i in range(config.zookeeper.replicas)]


def zookeeper_connect(config: "EnvironmentConfig") -> str:
    """Kafka's `zookeeper.connect`: the client Service, under Kafka's chroot when it has one."""
    return f"{zookeeper_service(config)}:{ZOOKEEPER_CLIENT_PORT}{config.kafka.zookeeper_chroot or ''}"


def cmak_zookeeper_hosts(config: "EnvironmentConfig") -> str:
    """CMAK's own ZK_HOSTS: the ensemble's root (or an adopted CMAK's own chroot), never Kafka's chroot."""
    kept = config.adopt.kafka_manager
    chroot = kept.zookeeper_root if kept and kept.zookeeper_root else ""
    return f"{zookeeper_service(config)}:{ZOOKEEPER_CLIENT_PORT}{chroot}"


def cmak_root(config: "EnvironmentConfig") -> str:
    """Where CMAK keeps its znodes on the ensemble: under the chroot of its own ZK_HOSTS, not Kafka's."""
    hosts = cmak_zookeeper_hosts(config)
    chroot = hosts[hosts.index("/"):].rstrip("/") if "/" in hosts else ""
    return f"{chroot}{CMAK_ROOT_ZNODE}"


def kafka_stateful_set(config: "EnvironmentConfig") -> str:
    """The brokers' StatefulSet: named after the cluster (an adopted one keeps its name)."""
    kept = config.adopt.kafka
    return kept.name if kept else config.cluster_name


def kafka_service(config: "EnvironmentConfig") -> str:
    """The brokers' client Service."""
    kept = config.adopt.kafka
    return kept.service if kept else config.cluster_name


def kafka_headless(config: "EnvironmentConfig") -> str:
    kept = config.adopt.kafka
    return kept.headless_service if kept else f"{config.cluster_name}-headless"


def bootstrap(config: "EnvironmentConfig") -> str:
    return f"{kafka_service(config)}:{KAFKA_PORT}"


def broker_endpoint(config: "EnvironmentConfig", broker_id: int) -> str:
    """The listener the generated StatefulSet makes broker `broker_id` (its pod ordinal) advertise."""
    pod = f"{kafka_stateful_set(config)}-{broker_id}"
    return f"PLAINTEXT://{pod}.{kafka_headless(config)}.{config.namespace}.svc.{config.cluster_domain}:{KAFKA_PORT}"
