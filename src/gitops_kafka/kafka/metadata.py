"""Kafka's metadata in ZooKeeper against git: parse Kafka's znode payloads, compare, report.

Pure: payload bytes and an EnvironmentConfig in, small frozen values out. Payloads are
parsed by the fields present, never by their `version` (brokers write versions 1 to 5,
`/cluster/id` writes its version as a string); a payload that cannot be understood is
reported as unreadable at its path, never taken as "in sync".
"""
from __future__ import annotations

import json
import re
from collections.abc import ItemsView, Iterator, Mapping, ValuesView
from dataclasses import asdict, dataclass, field, replace
from enum import Enum
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka import topology

# Topics Kafka creates and manages itself: never declared in git, never "extra".
INTERNAL_TOPICS = frozenset({"__consumer_offsets", "__transaction_state"})
KAFKA_MANAGER_ROOT = topology.CMAK_ROOT_ZNODE
# Partitions named in a finding's message; the counts are always complete.
LISTED_PARTITIONS = 10


T = TypeVar("T")


class PayloadError(ValueError):
    """A znode's payload is not what Kafka writes there."""


# ---------------------------------------------------------------- parsed znodes

V = TypeVar("V")


class Partitions(Mapping[int, V], Generic[V]):
    """partition -> value for partitions numbered 0..n-1, as Kafka numbers them: one tuple.

    A 10-partition topic's dict takes 352 bytes, this about 190; 10,000 topics hold two
    such maps each (replicas, states). Read-only, compares equal to the dict it stands
    for, and hashes: equal replica maps are one shared value."""

    __slots__ = ("_values",)

    def __init__(self, values: tuple[V, ...]):
        self._values = values

    def __getitem__(self, partition: int) -> V:
        if isinstance(partition, int) and 0 <= partition < len(self._values):
            return self._values[partition]
        raise KeyError(partition)

    def __contains__(self, partition: object) -> bool:
        return isinstance(partition, int) and 0 <= partition < len(self._values)

    def __iter__(self) -> Iterator[int]:
        return iter(range(len(self._values)))

    def __len__(self) -> int:
        return len(self._values)

    def items(self) -> ItemsView[int, V]:
        return _PartitionItems(self)

    def values(self) -> ValuesView[V]:
        return _PartitionValues(self)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Partitions):
            return self._values == other._values
        return Mapping.__eq__(self, other)

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class _PartitionItems(ItemsView):
    __slots__ = ()

    def __iter__(self):
        return zip(range(len(self._mapping)), self._mapping._values)


class _PartitionValues(ValuesView):
    __slots__ = ()

    def __iter__(self):
        return iter(self._mapping._values)


def partition_map(values: Mapping[int, V]) -> Mapping[int, V]:
    """`values` as Partitions when its keys are 0..n-1, else as it is (a dict)."""
    if isinstance(values, Partitions) or not values or not all(p in values for p in range(len(values))):
        return values
    return Partitions(tuple(values[p] for p in range(len(values))))


@dataclass(frozen=True, slots=True)
class Broker:
    id: int
    host: str | None
    port: int | None
    endpoints: tuple[str, ...]
    rack: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """`/brokers/topics/<t>`: replicas per partition, and a reassignment if one is in progress.

    Kafka 2.4+ writes a reassignment into the topic znode (adding_replicas, removing_replicas).
    Kafka 2.0-2.3 writes the old and new replicas together into `partitions` and the new ones
    only into /admin/reassign_partitions: those are `targets` (see `MetadataSnapshot.assignment`).
    """

    replicas: Mapping[int, tuple[int, ...]]
    adding: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    removing: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    topic_id: str | None = None
    targets: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    def replication_factor(self) -> int | None:
        """The factor the topic has (or will have once a reassignment ends); None if partitions disagree."""
        factors = {len(self.targets[p]) if p in self.targets else len(r) - len(self.removing.get(p, ()))
                   for p, r in self.replicas.items()}
        return factors.pop() if len(factors) == 1 else None

    @property
    def reassigning(self) -> bool:
        return bool(self.adding or self.removing or self.targets)

    def moving(self, partition: int) -> bool:
        """Whether this partition's replicas are being reassigned (new ones may still be catching up)."""
        return partition in self.adding or partition in self.targets


