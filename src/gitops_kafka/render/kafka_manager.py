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

REGISTER = r"""# Registers the Kafka cluster in CMAK exactly once; a run that finds it registered does nothing.
# Needs only what the curl image has: sh, curl and awk.
set -eu
base="http://${CMAK_SERVICE}"

# The names of CMAK's clusters, active and pending, one a line. CMAK pretty-prints its
# JSON ("name" : "x"), so the answer is read by its structure, never matched as text:
# a string value under the key "name" of an object in clusters.active[] or clusters.pending[].
cluster_names() {
  awk '{ text = text $0 "\n" }
  END {
    n = length(text); i = 1; depth = 0
    while (i <= n) {
      c = substr(text, i, 1)
      if (c == "{") { depth++; type[depth] = "o"; key[depth] = ""; want[depth] = 1 }
      else if (c == "[") { depth++; type[depth] = "a"; key[depth] = "" }
      else if (c == "}" || c == "]") { depth-- }
      else if (c == ",") { if (type[depth] == "o") want[depth] = 1 }
      else if (c == ":") { want[depth] = 0 }
      else if (c == "\"") {
        value = ""; i++
        while (i <= n && substr(text, i, 1) != "\"") {
          if (substr(text, i, 1) == "\\") { value = value substr(text, i, 2); i += 2 }
          else { value = value substr(text, i, 1); i++ }
        }
        if (type[depth] == "o" && want[depth]) { key[depth] = value }
        else if (depth == 4 && key[1] == "clusters" && type[2] == "o" &&
                 (key[2] == "active" || key[2] == "pending") && type[3] == "a" && key[4] == "name") { print value }
      }
      i++
    }
  }'
}

listed() {
  names="$(curl -fsS "$base/api/status/clusters" | cluster_names)" || return 1
  printf '%s\n' "$names" | grep -qxF "$CLUSTER_NAME"
}

# CMAK lists a new cluster once its own ZooKeeper cache has seen it: give it a minute.
wait_listed() {
  for attempt in $(seq 1 30); do
    if listed; then return 0; fi
    sleep 2
  done
  return 1
}

until curl -fsS -o /dev/null "$base/api/status/clusters"; do
  echo "waiting for Kafka Manager at $base"
  sleep 5
done
if listed; then
  echo "cluster ${CLUSTER_NAME} is already registered"
  exit 0
fi
# The add form answers 200 with an HTML page for success and for refusal alike (400 only
# for a malformed form): a refusal says "Yikes!" and its reason.
answer="$(curl -fsS -X POST "$base/clusters" \
  --data-urlencode "name=${CLUSTER_NAME}" \
  --data-urlencode "zkHosts=${KAFKA_ZK_HOSTS}" \
  --data-urlencode "kafkaVersion=${KAFKA_VERSION}" \
  --data-urlencode "securityProtocol=PLAINTEXT" \
  --data-urlencode "jmxEnabled=${JMX_ENABLED}" \
  --data-urlencode "jmxSsl=false" \
  --data-urlencode "pollConsumers=${POLL_CONSUMERS}" \
  --data-urlencode "filterConsumers=false" \
  --data-urlencode "logkafkaEnabled=false" \
  --data-urlencode "activeOffsetCacheEnabled=true" \
  --data-urlencode "displaySizeEnabled=false")"
case "$answer" in
  *"Cluster already exists"*) echo "cluster ${CLUSTER_NAME} was registered meanwhile" ;;
  *"Yikes!"*)
    echo "Kafka Manager refused to add cluster ${CLUSTER_NAME}:" >&2
    printf '%s\n' "$answer" | grep "Yikes!" | sed -e 's/<[^>]*>//g' -e 's/^ *//' >&2
    exit 1 ;;
esac
if wait_listed; then
  echo "registered cluster ${CLUSTER_NAME}"
  exit 0
fi
echo "cluster ${CLUSTER_NAME} was added but Kafka Manager does not list it" >&2
exit 1
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
            # The image's own JAVA_OPTS (MaxRAMPercentage=80) leaves too little room beside the
            # heap in a small limit; a fixed heap, checked against the limit, replaces it.
            common.env("JAVA_OPTS", f"-Xms{manager.heap} -Xmx{manager.heap}"),
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

