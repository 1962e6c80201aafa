"""Pure: live objects (and topics) -> the environment file that reproduces them, and what could not be mapped.

Two layouts are recognised: the seed's (Helm `incubator/zookeeper` names and labels, its
Kafka StatefulSet, the solsson/CMAK Deployment, started by a `run` script that reads
`ZK_*` variables) and gitops-kafka's own. Anything else is mapped only where a field
means the same thing in both, and every field that could not be mapped is reported by
name; nothing is guessed silently.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from typing import Any

from gitops_kafka.config import GENERATED_KAFKA_PROPERTIES, KafkaSettings, refused_kafka_property

SEED, OWN, UNKNOWN = "seed", "gitops-kafka", "unrecognised"
# Kafka's own defaults (2.x and 3.x) for the settings an environment file states explicitly:
# a setting the running brokers leave unset keeps the value it has today.
KAFKA_DEFAULTS = {
    "default.replication.factor": "1", "min.insync.replicas": "1", "offsets.topic.replication.factor": "3",
    "transaction.state.log.replication.factor": "3", "transaction.state.log.min.isr": "2", "num.partitions": "1",
    "auto.create.topics.enable": "true", "unclean.leader.election.enable": "false", "log.retention.hours": "168",
}
# cp-kafka image variables that are not broker properties.
KAFKA_IMAGE_VARIABLES = {"KAFKA_HEAP_OPTS", "KAFKA_JMX_PORT", "KAFKA_JMX_OPTS", "KAFKA_OPTS", "KAFKA_LOG4J_OPTS",
                         "KAFKA_LOG4J_ROOT_LOGLEVEL", "KAFKA_LOG4J_LOGGERS", "KAFKA_TOOLS_LOG4J_LOGLEVEL"}
INTERNAL_TOPIC = re.compile(r"^(__|_confluent|_schemas$)")
SCRIPT_DEFAULT = re.compile(r"^\s*(ZK_[A-Z_]+)=\$\{\1:-\s*\"?([^}\"]*)\"?\}\s*$", re.M)
XMX = re.compile(r"-Xmx(\d+[kKmMgG]?)")


@dataclass(frozen=True)
class Unmapped:
    """A live field the environment file cannot express, and why."""

    object: str
    field: str
    value: str
    reason: str


@dataclass
class Mapping:
    layout: str
    environment: dict[str, Any]
    unmapped: list[Unmapped] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)  # seed defects the first sync fixes in place
    workloads: dict[str, dict[str, Any]] = field(default_factory=dict)  # component -> its live workload


class MappingError(ValueError):
    """The namespace does not hold a cluster import can adopt (no ZooKeeper or Kafka StatefulSet)."""


# ---------------------------------------------------------------- recognising the workloads

def _containers(obj: dict) -> list[dict]:
    return ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []


def _env(container: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in container.get("env") or [] if "value" in e}


def _labels(obj: dict) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def _image_name(image: str) -> str:
    return image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]


def _is(obj: dict, what: str) -> bool:
    labels = _labels(obj)
    names = {labels.get("app"), labels.get("app.kubernetes.io/name")}
    images = {_image_name(c.get("image", "")) for c in _containers(obj)}
    if what == "zookeeper":
        return "zookeeper" in names or "zookeeper" in images
    if what == "kafka":
        return any("KAFKA_ZOOKEEPER_CONNECT" in _env(c) for c in _containers(obj)) or \
            ("kafka" in names and any(i in ("cp-kafka", "kafka") for i in images))
    return "kafka-manager" in names or bool(images & {"kafka-manager", "cmak"}) or \
        any("ZK_HOSTS" in _env(c) for c in _containers(obj))


def find_workloads(objects: list[dict]) -> dict[str, dict]:
    """component -> its StatefulSet or Deployment; MappingError if ZooKeeper or Kafka is missing or ambiguous."""
    found: dict[str, dict] = {}
    for component, kind in (("zookeeper", "StatefulSet"), ("kafka", "StatefulSet"), ("kafka_manager", "Deployment")):
        matches = [o for o in objects if o["kind"] == kind and _is(o, component)
                   and not any(o is f for f in found.values())]
        if len(matches) > 1:
            raise MappingError(f"more than one {kind} looks like {component}: "
                               f"{', '.join(m['metadata']['name'] for m in matches)}")
        if matches:
            found[component] = matches[0]
    for required in ("zookeeper", "kafka"):
        if required not in found:
            raise MappingError(f"no {required} StatefulSet found in the namespace")
    return found


def layout(workloads: dict[str, dict]) -> str:
    zk, kafka = _labels(workloads["zookeeper"]), _labels(workloads["kafka"])
    if zk.get("app.kubernetes.io/managed-by") == "gitops-kafka" and kafka.get("app.kubernetes.io/managed-by") == "gitops-kafka":
        return OWN
    if str(zk.get("chart", "")).startswith("zookeeper-") and str(kafka.get("helm.sh/chart", "")).startswith("kafka-"):
        return SEED
    return UNKNOWN


# ---------------------------------------------------------------- small readers

def _resources(container: dict) -> dict[str, Any]:
    out = {}
    for section in ("requests", "limits"):
        values = {k: str(v) for k, v in ((container.get("resources") or {}).get(section) or {}).items()
                  if k in ("cpu", "memory")}
        if values:
            out[section] = values
    return out


def _claim(sts: dict, name: str | None = None) -> dict:
    claims = (sts.get("spec") or {}).get("volumeClaimTemplates") or []
    return next((c for c in claims if name is None or c["metadata"]["name"] == name), claims[0] if claims else {})


def _storage(claim: dict) -> dict[str, Any]:
    spec = claim.get("spec") or {}
    out: dict[str, Any] = {"storage_class": spec.get("storageClassName")}
    out["size"] = str(((spec.get("resources") or {}).get("requests") or {}).get("storage", ""))
    return out


def _heap(text: str | None) -> str | None:
    found = XMX.search(text or "")
    return found.group(1).lower() if found else None


def _ports(container: dict) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container.get("ports") or [] if p.get("name")}


def _service_for(objects: list[dict], selector: dict[str, str], headless: bool) -> str | None:
    for obj in objects:
        spec = obj.get("spec") or {}
        if obj["kind"] == "Service" and (spec.get("clusterIP") == "None") == headless and spec.get("selector") \
                and all(selector.get(k) == v for k, v in spec["selector"].items()):
            return obj["metadata"]["name"]
    return None


def _object(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def property_name(variable: str) -> str:
    """The cp-kafka image's variable -> the broker property: '___' -> '-', '__' -> '_', '_' -> '.'."""
    body = variable.removeprefix("KAFKA_").lower()
    return body.replace("___", "\0").replace("__", "\1").replace("_", ".").replace("\0", "-").replace("\1", "_")