@dataclass(frozen=True, slots=True)
class PartitionState:
    """`/brokers/topics/<t>/partitions/<p>/state`; leader -1 means offline."""

    leader: int
    isr: tuple[int, ...]
    leader_epoch: int | None = None


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A znode that exists but whose payload could not be understood."""

    path: str
    reason: str


def _json_object(data: bytes | None) -> dict:
    if data is None:
        raise PayloadError("empty payload")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PayloadError(f"not JSON: {exc}") from None
    if not isinstance(value, dict):
        raise PayloadError(f"expected a JSON object, got {type(value).__name__}")
    return value


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{what}: expected an integer, got {value!r}")
    return value


# Parsed values that repeat across a cluster's partitions (replica lists, in-sync sets, whole
# partition states: a few brokers make few distinct ones) are shared, one object per distinct
# value: 100,000 partitions otherwise hold 300,000 small objects. Frozen values only; bounded.
_SHARED: dict[Any, Any] = {}
SHARED_AT_MOST = 1 << 16
NO_PARTITIONS: Mapping[int, tuple[int, ...]] = MappingProxyType({})


def _shared(value: T) -> T:
    if len(_SHARED) >= SHARED_AT_MOST:
        _SHARED.clear()
    return _SHARED.setdefault(value, value)


_INTS = frozenset({int})


def _int_list(value: Any, what: str) -> tuple[int, ...]:
    if type(value) is list and set(map(type, value)) <= _INTS:  # bool, float are not int here
        return _shared(tuple(value))
    if not isinstance(value, list):
        raise PayloadError(f"{what}: expected a list of broker ids, got {value!r}")
    return _shared(tuple(_int(v, what) for v in value))


def _partition_map(value: Any, what: str) -> Mapping[int, tuple[int, ...]]:
    if not isinstance(value, dict):
        raise PayloadError(f"{what}: expected an object of partition -> replicas, got {type(value).__name__}")
    if not value:
        return NO_PARTITIONS  # most topics move nothing: one shared empty mapping, not two dicts each
    out = {}
    for key, replicas in value.items():
        if not isinstance(key, str) or not (key.isascii() and key.isdigit()):  # '²' is a digit to isdigit
            raise PayloadError(f"{what}: {key!r} is not a partition number")
        out[int(key)] = _int_list(replicas, f"{what}.{key}")
    dense = partition_map(out)
    return _shared(dense) if isinstance(dense, Partitions) else dense  # few distinct maps in a cluster


def parse_broker(broker_id: str, data: bytes | None) -> Broker:
    if not broker_id.isdigit():
        raise PayloadError(f"{broker_id!r} is not a broker id")
    payload = _json_object(data)
    endpoints = payload.get("endpoints", [])
    if not isinstance(endpoints, list) or not all(isinstance(e, str) for e in endpoints):
        raise PayloadError(f"endpoints: expected a list of strings, got {endpoints!r}")
    host, port = payload.get("host"), payload.get("port")
    if host is not None and not isinstance(host, str):
        raise PayloadError(f"host: expected a string, got {host!r}")
    if port is not None:
        port = _int(port, "port")
    if not endpoints and host is None:
        raise PayloadError("neither endpoints nor host")
    rack = payload.get("rack")
    return Broker(int(broker_id), host, port, tuple(endpoints), rack if isinstance(rack, str) else None)


def parse_assignment(data: bytes | None) -> Assignment:
    payload = _json_object(data)
    if "partitions" not in payload:
        raise PayloadError("no partitions")
    replicas = _partition_map(payload["partitions"], "partitions")
    if not replicas:
        raise PayloadError("partitions is empty")
    adding = _partition_map(payload.get("adding_replicas") or {}, "adding_replicas")
    removing = _partition_map(payload.get("removing_replicas") or {}, "removing_replicas")
    topic_id = payload.get("topic_id")
    return Assignment(replicas, adding, removing, topic_id if isinstance(topic_id, str) else None)


# Partition state and topic config payloads repeat byte for byte across a cluster (same controller
# epoch, leader, leader epoch and in-sync set; same overrides): each distinct payload is parsed once,
# and only payloads that parsed are kept. Bounded, like _SHARED.
_PARSED: dict[tuple[Any, bytes], Any] = {}
PARSED_AT_MOST = 4096


def _parsed_once(parse: Any, data: bytes | None) -> Any:
    value = _PARSED.get((parse, data)) if data is not None else None
    if value is None:
        value = parse(data)
        if len(_PARSED) >= PARSED_AT_MOST:
            _PARSED.clear()
        _PARSED[parse, data] = value
    return value


def parse_partition_state(data: bytes | None) -> PartitionState:
    return _parsed_once(_parse_partition_state, data)


def _parse_partition_state(data: bytes | None) -> PartitionState:
    payload = _json_object(data)
    if "leader" not in payload or "isr" not in payload:
        raise PayloadError("expected leader and isr")
    epoch = payload.get("leader_epoch")
    return _shared(PartitionState(_int(payload["leader"], "leader"), _int_list(payload["isr"], "isr"),
                                  epoch if isinstance(epoch, int) and not isinstance(epoch, bool) else None))


def parse_topic_config(data: bytes | None) -> dict[str, str]:
    """A topic's overrides: a dict of its own (callers may keep it), its strings shared with equal payloads'."""
    return dict(_parsed_once(_parse_topic_config, data))


def _parse_topic_config(data: bytes | None) -> dict[str, str]:
    payload = _json_object(data)
    config = payload.get("config", {})
    if not isinstance(config, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in config.items()):
        raise PayloadError(f"config: expected an object of string values, got {config!r}")
    return dict(config)


def parse_controller(data: bytes | None) -> int:
    return _int(_json_object(data).get("brokerid"), "brokerid")


def parse_cluster_id(data: bytes | None) -> str:
    value = _json_object(data).get("id")
    if not isinstance(value, str) or not value:
        raise PayloadError(f"id: expected a string, got {value!r}")
    return value


def parse_reassignment(data: bytes | None) -> dict[str, dict[int, tuple[int, ...]]]:
    """`/admin/reassign_partitions` (the pre-2.4 way): topic -> partition -> the replicas it moves to.

    Kafka's ReassignPartitionsZNode: {"version":1,"partitions":[{"topic":"t","partition":0,"replicas":[1,2,3]}]}.
    """
    partitions = _json_object(data).get("partitions")
    if not isinstance(partitions, list) or not all(isinstance(p, dict) and isinstance(p.get("topic"), str)
                                                    for p in partitions):
        raise PayloadError(f"partitions: expected a list of {{topic, partition, replicas}}, got {partitions!r}")
    out: dict[str, dict[int, tuple[int, ...]]] = {}
    for entry in partitions:
        partition = _int(entry.get("partition"), f"partitions[{entry['topic']}].partition")
        out.setdefault(entry["topic"], {})[partition] = _int_list(entry.get("replicas"), f"partitions[{entry['topic']}].replicas")
    return out


def parse_kafka_manager_cluster(data: bytes | None) -> str:
    """CMAK's `/kafka-manager/configs/<cluster>`: the ZooKeeper hosts it was registered with."""
    payload = _json_object(data)
    hosts = payload.get("curatorConfig", {}).get("zkConnect") if isinstance(payload.get("curatorConfig"), dict) else None
    if not isinstance(payload.get("name"), str):
        raise PayloadError("name: expected the cluster name")
    return hosts if isinstance(hosts, str) else ""


