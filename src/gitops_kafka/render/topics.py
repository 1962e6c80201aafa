"""The Job that makes Kafka's topics match git: create, add partitions, set config overrides.

It never deletes a topic, never lowers a partition count (Kafka cannot) and never
changes a replication factor (that takes a reassignment): it says so in its log
instead.

The desired topics travel in a ConfigMap file mounted into the Job, one topic a line,
never in the command line (Linux caps one argument at 128 KiB: a few thousand topics).
Each Kafka tool call starts a JVM, so the Job reads the whole cluster once (one
describe of every topic, one of every topic's dynamic configs) and calls the tools
again only for topics that need a change. Topics are found by exact name: the
`--topic` option of kafka-topics is a regular expression, so names given to it have
their dots escaped.

The Job and its ConfigMap carry a hash of their content in their names: a changed
topic list is a new Job that Argo CD or Flux run, an unchanged one is left alone. The
ConfigMap outgrows what client-side apply can record in its last-applied annotation
(256 KiB) at a few thousand topics, so it is applied server-side (Argo CD's per-object
sync option; Flux always applies server-side).
"""
from __future__ import annotations

from typing import Any

from gitops_kafka.config import EnvironmentConfig, Topic
from gitops_kafka.errors import RenderError
from gitops_kafka.render import common, kafka

NAME = "kafka-topics"
COMPONENT = "topics"
TOPICS_KEY = "topics.tsv"
MOUNT_DIR = "/etc/gitops-kafka/topics"
SERVER_SIDE_APPLY = {"argocd.argoproj.io/sync-options": "ServerSideApply=true"}
# The Job's deadline: half an hour, plus what a topic that needs every change takes
# (create and configure: two JVM starts of a few seconds each). A first run creates every topic.
DEADLINE_SECONDS, SECONDS_PER_TOPIC = 1800, 10
# A ConfigMap holds at most 1 MiB; keep room for its metadata.
MAX_TOPICS_FILE_BYTES = 1_000_000

ENSURE = r"""set -euo pipefail
# Makes Kafka's topics match the file $TOPICS_FILE: one topic a line, tab-separated:
# NAME PARTITIONS REPLICATION_FACTOR [CONFIG=VALUE ...]
bootstrap="$BOOTSTRAP_SERVERS"
until kafka-broker-api-versions --bootstrap-server "$bootstrap" >/dev/null 2>&1; do
  echo "waiting for Kafka at $bootstrap"
  sleep 5
done

declare -A partitions=() replication=() config=()

# Every topic's partition count and replication factor, from one describe of all topics.
# Topic lines start with "Topic:", partition lines with a tab. A failed call stops the Job
# (set -e on the assignment): an empty answer must never read as "no topic exists".
described="$(kafka-topics --bootstrap-server "$bootstrap" --describe)"
while IFS= read -r line; do
  if [[ "$line" =~ ^Topic:\ ([^[:space:]]+)[[:space:]].*PartitionCount:\ ([0-9]+)[[:space:]]+ReplicationFactor:\ ([0-9]+) ]]; then
    partitions["${BASH_REMATCH[1]}"]="${BASH_REMATCH[2]}"
    replication["${BASH_REMATCH[1]}"]="${BASH_REMATCH[3]}"
  fi
done <<<"$described"

# Every topic's dynamic config overrides, from one describe of all topic configs:
# "Dynamic configs for topic NAME are:" then "  KEY=VALUE sensitive=... synonyms={...}".
configs="$(kafka-configs --bootstrap-server "$bootstrap" --describe --entity-type topics)"
topic=""
while IFS= read -r line; do
  if [[ "$line" =~ ^Dynamic\ configs\ for\ topic\ ([^[:space:]]+)\ are:$ ]]; then
    topic="${BASH_REMATCH[1]}"
  elif [[ -n "$topic" && "$line" == "  "*=* ]]; then
    entry="${line#  }"
    entry="${entry%% sensitive=*}"
    config["$topic/${entry%%=*}"]="${entry#*=}"
  fi
done <<<"$configs"

# kafka-topics --topic takes a regular expression; topic names hold no other metacharacter than '.'.
exact() { printf '%s' "${1//./\\.}"; }

created=0 altered=0 configured=0 unchanged=0
while IFS=$'\t' read -r -a fields; do
  [[ ${#fields[@]} -ge 3 ]] || continue
  name="${fields[0]}" want="${fields[1]}" factor="${fields[2]}"
  settings=("${fields[@]:3}")
  current="${partitions[$name]-}"
  changed=0
  if [[ -z "$current" ]]; then
    echo "creating topic $name: $want partitions, replication factor $factor"
    kafka-topics --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$name" \
      --partitions "$want" --replication-factor "$factor"
    created=$((created + 1)) changed=1
  else
    if (( current < want )); then
      echo "topic $name: adding partitions, $current -> $want"
      kafka-topics --bootstrap-server "$bootstrap" --alter --topic "$(exact "$name")" --partitions "$want"
      altered=$((altered + 1)) changed=1
    elif (( current > want )); then
      echo "WARNING: topic $name has $current partitions, git declares $want; Kafka cannot remove partitions, left as is" >&2
    fi
    if [[ "${replication[$name]}" != "$factor" ]]; then
      echo "WARNING: topic $name has replication factor ${replication[$name]}, git declares $factor; that takes a partition reassignment, left as is" >&2
    fi
  fi
  add=()
  differs=0
  for setting in "${settings[@]}"; do
    key="${setting%%=*}" value="${setting#*=}"
    [[ "$value" == *,* ]] && add+=("$key=[$value]") || add+=("$key=$value")
    if [[ -z "$current" || "${config[$name/$key]-}" != "$value" || -z "${config[$name/$key]+set}" ]]; then
      differs=1
    fi
  done
  if (( differs )); then
    joined="$(IFS=,; printf '%s' "${add[*]}")"
    echo "topic $name: setting config $joined"
    kafka-configs --bootstrap-server "$bootstrap" --alter --entity-type topics --entity-name "$name" --add-config "$joined"
    configured=$((configured + 1)) changed=1
  fi
  (( changed )) || unchanged=$((unchanged + 1))
done < "$TOPICS_FILE"
echo "topics: $created created, $altered with partitions added, $configured configured, $unchanged unchanged"
"""


