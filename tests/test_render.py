"""Every shipped environment builds with the real kustomize binary into exactly the environment's
full render, and the built objects pass strict schema validation for the target Kubernetes version."""
from __future__ import annotations

import pytest

from helpers import PROJECT, load_documents
from gitops_kafka import kustomize, schema
from gitops_kafka.config import environment_names, load_environment
from gitops_kafka.render import expected_objects
from gitops_kafka.render.patch import ORDERED, merge_key

SHIPPED = environment_names(PROJECT)


def normalize(node, field=""):
    """Order-insensitive where Kubernetes is: keyed lists other than containers sort by key."""
    if isinstance(node, dict):
        return {k: normalize(v, k) for k, v in node.items()}
    if isinstance(node, list):
        items = [normalize(i, field) for i in node]
        key = merge_key(field, items)
        if key and field not in ORDERED:
            items.sort(key=lambda i: str(i[key]))
        return items
    return node


def by_identity(objects):
    return {(o["kind"], o["metadata"]["name"]): normalize(o) for o in objects}


def test_ships_dev_staging_prod():
    assert {"dev", "staging", "prod"} <= set(SHIPPED)


@pytest.mark.parametrize("env", SHIPPED)
def test_committed_overlay_builds_to_the_full_render(env):
    built = load_documents(kustomize.build(PROJECT / "overlays" / env))
    wanted = expected_objects(load_environment(PROJECT, env))
    assert by_identity(built) == by_identity(wanted)


@pytest.mark.parametrize("env", SHIPPED)
def test_built_overlay_passes_strict_schema_validation(env):
    config = load_environment(PROJECT, env)
    built = load_documents(kustomize.build(PROJECT / "overlays" / env))
    assert built
    for obj in built:
        # Unknown or missing fields are errors; a removed apiVersion has no schema; CRDs use theirs.
        schema.validate(obj, config.kubernetes_version)


def test_strict_validation_catches_the_seed_defects():
    """The validation step above is not a formality: it rejects what the seed shipped."""
    with pytest.raises(schema.SchemaError, match="policy/v1beta1 PodDisruptionBudget is not served by Kubernetes 1.31"):
        schema.validate({"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget",
                         "metadata": {"name": "zk"}, "spec": {"maxUnavailable": 1}}, "1.31")
    probe_typo = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "kafka-0"}, "spec": {"containers": [
        {"name": "kafka", "image": "confluentinc/cp-kafka:7.9.5", "readinessProbe": {"tcpaSocket": {"port": "kafka"}}}]}}
    with pytest.raises(schema.SchemaError, match="tcpaSocket"):
        schema.validate(probe_typo, "1.31")
    monitor = {"apiVersion": "monitoring.coreos.com/v1", "kind": "ServiceMonitor", "metadata": {"name": "m"},
               "spec": {"selector": {}, "endpoints": [{"prot": "metrics"}]}}
    with pytest.raises(schema.SchemaError, match="'prot' was unexpected"):
        schema.validate(monitor, "1.31")
