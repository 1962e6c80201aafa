"""Reading built Kubernetes objects: identities, pod templates, containers, JVM heaps, topics.

Risk rules and policy rules ask the same questions of the same shapes; the answers
live here once. Components are recognised by their `app.kubernetes.io/name` label
(what the generator writes), falling back to the container name for hand-written objects.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from gitops_kafka.quantity import parse_java_size, parse_quantity

NAME_LABEL = "app.kubernetes.io/name"
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet")
HEAP_FLAG = re.compile(r"-Xmx([0-9]+[kKmMgGtT]?)\b")
TOPICS_NAME, TOPICS_KEY = "kafka-topics", "topics.tsv"  # the topic Job's ConfigMap: its name label and file
ENSURE_TOPIC = re.compile(r"^\s*ensure_topic\s+(?!\()(.+)$", re.MULTILINE)




def name(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("name", "")


def namespace(obj: dict) -> str:
    return (obj.get("metadata") or {}).get("namespace", "")


def ref(obj: dict) -> str:
    """How messages name an object: Kind/name."""
    return f"{obj.get('kind', '?')}/{name(obj)}"


def annotations(obj: dict) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def by_kind(objects: list[dict], kind: str) -> dict[str, dict]:
    """Objects of one kind by name (namespace set aside: a namespace change has its own rule)."""
    return {name(o): o for o in objects if o.get("kind") == kind}


def pod_template(obj: dict) -> tuple[str, dict] | None:
    """(field path, pod spec) of anything that runs pods; None for everything else."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return "spec", spec
    if kind in (*WORKLOADS, "Job"):
        return "spec.template.spec", (spec.get("template") or {}).get("spec") or {}
    if kind == "CronJob":
        template = ((spec.get("jobTemplate") or {}).get("spec") or {}).get("template") or {}
        return "spec.jobTemplate.spec.template.spec", template.get("spec") or {}
    return None


def containers(obj: dict, init: bool = True) -> list[tuple[str, dict]]:
    """(field path, container) of every container of an object's pods, init containers first."""
    found = pod_template(obj)
    if not found:
        return []
    path, spec = found
    sections = ("initContainers", "containers") if init else ("containers",)
    return [(f"{path}.{section}[name={c.get('name')}]", c)
            for section in sections for c in spec.get(section) or []]


def component(obj: dict) -> str | None:
    """'zookeeper' or 'kafka' for the StatefulSets that run them, else None."""
    if obj.get("kind") != "StatefulSet":
        return None
    label = ((obj.get("metadata") or {}).get("labels") or {}).get(NAME_LABEL)
    if label in ("zookeeper", "kafka"):
        return label
    names = {c.get("name") for _, c in containers(obj, init=False)}
    return next((n for n in ("zookeeper", "kafka") if n in names), None)


def env_value(container: dict, variable: str) -> str | None:
    for item in container.get("env") or []:
        if item.get("name") == variable and "value" in item:
            return str(item["value"])
    return None


def replicas(obj: dict) -> int:
    value = (obj.get("spec") or {}).get("replicas", 1)
    return value if isinstance(value, int) else 1


def ensemble_size(obj: dict) -> int:
    """ZooKeeper members: the server list comes from ZK_REPLICAS when set, else the replica count."""
    for _, container in containers(obj, init=False):
        value = env_value(container, "ZK_REPLICAS")
        if value and value.isdigit():
            return int(value)
    return replicas(obj)


def heap_bytes(container: dict) -> int | None:
    """The largest -Xmx in the container's environment (SERVER_JVMFLAGS, KAFKA_HEAP_OPTS ...)."""
    sizes = []
    for item in container.get("env") or []:
        for match in HEAP_FLAG.finditer(str(item.get("value", ""))):
            try:
                sizes.append(parse_java_size(match.group(1)))
            except ValueError:
                continue
    return max(sizes) if sizes else None


def memory_limit(container: dict) -> int | None:
    value = ((container.get("resources") or {}).get("limits") or {}).get("memory")
    if value is None:
        return None
    try:
        return int(parse_quantity(value))
    except ValueError:
        return None


def storage_requests(obj: dict) -> dict[str, str]:
    """Requested size of each volume claim template of a StatefulSet, by template name."""
    out = {}
    for template in (obj.get("spec") or {}).get("volumeClaimTemplates") or []:
        size = (((template.get("spec") or {}).get("resources") or {}).get("requests") or {}).get("storage")
        out[(template.get("metadata") or {}).get("name", "")] = str(size)
    return out


@dataclass(frozen=True)
class EnsuredTopic:
    name: str
    partitions: int
    replication_factor: int
    config: str


def topics(objects: list[dict]) -> dict[str, EnsuredTopic]:
    """The topics the topic Job ensures: its ConfigMap's `topics.tsv` (one topic a line, tab-separated:
    NAME PARTITIONS RF KEY=VALUE...), or the `ensure_topic NAME PARTITIONS RF CONFIGS` lines of Jobs
    rendered before the list moved out of the command."""
    out = {}
    for obj in objects:
        if obj.get("kind") == "ConfigMap" and ((obj.get("metadata") or {}).get("labels") or {}).get(NAME_LABEL) == TOPICS_NAME:
            for line in str((obj.get("data") or {}).get(TOPICS_KEY, "")).splitlines():
                topic = _topic_line(line)
                if topic:
                    out[topic.name] = topic
        if obj.get("kind") != "Job":
            continue
        for _, container in containers(obj, init=False):
            for text in [*(container.get("command") or []), *(container.get("args") or [])]:
                for match in ENSURE_TOPIC.finditer(str(text)):
                    try:
                        parts = shlex.split(match.group(1))
                        topic = EnsuredTopic(parts[0], int(parts[1]), int(parts[2]), parts[3] if len(parts) > 3 else "")
                    except (ValueError, IndexError):
                        continue
                    out[topic.name] = topic
    return out


def _topic_line(line: str) -> EnsuredTopic | None:
    fields = line.split("\t")
    try:
        name, partitions, replication = fields[0], int(fields[1]), int(fields[2])
    except (ValueError, IndexError):
        return None
    pairs = [field.partition("=") for field in fields[3:]]
    config = ",".join(f"{k}=[{v}]" if "," in v else f"{k}={v}" for k, _, v in sorted(pairs))
    return EnsuredTopic(name, partitions, replication, config)


def image_version(image: str) -> tuple[str, tuple[int, ...]]:
    """(repository, numeric version parts of the tag); parts empty for a digest or a tag without numbers."""
    reference = image.split("@", 1)[0]
    repository, _, tag = reference.rpartition(":") if ":" in reference.rsplit("/", 1)[-1] else (reference, "", "")
    numbers = re.match(r"^v?([0-9]+(?:\.[0-9]+)*)", tag)
    return repository, tuple(int(n) for n in numbers.group(1).split(".")) if numbers else ()
