"""Risk rules: what in a change the cluster will refuse, or what risks data or availability.

Each rule is a small function of the objects built at the base and at the head
revision, returning Warnings. Objects are matched by kind and name; a namespace
change has a rule of its own. A rule says what will happen and what to do.
"""
from __future__ import annotations

from dataclasses import dataclass

from gitops_kafka.quantity import format_bytes, parse_quantity
from gitops_kafka.review import objects as obj

CRITICAL, WARNING, INFO = "critical", "warning", "info"
SEVERITY_ORDER = {CRITICAL: 0, WARNING: 1, INFO: 2}
IMMUTABLE_STATEFULSET_FIELDS = ("selector", "serviceName", "podManagementPolicy", "volumeClaimTemplates")


@dataclass(frozen=True)
class Risk:
    severity: str
    rule: str
    object: str
    message: str


def statefulset_immutable_field(base: list[dict], head: list[dict]) -> list[Risk]:
    """The API server refuses updates to these StatefulSet fields: the sync fails until it is recreated."""
    out = []
    old = obj.by_kind(base, "StatefulSet")
    for name, new in obj.by_kind(head, "StatefulSet").items():
        if name not in old:
            continue
        before, after = old[name].get("spec") or {}, new.get("spec") or {}
        for field in IMMUTABLE_STATEFULSET_FIELDS:
            a, b = before.get(field), after.get(field)
            if field == "volumeClaimTemplates":
                a, b = _without_storage_size(a), _without_storage_size(b)
            if a != b:
                out.append(Risk(CRITICAL, "statefulset-immutable-field", obj.ref(new),
                                   f"spec.{field} changes, and the API server refuses to update it: the sync will "
                                   "fail. Delete the StatefulSet with --cascade=orphan (pods and volumes stay) "
                                   "and let the sync create it again, or revert the change"))
    return out


def storage_size(base: list[dict], head: list[dict]) -> list[Risk]:
    """Volume claim templates cannot change; a new size needs the claims resized by hand."""
    out = []
    old = obj.by_kind(base, "StatefulSet")
    for name, new in obj.by_kind(head, "StatefulSet").items():
        if name not in old:
            continue
        before, after = obj.storage_requests(old[name]), obj.storage_requests(new)
        for template, size in after.items():
            if template not in before or before[template] == size:
                continue
            grows = _quantity(size) > _quantity(before[template])
            steps = (f"grow each PersistentVolumeClaim {template}-{name}-N to {size} by hand (its StorageClass "
                     "must allow volume expansion), then delete the StatefulSet with --cascade=orphan so the "
                     "sync recreates it with the new template"
                     if grows else "a PersistentVolumeClaim cannot shrink: the data must move to new volumes")
            out.append(Risk(CRITICAL, "storage-size", obj.ref(new),
                               f"volume {template}: {before[template]} -> {size}. volumeClaimTemplates cannot "
                               f"change, so the sync will fail; {steps}"))
    return out


def zookeeper_ensemble(base: list[dict], head: list[dict]) -> list[Risk]:
    """A new ensemble size restarts every member with a new server list; an even size buys nothing."""
    out = []
    old = _by_component(base, "zookeeper")
    for name, new in _by_component(head, "zookeeper").items():
        after = obj.ensemble_size(new)
        before = obj.ensemble_size(old[name]) if name in old else None
        if after % 2 == 0 and before != after:
            out.append(Risk(CRITICAL, "zookeeper-ensemble", obj.ref(new),
                               f"the ensemble becomes even ({after} members): it tolerates no more failures than "
                               f"{after - 1}, and a split into halves has no quorum. Use an odd size"))
        if before is not None and before != after:
            out.append(Risk(WARNING, "zookeeper-ensemble", obj.ref(new),
                               f"ensemble size {before} -> {after}: every member restarts with the new server list; "
                               f"quorum holds only while at most {(min(before, after) - 1) // 2} member(s) are down "
                               "during the roll. Merge at a quiet time and watch the rollout"))
    return out