# ---------------------------------------------------------------- snapshot

@dataclass(frozen=True)
class MetadataSnapshot:
    """Kafka's metadata as read in one cycle; values are parsed or `Unreadable`."""

    cluster_id: str | Unreadable | None
    controller: int | Unreadable | None
    brokers: Mapping[int, Broker | Unreadable]
    topics: Mapping[str, Assignment | Unreadable]
    configs: Mapping[str, dict[str, str] | Unreadable]
    states: Mapping[str, Mapping[int, PartitionState | Unreadable | None]]
    pending_deletion: frozenset[str] = frozenset()
    # /admin/reassign_partitions (Kafka before 2.4): topic -> partition -> target replicas
    reassigning: Mapping[str, Mapping[int, tuple[int, ...]]] | Unreadable = field(default_factory=dict)
    kafka_manager_root: bool = False
    kafka_manager_cluster: str | Unreadable | None = None
    # Znodes in a list whose name cannot be what Kafka writes (a broker id "x").
    strays: tuple[Unreadable, ...] = ()

    def assignment(self, topic: str) -> Assignment | Unreadable | None:
        """The topic's assignment, with a pre-2.4 reassignment (/admin/reassign_partitions) folded in."""
        live = self.topics.get(topic)
        targets = self.reassigning.get(topic) if isinstance(self.reassigning, Mapping) else None
        if not isinstance(live, Assignment) or not targets:
            return live
        return replace(live, targets={p: r for p, r in targets.items() if p in live.replicas and p not in live.adding})

    def unreadable(self) -> list[Unreadable]:
        found = list(self.strays)
        for value in (self.cluster_id, self.controller, self.reassigning, self.kafka_manager_cluster):
            if isinstance(value, Unreadable):
                found.append(value)
        found += [v for v in self.brokers.values() if isinstance(v, Unreadable)]
        found += [v for v in self.topics.values() if isinstance(v, Unreadable)]
        found += [v for v in self.configs.values() if isinstance(v, Unreadable)]
        for partitions in self.states.values():
            found += [v for v in partitions.values() if isinstance(v, Unreadable)]
        return found


