"""Resources that must fit: CMAK's heap within its memory limit, Kafka's startup window within its storage."""
from __future__ import annotations

import re

from helpers import PROJECT
from gitops_kafka.config import load_environment
from gitops_kafka.quantity import parse_java_size, parse_quantity
from gitops_kafka.render import kafka, kafka_manager
from test_config import GOOD, problems_for


def container(obj):
    return obj["spec"]["template"]["spec"]["containers"][0]


def test_cmak_heap_is_fixed_and_fits_its_limit():
    config = load_environment(PROJECT, "prod")
    cmak = container(kafka_manager.deployment(config))
    env = {e["name"]: e.get("value") for e in cmak["env"]}
    # JAVA_OPTS replaces the image's MaxRAMPercentage=80, which leaves ~150Mi beside the heap in 768Mi.
    heap = re.search(r"-Xmx(\S+)", env["JAVA_OPTS"]).group(1)
    assert "MaxRAMPercentage" not in env["JAVA_OPTS"]
    assert parse_java_size(heap) <= 0.75 * float(parse_quantity(cmak["resources"]["limits"]["memory"]))


def test_cmak_heap_above_its_limit_is_refused(tmp_path):
    text = GOOD + "kafka_manager:\n  heap: 700m\n"
    problems = problems_for(tmp_path, text)
    assert any("kafka_manager.heap: heap 700m does not fit in the memory limit 768Mi" in p for p in problems), problems


def test_kafka_startup_window_grows_with_storage():
    prod = load_environment(PROJECT, "prod")

    def window(size):
        storage = prod.kafka.storage.model_copy(update={"size": size})
        config = prod.model_copy(update={"kafka": prod.kafka.model_copy(update={"storage": storage})})
        probe = container(kafka.stateful_set(config))["startupProbe"]
        return probe["periodSeconds"] * probe["failureThreshold"]

    assert window("10Gi") >= 600
    assert window("200Gi") >= 3600  # log recovery of 200Gi takes far longer than ten minutes
    assert window("200Gi") > window("50Gi") > window("10Gi")


def test_prod_startup_window_is_in_the_built_manifests():
    config = load_environment(PROJECT, "prod")
    probe = container(kafka.stateful_set(config))["startupProbe"]
    assert config.kafka.storage.size == "200Gi"
    assert probe["periodSeconds"] * probe["failureThreshold"] >= 3600
