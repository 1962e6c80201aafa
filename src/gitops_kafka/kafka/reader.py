"""Kafka's metadata read from ZooKeeper, kept current between cycles by watches.

The first cycle reads every znode Kafka keeps, pipelined, and every read of a topic,
topic config, partition state or topic list leaves a watch. Later cycles re-read only
what a watch reported changed, so an unchanged topic costs no request at all. The few
small znodes (brokers, controller, cluster id, admin markers, Kafka Manager) are read
every cycle. When watches may have been lost (the session expired or the connection
was suspended) the next cycle reads everything again, and so it does after a cycle that
failed part-way.

Kafka's znodes are read under Kafka's chroot; Kafka Manager's (CMAK's) at `manager_root`,
an absolute path on the ensemble: CMAK keeps them where its own ZK_HOSTS points, which
the generated Deployment never puts inside Kafka's chroot.
"""
from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from gitops_kafka.kafka import metadata as km
from gitops_kafka.kafka.zookeeper import SOURCE, Session
from gitops_kafka.errors import SourceError

TOPICS, CONFIGS, IDS, DELETIONS = "/brokers/topics", "/config/topics", "/brokers/ids", "/admin/delete_topics"
CLUSTER_ID, CONTROLLER, REASSIGNMENT = "/cluster/id", "/controller", "/admin/reassign_partitions"

T = TypeVar("T")


def topic_path(topic: str) -> str:
    return f"{TOPICS}/{topic}"


def config_path(topic: str) -> str:
    return f"{CONFIGS}/{topic}"


def state_path(topic: str, partition: int) -> str:
    return f"{TOPICS}/{topic}/partitions/{partition}/state"


def parse_state_path(path: str) -> tuple[str, int] | None:
    parts = path.split("/")  # '', brokers, topics, <t>, partitions, <p>, state
    if len(parts) == 7 and parts[1:3] == ["brokers", "topics"] and parts[4] == "partitions" \
            and parts[6] == "state" and parts[5].isdigit():
        return parts[3], int(parts[5])
    return None


def parsed(path: str, data: bytes | None, parse: Callable[[bytes | None], T]) -> T | km.Unreadable:
    try:
        return parse(data)
    except km.PayloadError as exc:
        return km.Unreadable(path, str(exc))