# ---------------------------------------------------------------- components

def _adopted_stateful_set(objects: list[dict], sts: dict, claim: str, unmapped: list[Unmapped]) -> dict[str, Any]:
    spec = sts["spec"]
    selector = dict(spec["selector"].get("matchLabels") or {})
    if spec["selector"].get("matchExpressions"):
        unmapped.append(Unmapped(_object(sts), "spec.selector.matchExpressions", str(spec["selector"]["matchExpressions"]),
                                 "only matchLabels selectors can be kept"))
    service = _service_for(objects, selector, headless=False)
    if service is None:
        unmapped.append(Unmapped(_object(sts), "spec.selector", str(selector),
                                 "no ClusterIP Service selects these pods; the generated one is named after the StatefulSet"))
    return {
        "name": sts["metadata"]["name"],
        "service": service or sts["metadata"]["name"],
        "headless_service": spec.get("serviceName") or f"{sts['metadata']['name']}-headless",
        "selector": selector,
        "claim_template": claim,
        "pod_management_policy": spec.get("podManagementPolicy", "OrderedReady"),
        "ports": _ports(_containers(sts)[0]),
    }


# The ports the generated pods serve, by name: an adopted cluster serving another is reported.
GENERATED_PORTS = {"zookeeper": {"client": 2181, "server": 2888, "election": 3888}, "kafka": {"kafka": 9092}}


def _check_ports(sts: dict, component: str, out: Mapping) -> None:
    live_ports = _ports(_containers(sts)[0])
    for name, number in GENERATED_PORTS[component].items():
        if name in live_ports and live_ports[name] != number:
            out.unmapped.append(Unmapped(_object(sts), f"port {name}", str(live_ports[name]),
                                         f"gitops-kafka serves {name} on {number}: the port would change under its clients"))