def topic_line(topic: Topic) -> str:
    """One topic as the Job reads it: name, partitions, replication factor, then KEY=VALUE overrides."""
    fields = [topic.name, str(topic.partitions), str(topic.replication_factor),
              *(f"{key}={value}" for key, value in sorted(topic.config.items()))]
    return "\t".join(fields)


def topics_file(topics: list[Topic]) -> str:
    return "".join(topic_line(t) + "\n" for t in topics)


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    if not config.topics:
        return []
    desired = topics_file(config.topics)
    if len(desired.encode()) > MAX_TOPICS_FILE_BYTES:
        raise RenderError(f"environment {config.name}: the topic list takes {len(desired.encode())} bytes, more than "
                          f"a ConfigMap holds ({MAX_TOPICS_FILE_BYTES}); split the topics across clusters")
    environment = [
        common.env("BOOTSTRAP_SERVERS", kafka.bootstrap(config)),
        common.env("TOPICS_FILE", f"{MOUNT_DIR}/{TOPICS_KEY}"),
        common.env("KAFKA_HEAP_OPTS", "-Xms128m -Xmx256m"),
    ]
    digest = common.content_hash([config.kafka.image, ENSURE, environment, desired])
    name = f"{config.cluster_name}-topics-{digest}"
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": common.metadata(name, common.labels(config, NAME, COMPONENT), SERVER_SIDE_APPLY),
        "data": {TOPICS_KEY: desired},
    }
    job = common.job(config, name, NAME, COMPONENT, {
        "name": "topics",
        "image": config.kafka.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", "-c", ENSURE],
        "env": environment,
        "resources": {"requests": {"cpu": "100m", "memory": "384Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}},
        "securityContext": common.container_security_context(),
        "volumeMounts": [{"name": "topics", "mountPath": MOUNT_DIR, "readOnly": True}],
    }, volumes=[{"name": "topics", "configMap": {"name": name}}],
        deadline_seconds=DEADLINE_SECONDS + SECONDS_PER_TOPIC * len(config.topics))
    return [config_map, job]