# ---------------------------------------------------------------- report

@dataclass(frozen=True)
class MetadataFinding:
    """One difference between git and Kafka, or one unhealthy or unreadable thing."""

    kind: str
    subject: str
    message: str
    desired: Any = None
    actual: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


class TopicState(str, Enum):
    """Where a declared topic stands. A str: JSON, metrics and text show the value."""

    IN_SYNC = "in-sync"
    DRIFT = "drift"
    MISSING = "missing"
    UNREADABLE = "unreadable"
    PENDING_DELETION = "pending-deletion"
    REASSIGNING = "reassigning"

    __str__ = str.__str__
    __format__ = str.__format__


DIFFERING_TOPICS = frozenset({TopicState.DRIFT, TopicState.MISSING, TopicState.UNREADABLE})  # what differs from git


@dataclass(frozen=True)
class TopicStatus:
    """A topic git declares and where it stands."""

    name: str
    status: TopicState
    kinds: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "kinds": list(self.kinds)}


@dataclass(frozen=True)
class KafkaMetadataReport:
    """What ZooKeeper says about Kafka, against git. `readable` is False when nothing could be read."""

    readable: bool
    error: str | None = None
    cluster_id: str | None = None
    controller: int | None = None
    brokers_expected: tuple[int, ...] = ()
    brokers_registered: tuple[int, ...] = ()
    topics: tuple[TopicStatus, ...] = ()
    extra_topics: tuple[str, ...] = ()
    partitions: int = 0
    partitions_offline: int = 0
    partitions_under_replicated: int = 0
    partitions_under_min_isr: int = 0
    pending_deletion: tuple[str, ...] = ()
    reassigning: tuple[str, ...] = ()
    unreadable: int = 0
    findings: tuple[MetadataFinding, ...] = ()

    @property
    def in_sync(self) -> bool:
        return self.readable and not self.findings

    def to_dict(self) -> dict[str, Any]:
        out = {k: getattr(self, k) for k in (
            "readable", "error", "cluster_id", "controller", "partitions", "partitions_offline",
            "partitions_under_replicated", "partitions_under_min_isr", "unreadable")}
        out.update(
            in_sync=self.in_sync,
            brokers_expected=list(self.brokers_expected), brokers_registered=list(self.brokers_registered),
            topics=[t.to_dict() for t in self.topics], extra_topics=list(self.extra_topics),
            pending_deletion=list(self.pending_deletion), reassigning=list(self.reassigning),
            findings=[f.to_dict() for f in self.findings])
        return out


def unreadable_report(error: str) -> KafkaMetadataReport:
    """The report of a cycle that could not read ZooKeeper at all: never "in sync"."""
    return KafkaMetadataReport(readable=False, error=error,
                               findings=(MetadataFinding("unreadable", "zookeeper", error),))


def kafka_manager_root(config: EnvironmentConfig) -> str:
    """Where CMAK keeps its znodes on the ensemble: under the chroot of its own ZK_HOSTS, not Kafka's."""
    return topology.cmak_root(config)


def expected_endpoint(config: EnvironmentConfig, broker_id: int) -> str:
    """The listener the generated StatefulSet makes broker `broker_id` advertise."""
    return topology.broker_endpoint(config, broker_id)


def excluded(topic: str, patterns: list[re.Pattern[str]]) -> bool:
    return topic in INTERNAL_TOPICS or any(p.search(topic) for p in patterns)


