"""Kafka's metadata written into a real ZooKeeper in Kafka's own formats (apache/kafka ZkData).

The tests play the part of Kafka's brokers, controller and Kafka Manager: no broker can run
here, so what they would write is written directly, byte for byte in their JSON shapes.
Broker registrations are persistent here (Kafka's are ephemeral) so that they outlive the
writer's session; the reader cannot tell the difference.
"""
from __future__ import annotations

import json

from kazoo.client import KazooClient

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.kafka.metadata import KAFKA_MANAGER_ROOT as MANAGER_ROOT, expected_endpoint


def dumps(value) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class KafkaZnodes:
    """`client` is Kafka's (under its chroot, if any); `root` the ensemble's root, where CMAK writes.

    The generated CMAK Deployment's ZK_HOSTS names the ensemble without a chroot, so CMAK's
    znodes (/kafka-manager/...) are at the root even when Kafka runs under a chroot.
    """

    def __init__(self, client: KazooClient, root: KazooClient | None = None):
        self.client = client
        self.root = root or client

    def _writer(self, path: str) -> KazooClient:
        return self.root if path == MANAGER_ROOT or path.startswith(MANAGER_ROOT + "/") else self.client

    def put(self, path: str, data: bytes = b"") -> None:
        client = self._writer(path)
        if client.exists(path):
            client.set(path, data)
        else:
            client.create(path, data, makepath=True)

    def delete(self, path: str) -> None:
        self._writer(path).delete(path, recursive=True)

    def read(self, path: str) -> bytes | None:
        client = self._writer(path)
        return client.get(path)[0] if client.exists(path) else None

    def broker(self, broker_id: int, endpoint: str, version: int = 5) -> None:
        host_port = endpoint.split("://", 1)[1]
        host, port = host_port.rsplit(":", 1)
        payload = {"listener_security_protocol_map": {"PLAINTEXT": "PLAINTEXT"}, "endpoints": [endpoint],
                   "jmx_port": -1, "host": host, "timestamp": "1732530000000", "port": int(port), "version": version}
        if version >= 5:
            payload["features"] = {}
        self.put(f"/brokers/ids/{broker_id}", dumps(payload))

    def controller(self, broker_id: int) -> None:
        self.put("/controller", dumps({"version": 2, "brokerid": broker_id, "timestamp": "1732530000000",
                                       "kraftControllerEpoch": -1}))

    def cluster_id(self, value: str = "q1Sh-9_ISia_zwGINzRvyQ") -> None:
        self.put("/cluster/id", dumps({"version": "1", "id": value}))

    def topic(self, name: str, replicas: dict[int, list[int]], config: dict[str, str] | None = None,
              adding: dict[int, list[int]] | None = None, removing: dict[int, list[int]] | None = None,
              states: bool = True) -> None:
        payload = {"partitions": {str(p): r for p, r in replicas.items()}, "topic_id": "b6IR1OqvQSOMcxkF6ZL7Lw",
                   "adding_replicas": {str(p): r for p, r in (adding or {}).items()},
                   "removing_replicas": {str(p): r for p, r in (removing or {}).items()}, "version": 3}
        self.put(f"/brokers/topics/{name}", dumps(payload))
        self.put(f"/config/topics/{name}", dumps({"version": 1, "config": dict(config or {})}))
        if states:
            for partition, r in replicas.items():
                self.state(name, partition, r[0], r)

    def legacy_topic(self, name: str, replicas: dict[int, list[int]]) -> None:
        """A topic znode as Kafka 2.0-2.3 writes it (TopicZNode version 1: no topic id, no adding/removing)."""
        self.put(f"/brokers/topics/{name}", dumps({"version": 1, "partitions": {str(p): r for p, r in replicas.items()}}))

    def legacy_reassignment(self, moves: dict[tuple[str, int], list[int]]) -> None:
        """/admin/reassign_partitions as kafka-reassign-partitions writes it before 2.4 (ReassignPartitionsZNode)."""
        self.put("/admin/reassign_partitions", dumps({"version": 1, "partitions": [
            {"topic": topic, "partition": partition, "replicas": replicas}
            for (topic, partition), replicas in moves.items()]}))

    def state(self, name: str, partition: int, leader: int, isr: list[int]) -> None:
        self.put(f"/brokers/topics/{name}/partitions/{partition}/state",
                 dumps({"controller_epoch": 1, "leader": leader, "version": 1, "leader_epoch": 0, "isr": isr}))

    def config(self, name: str, config: dict[str, str]) -> None:
        self.put(f"/config/topics/{name}", dumps({"version": 1, "config": config}))

    def kafka_manager(self, cluster: str | None, zk_hosts: str = "kafka-zookeeper:2181") -> None:
        self.put("/kafka-manager")
        if cluster:
            self.put(f"/kafka-manager/configs/{cluster}", dumps({
                "name": cluster, "curatorConfig": {"zkConnect": zk_hosts, "zkMaxRetry": 100},
                "enabled": True, "kafkaVersion": "2.4.0", "jmxEnabled": False}))

    def cluster_as_declared(self, config: EnvironmentConfig) -> None:
        """Everything as git declares it: a healthy cluster with no drift."""
        brokers = config.kafka.replicas
        for broker_id in range(brokers):
            self.broker(broker_id, expected_endpoint(config, broker_id))
        self.controller(0)
        self.cluster_id()
        for topic in config.topics:
            replicas = {p: [(p + r) % brokers for r in range(topic.replication_factor)] for p in range(topic.partitions)}
            self.topic(topic.name, replicas, dict(topic.config))
        self.topic("__consumer_offsets", {p: list(range(min(3, brokers))) for p in range(3)},
                   {"cleanup.policy": "compact"})
        self.put("/admin/delete_topics")
        if config.kafka_manager.enabled:
            self.kafka_manager(config.cluster_name)
