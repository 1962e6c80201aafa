"""The names the Kafka checks look for are the names the render writes (one module says both)."""
from __future__ import annotations

import pytest

from helpers import PROJECT
from gitops_kafka import render, topology
from gitops_kafka.render import detector, gitops
from gitops_kafka.config import load_environment


def test_topology_names_what_the_render_creates():
    prod = load_environment(PROJECT, "prod")
    config = prod.model_copy(update={"kafka": prod.kafka.model_copy(update={"zookeeper_chroot": "/kafka"})})
    objects = {(o["kind"], o["metadata"]["name"]): o for o in render.expected_objects(config)}
    zookeeper = objects[("StatefulSet", topology.zookeeper_name(config))]
    assert zookeeper["spec"]["serviceName"] == topology.zookeeper_headless(config)
    assert ("Service", topology.zookeeper_headless(config)) in objects
    client = objects[("Service", topology.zookeeper_name(config))]
    assert topology.ZOOKEEPER_CLIENT_PORT in [p["port"] for p in client["spec"]["ports"]]
    assert len(topology.zookeeper_members(config)) == zookeeper["spec"]["replicas"]

    kafka = objects[("StatefulSet", topology.kafka_service(config))]
    assert kafka["spec"]["serviceName"] == topology.kafka_headless(config)
    env = {e["name"]: e.get("value") for e in kafka["spec"]["template"]["spec"]["containers"][0]["env"]}
    # zookeeper.connect is derived from the same names, with Kafka's chroot; CMAK's hosts never carry it
    assert env["KAFKA_ZOOKEEPER_CONNECT"] == config.zookeeper_connect == \
        f"{topology.zookeeper_name(config)}:{topology.ZOOKEEPER_CLIENT_PORT}/kafka"
    assert topology.cmak_zookeeper_hosts(config) == f"{topology.zookeeper_name(config)}:{topology.ZOOKEEPER_CLIENT_PORT}"
    assert topology.cmak_root(config) == topology.CMAK_ROOT_ZNODE
    assert topology.broker_endpoint(config, 2) == (
        f"PLAINTEXT://{config.cluster_name}-2.{env['BROKER_HEADLESS_SERVICE']}.{config.namespace}.svc."
        f"{config.cluster_domain}:{topology.KAFKA_PORT}")


@pytest.mark.parametrize("tool", ["argocd", "flux"])
def test_the_sync_object_drift_reads_is_the_one_rendered_and_granted(tool):
    prod = load_environment(PROJECT, "prod")
    config = prod.model_copy(update={"gitops": prod.gitops.model_copy(update={"tool": tool})})
    synced = topology.sync_object(config)
    rendered = [(o["apiVersion"], o["kind"], o["metadata"]["name"], o["metadata"]["namespace"])
                for o in gitops.render(config)[1]]
    assert (synced.api_version, synced.kind, synced.name, synced.namespace) in rendered
    role = detector.sync_access(config)[0]
    assert role["metadata"]["namespace"] == synced.namespace
    assert role["rules"] == [{"apiGroups": [synced.group], "resources": [synced.resource],
                              "resourceNames": [synced.name], "verbs": detector.READ}]