def _zookeeper(objects: list[dict], sts: dict, kind: str, out: Mapping) -> dict[str, Any]:
    container = _containers(sts)[0]
    env = _env(container)
    where = _object(sts)
    settings: dict[str, str] = {}
    if kind == SEED:
        # The seed's command runs its ConfigMap's `run` script: ZK_* variables with the script's defaults.
        script = _script(objects, sts)
        settings = {name: value.strip() for name, value in SCRIPT_DEFAULT.findall(script)}
        for name, value in env.items():
            if name.startswith("ZOO_"):
                out.unmapped.append(Unmapped(where, f"env {name}", value,
                                             "ignored by the running start script (it reads ZK_* variables only)"))
        settings.update({k: v for k, v in env.items() if k.startswith("ZK_")})
        heap = (settings.get("ZK_HEAP_SIZE") or "").lower() or None
    else:
        settings = {k: v for k, v in env.items() if k.startswith("ZK_")}
        heap = _heap(env.get("SERVER_JVMFLAGS") or env.get("JVMFLAGS")) or (settings.get("ZK_HEAP_SIZE") or "").lower() or None
    zookeeper: dict[str, Any] = {"replicas": sts["spec"].get("replicas", 1), "image": container["image"]}
    if heap:
        zookeeper["heap"] = heap
    else:
        out.unmapped.append(Unmapped(where, "heap", "", "no -Xmx or ZK_HEAP_SIZE found; the generator's default applies"))
    zookeeper["resources"] = _resources(container)
    claim = _claim(sts)
    zookeeper["storage"] = _storage(claim)
    for key, name in (("tick_time", "ZK_TICK_TIME"), ("init_limit", "ZK_INIT_LIMIT"), ("sync_limit", "ZK_SYNC_LIMIT"),
                      ("max_client_cnxns", "ZK_MAX_CLIENT_CNXNS")):
        if settings.get(name, "").isdigit():
            zookeeper[key] = int(settings[name])
    retain = settings.get("ZK_SNAP_RETAIN_COUNT", "3")
    interval = settings.get("ZK_PURGE_INTERVAL", "24")
    autopurge = {"snap_retain_count": max(3, int(retain)) if retain.isdigit() else 3,
                 "purge_interval_hours": int(interval) if interval.isdigit() else 24}
    if autopurge["purge_interval_hours"] == 0:
        autopurge["purge_interval_hours"] = 24
        out.fixes.append("ZooKeeper autopurge turned on (every 24 h, keeping 3 snapshots): today it is off, "
                         "and old snapshots and transaction logs fill the data volume")
    zookeeper["autopurge"] = autopurge
    if str(settings.get("ZK_CLIENT_PORT", "2181")) != "2181":
        out.unmapped.append(Unmapped(where, "env ZK_CLIENT_PORT", settings["ZK_CLIENT_PORT"],
                                     "gitops-kafka serves ZooKeeper clients on 2181 only"))
    _check_ports(sts, "zookeeper", out)
    out.environment.setdefault("adopt", {})["zookeeper"] = _adopted_stateful_set(
        objects, sts, claim.get("metadata", {}).get("name", "data"), out.unmapped)
    return zookeeper


def _script(objects: list[dict], sts: dict) -> str:
    volumes = sts["spec"]["template"]["spec"].get("volumes") or []
    names = {(v.get("configMap") or {}).get("name") for v in volumes}
    for obj in objects:
        if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] in names:
            return (obj.get("data") or {}).get("run", "")
    return ""


def _kafka(objects: list[dict], sts: dict, kind: str, out: Mapping) -> dict[str, Any]:
    container = _containers(sts)[0]
    env = _env(container)
    where = _object(sts)
    kafka: dict[str, Any] = {"replicas": sts["spec"].get("replicas", 1), "image": container["image"]}
    heap = _heap(env.get("KAFKA_HEAP_OPTS"))
    if heap:
        kafka["heap"] = heap
    else:
        out.unmapped.append(Unmapped(where, "env KAFKA_HEAP_OPTS", env.get("KAFKA_HEAP_OPTS", ""),
                                     "no -Xmx found; the generator's default heap applies"))
    kafka["resources"] = _resources(container)
    claim = _claim(sts)
    kafka["storage"] = _storage(claim)
    properties: dict[str, str] = {}
    for name, value in env.items():
        if not name.startswith("KAFKA_") or name in ("KAFKA_ZOOKEEPER_CONNECT", "KAFKA_LOG_DIRS"):
            continue
        if name in KAFKA_IMAGE_VARIABLES:
            if name != "KAFKA_HEAP_OPTS":
                out.unmapped.append(Unmapped(where, f"env {name}", value,
                                             "an image variable, not a broker property; the generated brokers do not set it"))
            continue
        prop = property_name(name)
        refused = refused_kafka_property(prop)
        if refused:
            if not (kind == OWN and prop in GENERATED_KAFKA_PROPERTIES):  # gitops-kafka's own wiring: rendered again
                out.unmapped.append(Unmapped(where, f"env {name}", value, refused))
            continue
        properties[prop] = value
    first_class = {f.alias for f in KafkaSettings.model_fields.values()}
    kafka["settings"] = {name: _typed(properties.pop(name, default)) for name, default in KAFKA_DEFAULTS.items()
                         if name in first_class}
    if properties:
        kafka["overrides"] = dict(sorted(properties.items()))
    kafka["update_strategy"] = (sts["spec"].get("updateStrategy") or {}).get("type", "RollingUpdate")
    connect = env.get("KAFKA_ZOOKEEPER_CONNECT", "")
    chroot = connect[connect.index("/"):] if "/" in connect else None
    if chroot and chroot != "/":
        kafka["zookeeper_chroot"] = chroot.rstrip("/")
    log_dirs = env.get("KAFKA_LOG_DIRS")
    mounts = {m["name"]: m["mountPath"].rstrip("/") for m in container.get("volumeMounts") or []}
    claim_name = claim.get("metadata", {}).get("name", "data")
    if log_dirs and claim_name in mounts and not log_dirs.startswith(mounts[claim_name] + "/"):
        out.unmapped.append(Unmapped(where, "env KAFKA_LOG_DIRS", log_dirs,
                                     f"not inside the data volume ({mounts[claim_name]}): its logs could not be kept"))
    elif log_dirs and claim_name in mounts and log_dirs.removeprefix(mounts[claim_name] + "/") != "logs":
        out.unmapped.append(Unmapped(where, "env KAFKA_LOG_DIRS", log_dirs,
                                     "the generated brokers keep their logs in <volume>/logs; this would start them empty"))
    _check_ports(sts, "kafka", out)
    out.environment.setdefault("adopt", {})["kafka"] = _adopted_stateful_set(objects, sts, claim_name, out.unmapped)
    return kafka