def fewer_replicas(base: list[dict], head: list[dict]) -> list[Risk]:
    """Scaling ZooKeeper or Kafka down removes the highest ordinals and everything they held."""
    out = []
    for component in ("zookeeper", "kafka"):
        old = _by_component(base, component)
        for name, new in _by_component(head, component).items():
            if name not in old or obj.replicas(new) >= obj.replicas(old[name]):
                continue
            before, after = obj.replicas(old[name]), obj.replicas(new)
            gone = ", ".join(f"{name}-{i}" for i in range(after, before))
            if component == "kafka":
                detail = (f"brokers {gone} are removed with the partition replicas they hold and lead: reassign "
                          "their partitions to the remaining brokers first (kafka-reassign-partitions), and check "
                          "every replication factor still fits. Their volumes stay until deleted by hand")
            else:
                detail = (f"members {gone} leave the ensemble; the remaining members restart with the shorter "
                          "server list. Their volumes stay until deleted by hand")
            out.append(Risk(CRITICAL, "fewer-replicas", obj.ref(new), f"replicas {before} -> {after}: {detail}"))
    return out


def topic_partitions_decrease(base: list[dict], head: list[dict]) -> list[Risk]:
    before, after = obj.topics(base), obj.topics(head)
    return [Risk(CRITICAL, "topic-partitions-decrease", f"topic/{name}",
                    f"partitions {before[name].partitions} -> {topic.partitions}: Kafka cannot remove partitions; "
                    "the topic Job leaves the topic as it is and git no longer says the truth")
            for name, topic in after.items()
            if name in before and topic.partitions < before[name].partitions]


def topic_replication_factor(base: list[dict], head: list[dict]) -> list[Risk]:
    before, after = obj.topics(base), obj.topics(head)
    return [Risk(WARNING, "topic-replication-factor", f"topic/{name}",
                    f"replication factor {before[name].replication_factor} -> {topic.replication_factor}: this "
                    "takes a partition reassignment (kafka-reassign-partitions); the topic Job does not change it")
            for name, topic in after.items()
            if name in before and topic.replication_factor != before[name].replication_factor]


def topic_removed(base: list[dict], head: list[dict]) -> list[Risk]:
    before, after = obj.topics(base), obj.topics(head)
    return [Risk(WARNING, "topic-removed", f"topic/{name}",
                    "the topic disappears from git but will not be deleted from Kafka (gitops-kafka never deletes "
                    "a topic): delete it by hand if that is what you want, after its consumers are gone")
            for name in before if name not in after]


def namespace_change(base: list[dict], head: list[dict]) -> list[Risk]:
    """Objects in a new namespace are new objects: everything is deleted and created again."""
    before = {obj.namespace(o) for o in base if obj.namespace(o)}
    after = {obj.namespace(o) for o in head if obj.namespace(o)}
    if not before or not after or before == after:
        return []
    return [Risk(CRITICAL, "namespace-change", "Namespace",
                    f"namespace {', '.join(sorted(before))} -> {', '.join(sorted(after))}: every object is deleted "
                    "and created again in the new namespace, with new, empty volumes; the old volumes (and the "
                    "old namespace, which is never pruned) stay behind. Migrate the data first")]


def image_change(base: list[dict], head: list[dict]) -> list[Risk]:
    """A new ZooKeeper or Kafka image restarts every pod, one at a time; a major version needs care."""
    out = []
    for component in ("zookeeper", "kafka"):
        old = _by_component(base, component)
        for name, new in _by_component(head, component).items():
            if name not in old:
                continue
            before = {c.get("name"): c.get("image") for _, c in obj.containers(old[name])}
            for path, container in obj.containers(new):
                a, b = before.get(container.get("name")), container.get("image")
                if a is None or a == b:
                    continue
                (repo_a, version_a), (repo_b, version_b) = obj.image_version(a), obj.image_version(b)
                message = f"image {a} -> {b}: a rolling restart of every {component} pod"
                severity = WARNING
                if repo_a != repo_b:
                    severity = CRITICAL
                    message += "; a different image repository: check it runs the same software and layout"
                elif version_a[:1] and version_b[:1] and version_a[:1] != version_b[:1]:
                    severity = CRITICAL
                    message += (f"; a major version jump ({version_a[0]} -> {version_b[0]}): read the upgrade notes"
                                + (" and pin inter.broker.protocol.version first" if component == "kafka" else ""))
                if component == "kafka" and _without_zookeeper(repo_b, version_b):
                    message += "; Kafka 4 has no ZooKeeper mode at all: migrate to KRaft before this image"
                out.append(Risk(severity, "image-change", obj.ref(new), message))
    return out


