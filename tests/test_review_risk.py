"""Risk rules: each fires on the change it is about and stays silent on the shipped output
and on harmless neighbours. Objects are the real kustomize build of overlays/prod."""
from __future__ import annotations

import copy

import pytest

from helpers import PROJECT
from gitops_kafka.kube.objects import load
from gitops_kafka import kustomize
from gitops_kafka.review import objects, risk


@pytest.fixture(scope="module")
def built():
    return load(kustomize.build(PROJECT / "overlays" / "prod"))


@pytest.fixture
def base(built):
    return copy.deepcopy(built)


@pytest.fixture
def head(built):
    return copy.deepcopy(built)


def find(objs, kind, name):
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def container(objs, kind, name, container_name=None):
    spec = find(objs, kind, name)["spec"]["template"]["spec"]
    return next(c for c in spec["containers"] if container_name in (None, c["name"]))


def set_env(c, name, value):
    next(e for e in c["env"] if e["name"] == name)["value"] = value


def topics_data(objs):
    """The data of the topic Job's ConfigMap: topics.tsv holds one topic a line."""
    return next(o for o in objs if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("kafka-topics-"))["data"]


def test_unchanged_output_has_no_risk(base, head):
    assert risk.assess(base, head) == []


def test_every_rule_is_assessed():
    assert len(risk.RULES) == 11


# ---- StatefulSet fields the API server refuses to update

@pytest.mark.parametrize("field, value", [
    ("serviceName", "kafka-brokers"),
    ("podManagementPolicy", "OrderedReady"),
    ("selector", {"matchLabels": {"app.kubernetes.io/name": "kafka", "tier": "x"}}),
])
def test_immutable_statefulset_field_fires(base, head, field, value):
    find(head, "StatefulSet", "kafka")["spec"][field] = value
    fired = risk.statefulset_immutable_field(base, head)
    assert len(fired) == 1 and fired[0].severity == "critical" and f"spec.{field}" in fired[0].message
    assert "sync will fail" in fired[0].message