def _typed(value: str) -> Any:
    return int(value) if value.isdigit() else {"true": True, "false": False}.get(value, value)


def _kafka_manager(objects: list[dict], deployment: dict, out: Mapping) -> dict[str, Any]:
    container = _containers(deployment)[0]
    env = _env(container)
    where = _object(deployment)
    manager = {"enabled": True, "image": container["image"], "resources": _resources(container)}
    selector = dict(deployment["spec"]["selector"].get("matchLabels") or {})
    hosts = env.get("ZK_HOSTS", "")
    root = hosts[hosts.index("/"):].rstrip("/") if "/" in hosts else None
    ports = [p["containerPort"] for p in container.get("ports") or []]
    adopt: dict[str, Any] = {
        "name": deployment["metadata"]["name"],
        "service": _service_for(objects, selector, headless=False) or deployment["metadata"]["name"],
        "selector": selector,
        "port": ports[0] if ports else 9000,
    }
    if container.get("command"):
        adopt["command"] = list(container["command"])
    if container.get("args"):
        out.unmapped.append(Unmapped(where, "args", shlex.join(container["args"]), "CMAK's arguments are not kept"))
    if root:
        adopt["zookeeper_root"] = root
    heap = _heap(env.get("JAVA_OPTS"))
    if heap:
        manager["heap"] = heap
    for name in sorted(set(env) - {"ZK_HOSTS", "APPLICATION_SECRET", *(["JAVA_OPTS"] if heap else [])}):
        out.unmapped.append(Unmapped(where, f"env {name}", env[name], "not an option of the generated Kafka Manager"))
    out.environment.setdefault("adopt", {})["kafka_manager"] = adopt
    return manager


# ---------------------------------------------------------------- the whole cluster

def map_cluster(objects: list[dict], namespace: str, topics: dict[str, dict] | None) -> Mapping:
    """The environment (without gitops:, which comes from the repository's defaults) and what was left out."""
    workloads = find_workloads(objects)
    kind = layout(workloads)
    out = Mapping(layout=kind, environment={"namespace": namespace}, workloads=workloads)
    kafka_name = workloads["kafka"]["metadata"]["name"]
    if len(kafka_name) <= 30 and kafka_name != "placeholder":
        out.environment["cluster_name"] = kafka_name
    out.environment["zookeeper"] = _zookeeper(objects, workloads["zookeeper"], kind, out)
    out.environment["kafka"] = _kafka(objects, workloads["kafka"], kind, out)
    if "kafka_manager" in workloads:
        out.environment["kafka_manager"] = _kafka_manager(objects, workloads["kafka_manager"], out)
    else:
        out.environment["kafka_manager"] = {"enabled": False}
    if topics is not None:
        out.environment["topics"] = [
            {"name": name, "partitions": t["partitions"], "replication_factor": t["replication_factor"],
             **({"config": {k: _typed(v) for k, v in sorted(t["config"].items())}} if t["config"] else {})}
            for name, t in sorted(topics.items()) if not INTERNAL_TOPIC.match(name)]
    if kind == UNKNOWN:
        for component, obj in workloads.items():
            out.unmapped.append(Unmapped(_object(obj), "layout", "",
                                         f"{component}: neither the seed's layout nor gitops-kafka's; "
                                         "only image, replicas, resources, storage and identities were read"))
    return out