def compare(snapshot: MetadataSnapshot, config: EnvironmentConfig) -> KafkaMetadataReport:
    """Every finding of one snapshot against the environment, in a stable order."""
    findings: list[MetadataFinding] = []
    findings += _unreadable_findings(snapshot)
    findings += _broker_findings(snapshot, config)
    findings += _kafka_manager_findings(snapshot, config)
    topics, topic_findings = _topic_findings(snapshot, config)
    findings += topic_findings
    health, counts = _partition_findings(snapshot, config)
    findings += health
    reassigning = {name for name, a in snapshot.topics.items() if isinstance(a, Assignment) and (a.adding or a.removing)}
    if isinstance(snapshot.reassigning, Mapping):
        reassigning |= set(snapshot.reassigning)
    patterns = [re.compile(p) for p in config.detector.topic_exclude]
    declared = {t.name for t in config.topics}
    extra = sorted(t for t in snapshot.topics if t not in declared and not excluded(t, patterns)
                   and t not in snapshot.pending_deletion)
    findings += [MetadataFinding("topic-extra", t, f"topic {t} exists in Kafka but git does not declare it (left alone)")
                 for t in extra]
    return KafkaMetadataReport(
        readable=True,
        cluster_id=snapshot.cluster_id if isinstance(snapshot.cluster_id, str) else None,
        controller=snapshot.controller if isinstance(snapshot.controller, int) else None,
        brokers_expected=tuple(range(config.kafka.replicas)),
        brokers_registered=tuple(sorted(snapshot.brokers)),
        topics=tuple(topics), extra_topics=tuple(extra),
        partitions=counts["total"], partitions_offline=counts["offline"],
        partitions_under_replicated=counts["under_replicated"], partitions_under_min_isr=counts["under_min_isr"],
        pending_deletion=tuple(sorted(snapshot.pending_deletion)), reassigning=tuple(sorted(reassigning)),
        unreadable=len(snapshot.unreadable()),
        findings=tuple(findings))


def _unreadable_findings(snapshot: MetadataSnapshot):
    for item in sorted(snapshot.unreadable(), key=lambda u: u.path):
        yield MetadataFinding("unreadable", item.path, f"{item.path}: {item.reason}")


def _broker_findings(snapshot: MetadataSnapshot, config: EnvironmentConfig):
    expected = set(range(config.kafka.replicas))
    registered = set(snapshot.brokers)
    for broker_id in sorted(expected - registered):
        yield MetadataFinding("broker-missing", str(broker_id), f"broker {broker_id} is not registered in /brokers/ids")
    for broker_id in sorted(registered - expected):
        yield MetadataFinding("broker-unexpected", str(broker_id),
                      f"broker {broker_id} is registered but the environment has brokers 0..{config.kafka.replicas - 1}")
    for broker_id in sorted(expected & registered):
        broker = snapshot.brokers[broker_id]
        want = expected_endpoint(config, broker_id)
        if isinstance(broker, Broker) and broker.endpoints != (want,):
            yield MetadataFinding("broker-endpoint", str(broker_id), f"broker {broker_id} advertises {', '.join(broker.endpoints) or 'nothing'}",
                          desired=[want], actual=list(broker.endpoints))
    if snapshot.controller is None:
        yield MetadataFinding("controller", "controller", "no controller is elected (/controller is missing)")
    elif isinstance(snapshot.controller, int) and snapshot.controller not in registered:
        yield MetadataFinding("controller", "controller",
                      f"/controller names broker {snapshot.controller}, which is not registered", actual=snapshot.controller)
    if snapshot.cluster_id is None:
        yield MetadataFinding("cluster-id", "cluster", "no /cluster/id: no broker ever started under this ZooKeeper path")


def _kafka_manager_findings(snapshot: MetadataSnapshot, config: EnvironmentConfig):
    if not config.kafka_manager.enabled:
        return
    root = kafka_manager_root(config)
    if not snapshot.kafka_manager_root:
        yield MetadataFinding("kafka-manager", root, f"Kafka Manager's root znode {root} does not exist")
    elif snapshot.kafka_manager_cluster is None:
        yield MetadataFinding("kafka-manager", config.cluster_name,
                      f"cluster {config.cluster_name} is not registered in Kafka Manager "
                      f"({root}/configs/{config.cluster_name} is missing)")


