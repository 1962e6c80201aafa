"""Fixtures: real ZooKeeper servers (Debian's package) and Kafka's znodes written into them.

`zookeeper` is one standalone server for the whole session; each test gets its own chroot
in it (`kafka_root`), so tests never see each other's znodes. Tests that stop, kill or
pause servers take their own: `standalone_zookeeper` or `zookeeper_ensemble` (3 members).
"""
from __future__ import annotations

import uuid

import pytest
from kazoo.client import KazooClient

from kafka_znodes import KafkaZnodes
from zookeeper_servers import Ensemble, installed


def _require_installed():
    if not installed():
        pytest.fail("ZooKeeper is not installed: apt-get install -y zookeeper (see .ci/run)")


@pytest.fixture(scope="session")
def zookeeper(tmp_path_factory) -> Ensemble:
    _require_installed()
    server = Ensemble(tmp_path_factory.mktemp("zookeeper"), size=1)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def standalone_zookeeper(tmp_path) -> Ensemble:
    _require_installed()
    server = Ensemble(tmp_path / "standalone", size=1)
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture
def zookeeper_ensemble(tmp_path) -> Ensemble:
    _require_installed()
    ensemble = Ensemble(tmp_path / "ensemble", size=3)
    try:
        yield ensemble.start()
    finally:
        ensemble.stop()


def writer(hosts: str) -> KazooClient:
    client = KazooClient(hosts=hosts, timeout=10)
    client.start(timeout=15)
    return client


@pytest.fixture
def kafka_root(zookeeper) -> str:
    """A fresh chroot for this test's Kafka cluster, created empty."""
    root = f"/kafka-{uuid.uuid4().hex[:12]}"
    client = writer(zookeeper.hosts)
    client.create(root)
    client.stop()
    client.close()
    return root


@pytest.fixture
def kafka(zookeeper, kafka_root) -> KafkaZnodes:
    """Writes Kafka's znodes under this test's chroot."""
    client, root = writer(zookeeper.hosts + kafka_root), writer(zookeeper.hosts)
    try:
        yield KafkaZnodes(client, root)
    finally:
        for c in (client, root):
            c.stop()
            c.close()