def pod_disruption_budget(base: list[dict], head: list[dict]) -> list[Risk]:
    """Without its budget, a node drain may take down a quorum or several brokers at once."""
    out = []
    new = obj.by_kind(head, "PodDisruptionBudget")
    for name, old in obj.by_kind(base, "PodDisruptionBudget").items():
        if name not in new:
            out.append(Risk(CRITICAL, "pod-disruption-budget", obj.ref(old),
                               "the PodDisruptionBudget is removed: node drains may evict several members at once"))
            continue
        before, after = old.get("spec") or {}, new[name].get("spec") or {}
        looser = None
        if "maxUnavailable" in before and "maxUnavailable" in after:
            if _budget(after["maxUnavailable"]) > _budget(before["maxUnavailable"]):
                looser = f"maxUnavailable {before['maxUnavailable']} -> {after['maxUnavailable']}"
        elif "minAvailable" in before and "minAvailable" in after:
            if _budget(after["minAvailable"]) < _budget(before["minAvailable"]):
                looser = f"minAvailable {before['minAvailable']} -> {after['minAvailable']}"
        elif before != after and (before.keys() & {"maxUnavailable", "minAvailable"}):
            looser = "the budget changes between minAvailable and maxUnavailable (check it still protects quorum)"
        if looser:
            out.append(Risk(WARNING, "pod-disruption-budget", obj.ref(new[name]),
                               f"the budget loosens: {looser}; more pods may be evicted at once"))
    return out


def memory_below_heap(base: list[dict], head: list[dict]) -> list[Risk]:
    """A memory limit at or under the JVM heap gets the pod OOM-killed as soon as the heap fills."""
    out = []
    old = {(o.get("kind"), obj.name(o)): o for o in base}
    for new in head:
        previous = old.get((new.get("kind"), obj.name(new)))
        was = {c.get("name"): _heap_over_limit(c) for _, c in obj.containers(previous)} if previous else {}
        for path, container in obj.containers(new):
            over = _heap_over_limit(container)
            if over and not was.get(container.get("name")):
                heap, limit = over
                out.append(Risk(CRITICAL, "memory-below-heap", obj.ref(new),
                                   f"{path}: memory limit {format_bytes(limit)} is not above the JVM heap "
                                   f"{format_bytes(heap)}: the container will be OOM-killed. Keep the heap at "
                                   "most 75% of the limit"))
    return out


RULES = (
    statefulset_immutable_field, storage_size, zookeeper_ensemble, fewer_replicas,
    topic_partitions_decrease, topic_replication_factor, topic_removed,
    namespace_change, image_change, pod_disruption_budget, memory_below_heap,
)


def assess(base: list[dict], head: list[dict]) -> list[Risk]:
    """Every rule's warnings, most severe first."""
    warnings = [w for rule in RULES for w in rule(base, head)]
    return sorted(warnings, key=lambda w: SEVERITY_ORDER[w.severity])


# ---------------------------------------------------------------- helpers

def _by_component(objects: list[dict], component: str) -> dict[str, dict]:
    return {obj.name(o): o for o in objects if obj.component(o) == component}


def _without_storage_size(templates):
    if not isinstance(templates, list):
        return templates
    out = []
    for template in templates:
        template = {**template, "spec": {**(template.get("spec") or {})}}
        resources = dict(template["spec"].get("resources") or {})
        resources["requests"] = {k: v for k, v in (resources.get("requests") or {}).items() if k != "storage"}
        template["spec"]["resources"] = resources
        out.append(template)
    return out


def _quantity(text: str):
    try:
        return parse_quantity(text)
    except ValueError:
        return 0


def _budget(value) -> float:
    """An int or a percentage, comparable with its own kind."""
    text = str(value)
    return float(text[:-1]) if text.endswith("%") else float(text)


def _heap_over_limit(container: dict) -> tuple[int, int] | None:
    heap, limit = obj.heap_bytes(container), obj.memory_limit(container)
    if heap is not None and limit is not None and limit <= heap:
        return heap, limit
    return None


def _without_zookeeper(repository: str, version: tuple[int, ...]) -> bool:
    """Confluent Platform 8 carries Kafka 4, which removed ZooKeeper mode; so does Apache Kafka 4."""
    last = repository.rsplit("/", 1)[-1]
    if not version:
        return False
    return (last == "cp-kafka" and version[0] >= 8) or (last == "kafka" and version[0] >= 4)