def _topic_findings(snapshot: MetadataSnapshot, config: EnvironmentConfig):
    statuses, findings = [], []
    for topic in config.topics:
        name, live = topic.name, snapshot.assignment(topic.name)
        kinds: list[str] = []
        if name in snapshot.pending_deletion:
            statuses.append(TopicStatus(name, TopicState.PENDING_DELETION))
            continue
        if live is None:
            findings.append(MetadataFinding("topic-missing", name, f"topic {name} is declared in git but does not exist",
                                    desired=topic.partitions))
            statuses.append(TopicStatus(name, TopicState.MISSING, ("topic-missing",)))
            continue
        if isinstance(live, Unreadable):
            statuses.append(TopicStatus(name, TopicState.UNREADABLE, ("unreadable",)))
            continue
        if len(live.replicas) != topic.partitions:
            kinds.append("partitions")
            findings.append(MetadataFinding("partitions", name, f"topic {name} has {len(live.replicas)} partitions, git declares {topic.partitions}",
                                    desired=topic.partitions, actual=len(live.replicas)))
        factor = live.replication_factor()
        if factor != topic.replication_factor:
            kinds.append("replication-factor")
            findings.append(MetadataFinding("replication-factor", name,
                                    f"topic {name} has replication factor {factor if factor is not None else 'mixed'}, "
                                    f"git declares {topic.replication_factor}",
                                    desired=topic.replication_factor, actual=factor))
        live_config = snapshot.configs.get(name, {})
        unreadable = isinstance(live_config, Unreadable)
        if not unreadable:
            for key in sorted(set(topic.config) | set(live_config)):
                want, have = topic.config.get(key), live_config.get(key)
                if want != have:
                    kinds.append("config")
                    what = (f"sets {key}={have!r}, git does not" if want is None else
                            f"lacks {key}={want!r}" if have is None else f"has {key}={have!r}, git declares {want!r}")
                    findings.append(MetadataFinding("config", name, f"topic {name} {what}", desired=want, actual=have))
        reassigning = live.reassigning or (isinstance(snapshot.reassigning, Mapping) and name in snapshot.reassigning)
        # A config that cannot be read is no difference found: without another one, the verdict is unknown.
        status = (TopicState.DRIFT if kinds else TopicState.UNREADABLE if unreadable else
                  TopicState.REASSIGNING if reassigning else TopicState.IN_SYNC)
        statuses.append(TopicStatus(name, status, tuple(dict.fromkeys(kinds + ["unreadable"] * unreadable))))
    return statuses, findings


def min_isr(name: str, snapshot: MetadataSnapshot, config: EnvironmentConfig) -> int:
    """The topic's min.insync.replicas as Kafka applies it: its override, else the broker setting."""
    live = snapshot.configs.get(name)
    value = live.get("min.insync.replicas") if isinstance(live, dict) else None
    return int(value) if value is not None and value.isdigit() else config.kafka.settings.min_insync_replicas


def _partition_findings(snapshot: MetadataSnapshot, config: EnvironmentConfig):
    counts = {"total": 0, "offline": 0, "under_replicated": 0, "under_min_isr": 0}
    findings = []
    for name in sorted(snapshot.topics):
        assignment = snapshot.assignment(name)
        if not isinstance(assignment, Assignment) or name in snapshot.pending_deletion:
            continue
        states = snapshot.states.get(name, {})
        needed = min_isr(name, snapshot, config)
        offline, under, below = [], [], []
        for partition, replicas in sorted(assignment.replicas.items()):
            counts["total"] += 1
            state = states.get(partition)
            if isinstance(state, Unreadable):
                continue
            if state is None or state.leader < 0:
                offline.append(partition)
                continue
            if len(state.isr) < len(replicas) and not assignment.moving(partition):
                under.append(partition)
            if len(state.isr) < needed:
                below.append(partition)
        counts["offline"] += len(offline)
        counts["under_replicated"] += len(under)
        counts["under_min_isr"] += len(below)
        for kind, partitions, what in (("offline", offline, "without a leader"),
                                       ("under-replicated", under, "with fewer in-sync replicas than replicas"),
                                       ("under-min-isr", below, f"with fewer than min.insync.replicas={needed} in sync")):
            if partitions:
                listed = ", ".join(map(str, partitions[:LISTED_PARTITIONS])) + (", ..." if len(partitions) > LISTED_PARTITIONS else "")
                findings.append(MetadataFinding(kind, name, f"topic {name}: {len(partitions)} partition{'s' if len(partitions) != 1 else ''} "
                                                    f"{what} ({listed})", actual=len(partitions)))
    return findings, counts