def test_immutable_field_fires_for_a_volume_claim_template_change(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "io2"
    assert [w.rule for w in risk.statefulset_immutable_field(base, head)] == ["statefulset-immutable-field"]


def test_immutable_field_silent_on_mutable_fields_and_size_alone(base, head):
    sts = find(head, "StatefulSet", "kafka")
    sts["spec"]["replicas"] = 5
    sts["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] = 300
    sts["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "300Gi"
    assert risk.statefulset_immutable_field(base, head) == []


# ---- storage size

def test_storage_growth_fires_and_says_what_to_do(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "300Gi"
    [w] = risk.storage_size(base, head)
    assert w.severity == "critical" and "200Gi -> 300Gi" in w.message
    assert "data-kafka-N" in w.message and "--cascade=orphan" in w.message


def test_storage_shrink_says_claims_cannot_shrink(base, head):
    find(head, "StatefulSet", "kafka-zookeeper")["spec"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"] = "10Gi"
    [w] = risk.storage_size(base, head)
    assert "cannot shrink" in w.message


def test_storage_same_size_other_spelling_is_silent(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["replicas"] = 4
    assert risk.storage_size(base, head) == []


# ---- ZooKeeper ensemble

def zk_size(objs, n):
    sts = find(objs, "StatefulSet", "kafka-zookeeper")
    sts["spec"]["replicas"] = n
    set_env(sts["spec"]["template"]["spec"]["containers"][0], "ZK_REPLICAS", str(n))


def test_ensemble_size_change_fires(base, head):
    zk_size(head, 5)
    [w] = risk.zookeeper_ensemble(base, head)
    assert w.severity == "warning" and "3 -> 5" in w.message and "quorum" in w.message


def test_even_ensemble_fires_critical(base, head):
    zk_size(head, 4)
    fired = risk.zookeeper_ensemble(base, head)
    assert [w.severity for w in fired] == ["critical", "warning"] and "even" in fired[0].message


def test_ensemble_silent_when_only_kafka_scales(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["replicas"] = 4
    assert risk.zookeeper_ensemble(base, head) == []


# ---- fewer replicas

def test_fewer_kafka_brokers_fires_naming_the_removed_pods(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["replicas"] = 1
    [w] = risk.fewer_replicas(base, head)
    assert w.severity == "critical" and "kafka-1, kafka-2" in w.message and "reassign" in w.message


def test_fewer_zookeeper_members_fires(base, head):
    zk_size(head, 1)
    [w] = risk.fewer_replicas(base, head)
    assert w.object == "StatefulSet/kafka-zookeeper" and "kafka-zookeeper-1, kafka-zookeeper-2" in w.message


def test_more_replicas_is_not_fewer(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["replicas"] = 5
    zk_size(head, 5)
    assert risk.fewer_replicas(base, head) == []


def test_fewer_replicas_ignores_other_statefulsets(base, head):
    other = copy.deepcopy(find(base, "StatefulSet", "kafka"))
    other["metadata"]["name"] = "schema-registry"
    other["metadata"]["labels"]["app.kubernetes.io/name"] = "schema-registry"
    other["spec"]["template"]["spec"]["containers"][0]["name"] = "registry"
    base.append(other)
    shrunk = copy.deepcopy(other)
    shrunk["spec"]["replicas"] = 1
    head.append(shrunk)
    assert risk.fewer_replicas(base, head) == []


# ---- topics

def replace_topic_line(objs, old, new):
    data = topics_data(objs)
    assert old in data["topics.tsv"]
    data["topics.tsv"] = data["topics.tsv"].replace(old, new)


def test_topic_partition_decrease_fires(base, head):
    replace_topic_line(head, "vehicle-packets\t3\t2\n", "vehicle-packets\t2\t2\n")
    [w] = risk.topic_partitions_decrease(base, head)
    assert w.object == "topic/vehicle-packets" and "3 -> 2" in w.message and "cannot remove" in w.message


def test_topic_partition_increase_is_silent(base, head):
    replace_topic_line(head, "vehicle-packets\t3\t2\n", "vehicle-packets\t6\t2\n")
    assert risk.topic_partitions_decrease(base, head) == []
    assert risk.topic_replication_factor(base, head) == []


def test_topic_replication_factor_change_fires(base, head):
    replace_topic_line(head, "vehicle-packets\t3\t2\n", "vehicle-packets\t3\t3\n")
    [w] = risk.topic_replication_factor(base, head)
    assert "2 -> 3" in w.message and "reassignment" in w.message


def test_topic_config_change_is_not_a_replication_change(base, head):
    replace_topic_line(head, "vehicle-packets\t3\t2\n", "vehicle-packets\t3\t2\tretention.ms=1000\n")
    assert risk.topic_replication_factor(base, head) == []
    assert risk.topic_removed(base, head) == []


def test_topic_removed_from_git_fires_saying_it_is_not_deleted(base, head):
    replace_topic_line(head, "vehicle-events\t3\t2\tmin.insync.replicas=1\tretention.ms=604800000\n", "")
    [w] = risk.topic_removed(base, head)
    assert w.object == "topic/vehicle-events" and "will not be deleted" in w.message


def test_topic_added_is_not_removed(base, head):
    topics_data(head)["topics.tsv"] += "new-topic\t1\t1\n"
    assert risk.topic_removed(base, head) == []


# ---- namespace

def move(objs, namespace):
    for o in objs:
        if o["kind"] == "Namespace":
            o["metadata"]["name"] = namespace
        else:
            o["metadata"]["namespace"] = namespace


def test_namespace_change_fires(base, head):
    move(head, "kafka-production")
    [w] = risk.namespace_change(base, head)
    assert w.severity == "critical" and "kafka-prod -> kafka-production" in w.message and "deleted" in w.message


def test_same_namespace_is_silent(base, head):
    find(head, "StatefulSet", "kafka")["spec"]["replicas"] = 4
    assert risk.namespace_change(base, head) == []


# ---- images

def test_patch_image_change_is_a_rolling_restart_warning(base, head):
    container(head, "StatefulSet", "kafka-zookeeper")["image"] = "zookeeper:3.8.7"
    [w] = risk.image_change(base, head)
    assert w.severity == "warning" and "rolling restart" in w.message and "zookeeper:3.8.6 -> zookeeper:3.8.7" in w.message


def test_major_image_jump_is_critical_and_kafka_4_has_no_zookeeper(base, head):
    container(head, "StatefulSet", "kafka")["image"] = "confluentinc/cp-kafka:8.0.0"
    [w] = risk.image_change(base, head)
    assert w.severity == "critical" and "major version jump (7 -> 8)" in w.message and "KRaft" in w.message


def test_image_change_of_other_workloads_is_silent(base, head):
    container(head, "Deployment", "kafka-manager")["image"] = "hlebalbau/kafka-manager:3.0.0.6"
    assert risk.image_change(base, head) == []


# ---- PodDisruptionBudget

def test_removed_pdb_fires(base, head):
    head[:] = [o for o in head if not (o["kind"] == "PodDisruptionBudget" and o["metadata"]["name"] == "kafka-zookeeper")]
    [w] = risk.pod_disruption_budget(base, head)
    assert w.severity == "critical" and w.object == "PodDisruptionBudget/kafka-zookeeper"


def test_loosened_pdb_fires(base, head):
    find(head, "PodDisruptionBudget", "kafka")["spec"]["maxUnavailable"] = 2
    [w] = risk.pod_disruption_budget(base, head)
    assert "maxUnavailable 1 -> 2" in w.message


def test_lower_min_available_fires_and_tighter_budget_is_silent(base, head):
    for objs, value in ((base, 2), (head, 1)):
        spec = find(objs, "PodDisruptionBudget", "kafka")["spec"]
        spec.pop("maxUnavailable")
        spec["minAvailable"] = value
    assert len(risk.pod_disruption_budget(base, head)) == 1
    assert risk.pod_disruption_budget(head, base) == []


# ---- memory limit vs JVM heap

def test_memory_limit_lowered_below_heap_fires(base, head):
    container(head, "StatefulSet", "kafka")["resources"]["limits"]["memory"] = "2Gi"  # heap is 3g
    [w] = risk.memory_below_heap(base, head)
    assert w.severity == "critical" and "2Gi" in w.message and "3Gi" in w.message and "OOM" in w.message


def test_heap_raised_above_limit_fires_for_zookeeper(base, head):
    set_env(container(head, "StatefulSet", "kafka-zookeeper"), "SERVER_JVMFLAGS", "-Xms1g -Xmx1g")  # limit 1Gi
    [w] = risk.memory_below_heap(base, head)
    assert w.object == "StatefulSet/kafka-zookeeper"


def test_memory_lowered_but_still_above_heap_is_silent(base, head):
    container(head, "StatefulSet", "kafka")["resources"]["limits"]["memory"] = "3584Mi"
    assert risk.memory_below_heap(base, head) == []


def test_assess_orders_critical_first(base, head):
    container(head, "StatefulSet", "kafka-zookeeper")["image"] = "zookeeper:3.8.7"
    find(head, "StatefulSet", "kafka")["spec"]["replicas"] = 2
    assert [w.severity for w in risk.assess(base, head)] == ["critical", "warning"]
