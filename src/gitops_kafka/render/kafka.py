"""The Kafka brokers (ZooKeeper mode): Services, PodDisruptionBudget and StatefulSet.

Fixed against the seed: brokers advertise their stable headless-Service DNS name,
not the pod IP that changes on every restart; `tcpSocket` probes (the seed's
`tcpaSocket` made its readiness probe invalid) with a startup probe that allows
long log recovery; Service links off, so Kubernetes' injected `KAFKA_PORT` cannot
break the image's configuration; `publishNotReadyAddresses` instead of the
deprecated tolerate-unready annotation; RollingUpdate, so a changed spec reaches
the pods (OnDelete waits for someone to delete them by hand).
"""
from __future__ import annotations

from typing import Any

import math

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.quantity import parse_quantity
from gitops_kafka.render import common

NAME = "kafka"
COMPONENT = "broker"
PORT = 9092
DATA_DIR = "/var/lib/kafka/data"

# Variables the image must not see as broker properties avoid the KAFKA_ prefix.
START = """# The broker id is the pod ordinal; the advertised name is the pod's stable DNS name.
export KAFKA_BROKER_ID="${POD_NAME##*-}"
export KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://${POD_NAME}.${BROKER_HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.${CLUSTER_DOMAIN}:${BROKER_PORT}"
exec /etc/confluent/docker/run
"""


STARTUP_PERIOD = 10
STARTUP_BASE_SECONDS = 600
STARTUP_SECONDS_PER_GIB = 15


def startup_failures(storage_size: str) -> int:
    """Probe failures the startup window allows: after an unclean stop the broker recovers
    every log segment before it listens, which takes time in proportion to the volume, so the
    window is ten minutes plus 15 s per GiB (200Gi: an hour) rather than a fixed ten minutes."""
    gib = parse_quantity(storage_size) / 2**30
    return math.ceil((STARTUP_BASE_SECONDS + STARTUP_SECONDS_PER_GIB * gib) / STARTUP_PERIOD)


def stateful_set_name(config: EnvironmentConfig) -> str:
    kept = config.adopt.kafka
    return kept.name if kept else config.cluster_name


def service_name(config: EnvironmentConfig) -> str:
    kept = config.adopt.kafka
    return kept.service if kept else config.cluster_name


def headless_name(config: EnvironmentConfig) -> str:
    kept = config.adopt.kafka
    return kept.headless_service if kept else f"{config.cluster_name}-headless"


def bootstrap(config: EnvironmentConfig) -> str:
    return f"{service_name(config)}:{PORT}"


def env_name(prop: str) -> str:
    """The cp-kafka image's spelling of a broker property: '.' -> '_', '_' -> '__', '-' -> '___'."""
    return "KAFKA_" + prop.replace("_", "__").replace("-", "___").replace(".", "_").upper()


def broker_properties(config: EnvironmentConfig) -> dict[str, str]:
    """Every broker property the environment decides: first-class settings, then overrides by name."""
    return {**config.kafka.settings.as_properties(), **dict(sorted(config.kafka.overrides.items()))}


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    return [
        common.pdb(config, stateful_set_name(config), NAME, COMPONENT),
        common.service(config, service_name(config), NAME, COMPONENT,
                       [{"name": "kafka", "port": PORT, "targetPort": "kafka"}]),
        common.service(config, headless_name(config), NAME, COMPONENT,
                       [{"name": "kafka", "port": PORT, "targetPort": "kafka"}], headless=True),
        stateful_set(config),
    ]


def stateful_set(config: EnvironmentConfig) -> dict[str, Any]:
    kafka = config.kafka
    selector = common.selector_labels(config, NAME)
    environment = [
        common.field_env("POD_NAME", "metadata.name"),
        common.field_env("POD_NAMESPACE", "metadata.namespace"),
        common.env("BROKER_HEADLESS_SERVICE", headless_name(config)),
        common.env("CLUSTER_DOMAIN", config.cluster_domain),
        common.env("BROKER_PORT", PORT),
        common.env("KAFKA_HEAP_OPTS", f"-Xms{kafka.heap} -Xmx{kafka.heap}"),
        common.env("KAFKA_ZOOKEEPER_CONNECT", config.zookeeper_connect),
        common.env("KAFKA_LISTENERS", f"PLAINTEXT://0.0.0.0:{PORT}"),
        common.env("KAFKA_LOG_DIRS", f"{DATA_DIR}/logs"),
        *(common.env(env_name(k), v) for k, v in broker_properties(config).items()),
    ]
    container = {
        "name": NAME,
        "image": kafka.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", "-ec", START],
        "ports": [{"name": "kafka", "containerPort": PORT, "protocol": "TCP"}],
        "env": environment,
        "resources": common.resources(kafka.resources),
        "startupProbe": common.tcp_probe("kafka", period=STARTUP_PERIOD, failures=startup_failures(kafka.storage.size)),
        "livenessProbe": common.tcp_probe("kafka", period=15, failures=4),
        "readinessProbe": common.tcp_probe("kafka", period=10, failures=3),
        "securityContext": common.container_security_context(),
        "volumeMounts": [{"name": common.claim_name(config, NAME), "mountPath": DATA_DIR}],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": common.metadata(stateful_set_name(config), common.labels(config, NAME, COMPONENT)),
        "spec": {
            "serviceName": headless_name(config),
            "replicas": kafka.replicas,
            "podManagementPolicy": common.pod_management(config, NAME),
            "updateStrategy": {"type": kafka.update_strategy},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": common.labels(config, NAME, COMPONENT)},
                "spec": {
                    "enableServiceLinks": False,
                    # Time for a controlled shutdown: leadership moves before the broker stops.
                    "terminationGracePeriodSeconds": 120,
                    "securityContext": common.pod_security_context(),
                    "topologySpreadConstraints": common.spread(selector),
                    "containers": [container],
                },
            },
            "volumeClaimTemplates": [common.volume_claim(common.claim_name(config, NAME), kafka.storage.storage_class, kafka.storage.size)],
        },
    }
