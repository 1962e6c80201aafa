"""The Job that makes Kafka's topics match git: create, add partitions, set config overrides.

It never deletes a topic, never lowers a partition count (Kafka cannot) and never
changes a replication factor (that takes a reassignment): it says so in its log
instead. Its name carries a hash of its content, so a changed topic list is a new
Job that Argo CD or Flux run, and an unchanged one is left alone.
"""
from __future__ import annotations

import shlex
from typing import Any

from gitops_kafka.config import EnvironmentConfig, Topic
from gitops_kafka.render import common, kafka

NAME = "kafka-topics"
COMPONENT = "topics"

ENSURE = r"""set -euo pipefail
bootstrap="$BOOTSTRAP_SERVERS"
until kafka-broker-api-versions --bootstrap-server "$bootstrap" >/dev/null 2>&1; do
  echo "waiting for Kafka at $bootstrap"
  sleep 5
done

field() { grep -oE "$1: *[0-9]+" <<<"$2" | head -n 1 | grep -oE '[0-9]+' || true; }

ensure_topic() {
  local name="$1" partitions="$2" replication="$3" configs="$4"
  local description current replicas
  description="$(kafka-topics --bootstrap-server "$bootstrap" --describe --topic "$name" 2>/dev/null || true)"
  current="$(field PartitionCount "$description")"
  replicas="$(field ReplicationFactor "$description")"
  if [[ -z "$current" ]]; then
    echo "creating topic $name: $partitions partitions, replication factor $replication"
    kafka-topics --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name" \
      --partitions "$partitions" --replication-factor "$replication"
  elif (( current < partitions )); then
    echo "topic $name: adding partitions, $current -> $partitions"
    kafka-topics --bootstrap-server "$bootstrap" --alter --topic "$name" --partitions "$partitions"
  elif (( current > partitions )); then
    echo "WARNING: topic $name has $current partitions, git declares $partitions; Kafka cannot remove partitions, left as is" >&2
  fi
  if [[ -n "$replicas" && "$replicas" != "$replication" ]]; then
    echo "WARNING: topic $name has replication factor $replicas, git declares $replication; that takes a partition reassignment, left as is" >&2
  fi
  if [[ -n "$configs" ]]; then
    echo "topic $name: setting config $configs"
    kafka-configs --bootstrap-server "$bootstrap" --alter --entity-type topics --entity-name "$name" --add-config "$configs"
  fi
}

"""


def config_argument(config: dict[str, str]) -> str:
    """Overrides as kafka-configs --add-config takes them; values holding commas go in brackets."""
    return ",".join(f"{k}=[{v}]" if "," in v else f"{k}={v}" for k, v in sorted(config.items()))


def script(topics: list[Topic]) -> str:
    calls = [
        "ensure_topic " + " ".join(shlex.quote(str(part)) for part in (
            t.name, t.partitions, t.replication_factor, config_argument(t.config)))
        for t in topics
    ]
    return ENSURE + "\n".join(calls) + "\n"


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    if not config.topics:
        return []
    body = script(config.topics)
    environment = [
        common.env("BOOTSTRAP_SERVERS", kafka.bootstrap(config)),
        common.env("KAFKA_HEAP_OPTS", "-Xms128m -Xmx256m"),
    ]
    digest = common.content_hash([config.kafka.image, body, environment])
    return [common.job(config, f"{config.cluster_name}-topics-{digest}", NAME, COMPONENT, {
        "name": "topics",
        "image": config.kafka.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", "-c", body],
        "env": environment,
        "resources": {"requests": {"cpu": "100m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": common.container_security_context(),
    })]