class KafkaReader:
    """Reads a `MetadataSnapshot` per cycle; `reads` counts the znode requests of the last cycle."""

    def __init__(self, hosts: str, chroot: str | None = None, cluster_name: str = "kafka", timeout: float = 10.0,
                 manager_root: str = km.KAFKA_MANAGER_ROOT):
        self.cluster_name = cluster_name
        self.chroot = chroot.rstrip("/") if chroot and chroot.strip("/") else None
        self.manager_root = manager_root
        self.session = Session(hosts, timeout, on_change=self._changed)
        self.reads = 0
        self._lock = threading.Lock()
        self._dirty: set[str] = set()
        self._reset = True
        self._topic_names: set[str] | None = None
        self._config_names: set[str] | None = None
        self._topics: dict[str, km.Assignment | km.Unreadable] = {}
        self._configs: dict[str, dict[str, str] | km.Unreadable] = {}
        self._states: dict[str, dict[int, km.PartitionState | km.Unreadable | None]] = {}
        self._missing_states: set[tuple[str, int]] = set()

    def close(self) -> None:
        self.session.close()

    def _changed(self, path: str | None) -> None:
        with self._lock:
            if path is None:
                self._reset = True
            else:
                self._dirty.add(self._kafka_path(path))

    def _absolute(self, path: str) -> str:
        """A path of Kafka's (`/brokers/ids`) on the ensemble, under the chroot."""
        return f"{self.chroot}{path}" if self.chroot else path

    def _kafka_path(self, path: str) -> str:
        """An absolute path back to Kafka's own form (without the chroot)."""
        if self.chroot and path.startswith(self.chroot + "/"):
            return path[len(self.chroot):]
        return path

    def read(self) -> km.MetadataSnapshot:
        """One cycle. Raises SourceError when ZooKeeper (or the chroot) cannot be read."""
        self.session.connect()
        with self._lock:
            dirty, self._dirty = self._dirty, set()
            reset, self._reset = self._reset, False
        if reset:
            self._forget()
        try:
            return self._read(dirty)
        except SourceError:
            # Batches read before the failure are already applied, the rest not: what is
            # still due is not recorded anywhere, so the next cycle reads everything again.
            with self._lock:
                self._reset = True
            raise

    def _forget(self) -> None:
        self._topic_names = self._config_names = None
        self._topics, self._configs, self._states = {}, {}, {}
        self._missing_states = set()

    # ------------------------------------------------------------ reads

    def _each(self, paths: Iterable[str], watch: bool = False, absolute: bool = False) -> Iterator[tuple[str, bytes | None]]:
        """(path, payload) as answers come, Kafka's paths unless `absolute` (Kafka Manager's).

        A caller that parses each payload as it comes holds at most the pipeline's window of raw
        payloads, never a whole scan's (that, not the parsed snapshot, was the first scan's peak),
        and parses while later requests are in flight."""
        if absolute or not self.chroot:
            return self.session.get_each(self._counted(paths), watch=watch)
        cut = len(self.chroot)
        return ((path[cut:], payload) for path, payload in
                self.session.get_each(self._counted(map(self._absolute, paths)), watch=watch))

    def _payloads(self, paths: Iterable[str], watch: bool = False) -> Iterator[bytes | None]:
        """Only the payloads of Kafka's `paths`, in order (a caller that knows what each path was)."""
        for _, payload in self.session.get_each(self._counted(map(self._absolute, paths)), watch=watch):
            yield payload

    def _counted(self, paths: Iterable[str]) -> Iterator[str]:
        for path in paths:
            self.reads += 1
            yield path

    def _get(self, paths: list[str], watch: bool = False, absolute: bool = False) -> dict[str, bytes | None]:
        return dict(self._each(paths, watch, absolute))

    def _children(self, paths: list[str], watch: bool = False) -> dict[str, list[str] | None]:
        self.reads += len(paths)
        got = self.session.children_many([self._absolute(p) for p in paths], watch=watch)
        return {p: got[self._absolute(p)] for p in paths}

    def _read(self, dirty: set[str]) -> km.MetadataSnapshot:
        self.reads = 0
        if self.chroot:
            self.reads += 1
            if not self.session.exists(self.chroot):
                raise SourceError(SOURCE, f"chroot {self.chroot} does not exist on {self.session.hosts}")
        manager = f"{self.manager_root}/configs/{self.cluster_name}"
        small = self._get([CLUSTER_ID, CONTROLLER, REASSIGNMENT])
        small.update(self._get([self.manager_root, manager], absolute=True))
        lists = self._children([IDS, DELETIONS])
        watched = [p for p, names in ((TOPICS, self._topic_names), (CONFIGS, self._config_names))
                   if names is None or p in dirty]
        if watched:
            listed = self._children(watched, watch=True)
            if TOPICS in listed:
                self._topic_names = set(listed[TOPICS] or ())
            if CONFIGS in listed:
                self._config_names = set(listed[CONFIGS] or ())
        ids = lists[IDS] or []
        broker_data = self._get([f"{IDS}/{i}" for i in ids])

        self._refresh_topics(dirty)
        brokers, strays = {}, []
        for broker_id in ids:
            path = f"{IDS}/{broker_id}"
            if not broker_id.isdigit():
                strays.append(km.Unreadable(path, "not a broker id"))
            elif broker_data.get(path) is not None:
                brokers[int(broker_id)] = parsed(path, broker_data[path], lambda d, b=broker_id: km.parse_broker(b, d))

        def optional(path, parse):
            return None if small[path] is None else parsed(path, small[path], parse)

        return km.MetadataSnapshot(
            cluster_id=optional(CLUSTER_ID, km.parse_cluster_id),
            controller=optional(CONTROLLER, km.parse_controller),
            brokers=brokers,
            topics=dict(self._topics),
            configs=dict(self._configs),
            states=dict(self._states),
            pending_deletion=frozenset(lists[DELETIONS] or ()),
            reassigning=optional(REASSIGNMENT, km.parse_reassignment) or {},
            kafka_manager_root=small[self.manager_root] is not None,
            kafka_manager_cluster=optional(manager, km.parse_kafka_manager_cluster),
            strays=tuple(strays),
        )

    def _refresh_topics(self, dirty: set[str]) -> None:
        names, config_names = self._topic_names or set(), self._config_names or set()
        for gone in set(self._topics) - names:
            self._topics.pop(gone, None)
            self._states.pop(gone, None)
            self._missing_states = {m for m in self._missing_states if m[0] != gone}
        for gone in set(self._configs) - config_names:
            self._configs.pop(gone, None)
        topics = [t for t in names if t not in self._topics or topic_path(t) in dirty]
        configs = [t for t in config_names if t not in self._configs or config_path(t) in dirty]

        due: dict[str, set[int]] = {}
        for topic, payload in zip(topics, self._payloads(map(topic_path, topics), watch=True)):
            if payload is None:  # deleted between the listing and the read
                self._topics.pop(topic, None)
                self._states.pop(topic, None)
                continue
            assignment = parsed(topic_path(topic), payload, km.parse_assignment)
            self._topics[topic] = assignment
            partitions = set(assignment.replicas) if isinstance(assignment, km.Assignment) else set()
            kept = {p: s for p, s in self._states.get(topic, {}).items() if p in partitions}
            self._states[topic] = kept
            due[topic] = partitions - set(kept)
        for topic, payload in zip(configs, self._payloads(map(config_path, configs), watch=True)):
            if payload is None:
                self._configs.pop(topic, None)
            else:
                self._configs[topic] = parsed(config_path(topic), payload, km.parse_topic_config)

        for topic, partition in self._missing_states:
            due.setdefault(topic, set()).add(partition)
        for path in dirty:
            located = parse_state_path(path)
            if located and located[0] in self._topics:
                due.setdefault(located[0], set()).add(located[1])
        self._read_states(due)

    def _read_states(self, due: dict[str, set[int]]) -> None:
        asked: deque[tuple[str, int]] = deque()  # (topic, partition) of each request in flight, in order

        def paths() -> Iterator[str]:
            for topic, partitions in due.items():
                assignment = self._topics.get(topic)
                if isinstance(assignment, km.Assignment):
                    for partition in sorted(partitions):
                        if partition in assignment.replicas:
                            asked.append((topic, partition))
                            yield state_path(topic, partition)

        updated: dict[str, dict] = {}
        topic, states = None, {}
        parse, missing = km.parse_partition_state, self._missing_states
        for payload in self._payloads(paths(), watch=True):
            at, partition = asked.popleft()
            if at != topic:
                topic, states = at, updated.get(at)
                if states is None:
                    states = updated[at] = dict(self._states.get(at, {}))
            if payload is None:
                states[partition] = None
                missing.add((topic, partition))
                continue
            try:
                states[partition] = parse(payload)
            except km.PayloadError as exc:
                states[partition] = km.Unreadable(state_path(topic, partition), str(exc))
            missing.discard((topic, partition))
        self._states.update((topic, km.partition_map(states)) for topic, states in updated.items())


def read_once(hosts: str, chroot: str | None, cluster_name: str, timeout: float,
              manager_root: str = km.KAFKA_MANAGER_ROOT) -> km.MetadataSnapshot:
    reader = KafkaReader(hosts, chroot, cluster_name, timeout, manager_root)
    try:
        return reader.read()
    finally:
        reader.close()

