"""Kafka Manager (CMAK): Deployment, Service, and the Job that registers the cluster.

The seed's two manual steps become automatic and idempotent: an init container
creates CMAK's root znode when it is missing (and waits for ZooKeeper), and a Job
registers the Kafka cluster through CMAK's own "Add Cluster" form unless
`/api/status/clusters` already lists it. The Job's name carries a hash of its
content, so Argo CD or Flux run it again only when the registration changes.

The CMAK image runs as root and writes under its install directory, so its pod
keeps every other restricted setting but not runAsNonRoot; the exception is
recorded on the object for policy checks to read.
"""
from __future__ import annotations

from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.render import common, zookeeper

NAME = "kafka-manager"
COMPONENT = "ui"
PORT = 9000
ROOT_ZNODE = "/kafka-manager"
POLICY_EXCEPTION_ANNOTATION = "gitops-kafka.io/policy-exception"

CREATE_ROOT = """# Creates CMAK's root znode if it is missing; waits until ZooKeeper answers.
for attempt in $(seq 1 60); do
  out="$(timeout 30 zkCli.sh -server "$ZK_HOSTS" create "$ROOT_ZNODE" '' 2>&1 || true)"
  if grep -qE "^Created $ROOT_ZNODE|Node already exists" <<<"$out"; then
    echo "znode $ROOT_ZNODE is present"
    exit 0
  fi
  echo "waiting for ZooKeeper at $ZK_HOSTS (attempt $attempt)"
  sleep 5
done
echo "ZooKeeper at $ZK_HOSTS did not answer" >&2
exit 1
"""

REGISTER = """# Registers the Kafka cluster in CMAK once; a second run finds it and does nothing.
set -eu
base="http://${CMAK_SERVICE}"
listed() { curl -fsS "$base/api/status/clusters" | grep -q "\\"name\\":\\"${CLUSTER_NAME}\\""; }
until curl -fsS -o /dev/null "$base/api/status/clusters"; do
  echo "waiting for Kafka Manager at $base"
  sleep 5
done
if listed; then
  echo "cluster ${CLUSTER_NAME} is already registered"
  exit 0
fi
curl -fsS -o /dev/null -X POST "$base/clusters" \\
  --data-urlencode "name=${CLUSTER_NAME}" \\
  --data-urlencode "zkHosts=${KAFKA_ZK_HOSTS}" \\
  --data-urlencode "kafkaVersion=${KAFKA_VERSION}" \\
  --data-urlencode "securityProtocol=PLAINTEXT" \\
  --data-urlencode "jmxEnabled=${JMX_ENABLED}" \\
  --data-urlencode "jmxSsl=false" \\
  --data-urlencode "pollConsumers=${POLL_CONSUMERS}" \\
  --data-urlencode "filterConsumers=false" \\
  --data-urlencode "logkafkaEnabled=false" \\
  --data-urlencode "activeOffsetCacheEnabled=true" \\
  --data-urlencode "displaySizeEnabled=false"
# CMAK answers 200 even when it refuses a command: believe only its cluster list.
listed
echo "registered cluster ${CLUSTER_NAME}"
"""


def base_name(config: EnvironmentConfig) -> str:
    kept = config.adopt.kafka_manager
    return kept.name if kept else f"{config.cluster_name}-manager"


def service_name(config: EnvironmentConfig) -> str:
    kept = config.adopt.kafka_manager
    return kept.service if kept else base_name(config)


def http_port(config: EnvironmentConfig) -> int:
    kept = config.adopt.kafka_manager
    return kept.port if kept else PORT


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    if not config.kafka_manager.enabled:
        return []
    return [
        common.service(config, service_name(config), NAME, COMPONENT,
                       [{"name": "http", "port": 80, "targetPort": "http"}]),
        deployment(config),
        registration_job(config),
    ]


def zookeeper_hosts(config: EnvironmentConfig) -> str:
    """CMAK's own ZK_HOSTS: the ensemble's root (or an adopted CMAK's own chroot), never Kafka's chroot."""
    kept = config.adopt.kafka_manager
    chroot = kept.zookeeper_root if kept and kept.zookeeper_root else ""
    return f"{zookeeper.service_name(config)}:{zookeeper.CLIENT_PORT}{chroot}"


def deployment(config: EnvironmentConfig) -> dict[str, Any]:
    manager = config.kafka_manager
    zk_hosts = zookeeper_hosts(config)
    init = {
        "name": "create-root-znode",
        "image": config.zookeeper.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", "-c", CREATE_ROOT],
        "env": [
            common.env("ZK_HOSTS", zk_hosts),
            common.env("ROOT_ZNODE", ROOT_ZNODE),
            common.env("ZOO_LOG_DIR", "/tmp"),
            common.env("CLIENT_JVMFLAGS", "-Xmx64m"),
        ],
        "resources": {"requests": {"cpu": "50m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}},
        "securityContext": {**common.container_security_context(read_only_root=True),
                            "runAsNonRoot": True, "runAsUser": common.NON_ROOT_UID},
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    }
    container = {
        "name": NAME,
        "image": manager.image,
        "imagePullPolicy": "IfNotPresent",
        **({"command": list(config.adopt.kafka_manager.command)}
           if config.adopt.kafka_manager and config.adopt.kafka_manager.command else {}),
        "ports": [{"name": "http", "containerPort": http_port(config), "protocol": "TCP"}],
        "env": [
            common.env("ZK_HOSTS", zk_hosts),
            {"name": "APPLICATION_SECRET", "valueFrom": {"secretKeyRef": {
                "name": base_name(config), "key": "application-secret", "optional": True}}},
        ],
        "resources": common.resources(manager.resources),
        "startupProbe": common.tcp_probe("http", period=5, failures=36),
        "livenessProbe": common.tcp_probe("http", period=20, failures=3),
        "readinessProbe": common.tcp_probe("http", period=10, failures=3),
        "securityContext": common.container_security_context(),
    }
    return common.singleton_deployment(config, base_name(config), NAME, COMPONENT, {
        "enableServiceLinks": False,
        "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
        "initContainers": [init],
        "containers": [container],
        "volumes": [{"name": "tmp", "emptyDir": {}}],
    }, {POLICY_EXCEPTION_ANNOTATION: "runAsNonRoot: the CMAK image runs as root"})


def registration_job(config: EnvironmentConfig) -> dict[str, Any]:
    manager = config.kafka_manager
    environment = [
        common.env("CMAK_SERVICE", service_name(config)),
        common.env("CLUSTER_NAME", config.cluster_name),
        common.env("KAFKA_ZK_HOSTS", config.zookeeper_connect),
        common.env("KAFKA_VERSION", manager.kafka_version),
        common.env("JMX_ENABLED", str(manager.jmx_enabled).lower()),
        common.env("POLL_CONSUMERS", str(manager.poll_consumers).lower()),
    ]
    digest = common.content_hash([manager.registration_image, REGISTER, environment])
    return common.job(config, f"{config.cluster_name}-manager-register-{digest}", NAME, "registration", {
        "name": "register",
        "image": manager.registration_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", REGISTER],
        "env": environment,
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "64Mi"}},
        "securityContext": common.container_security_context(read_only_root=True),
    })

