"""`gitops-kafka import`: a cluster deployed the seed's way adopted into GitOps without losing a byte.

The cluster is the seed's objects as the API server serves them (tests/seed_cluster.py),
behind the fake API server under the import's own read-only Role (below, documented in the
README); Kafka's topics are in a real ZooKeeper in Kafka's znode format.
"""
from __future__ import annotations

import copy
import json

import pytest

from helpers import git, load_documents, new_gitops_repo, run_cli
from gitops_kafka import kustomize
from kube import KubeAPI
from seed_cluster import NAMESPACE, first_sync, immutable_changes, pvc_names, seed_objects

IMPORTER = (NAMESPACE, "gitops-kafka-import")
# The RBAC import needs (README "Adopting a running cluster"): read-only, one namespace, no Secrets.
IMPORT_RBAC = [
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "gitops-kafka-import", "namespace": NAMESPACE}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
     "metadata": {"name": "gitops-kafka-import", "namespace": NAMESPACE},
     "rules": [{"apiGroups": ["apps"], "resources": ["statefulsets", "deployments"], "verbs": ["get", "list"]},
               {"apiGroups": [""], "resources": ["services", "configmaps"], "verbs": ["get", "list"]},
               {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": ["get", "list"]}]},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
     "metadata": {"name": "gitops-kafka-import", "namespace": NAMESPACE},
     "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "gitops-kafka-import"},
     "subjects": [{"kind": "ServiceAccount", "name": "gitops-kafka-import", "namespace": NAMESPACE}]},
]
BROKER_IPS = ["10.0.1.17", "10.0.2.23", "10.0.3.9"]


def seed_api(tmp_path, objects=None, rbac=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    server = KubeAPI(tmp_path, rbac or IMPORT_RBAC, identity=IMPORTER)
    for obj in seed_objects() if objects is None else objects:
        server.create(obj)
    return server


@pytest.fixture
def cluster(tmp_path):
    server = seed_api(tmp_path)
    yield server
    server.close()


@pytest.fixture
def seed_topics(kafka):
    """What the seed's brokers and `kafka-topics --create` wrote into ZooKeeper (no chroot in the seed)."""
    for broker, ip in enumerate(BROKER_IPS):
        kafka.broker(broker, f"PLAINTEXT://{ip}:9092", version=4)
    kafka.controller(0)
    kafka.cluster_id()
    kafka.topic("vehicle-packets", {0: [0, 1], 1: [1, 2], 2: [2, 0]})
    kafka.topic("vehicle-events", {0: [1, 0], 1: [2, 1], 2: [0, 2]}, {"retention.ms": "604800000"})
    kafka.topic("__consumer_offsets", {p: [p % 3, (p + 1) % 3] for p in range(6)},
                {"cleanup.policy": "compact", "compression.type": "producer", "segment.bytes": "104857600"})
    kafka.topic("_schemas", {0: [0, 1]}, {"cleanup.policy": "compact"})
    return kafka


@pytest.fixture
def gitops(tmp_path):
    """A GitOps repository whose defaults name the repository and that has no prod environment yet."""
    root = new_gitops_repo(tmp_path / "gitops")
    (root / "environments" / "prod.yaml").unlink()
    git(root, "commit", "--quiet", "-am", "prod is imported")
    return root


def import_cli(gitops, api, *extra, zookeeper=None):
    args = ["import", "--env", "prod", "--repo", str(gitops), "--kubeconfig", str(api.kubeconfig),
            "--namespace", NAMESPACE, "--timeout", "5"]
    if zookeeper:
        args += ["--zookeeper", zookeeper]
    return run_cli(*args, *extra)


# ---------------------------------------------------------------- the journey

def test_import_generate_first_sync_check(gitops, seed_topics, zookeeper, kafka_root, tmp_path):
    cluster = seed_api(tmp_path / "before")
    try:
        result = import_cli(gitops, cluster, zookeeper=zookeeper.hosts + kafka_root)
        assert not cluster.proxy.forbidden
    finally:
        cluster.close()  # one fake API server at a time (kmock's resolver is process-wide)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SAFE, no critical step" in result.stdout and "CRITICAL" not in result.stdout
    assert "Adoption plan (seed layout)" in result.stdout

    from gitops_kafka.config import load_environment
    config = load_environment(gitops, "prod")
    zk, kafka = config.zookeeper, config.kafka
    assert (zk.replicas, zk.image, zk.heap, zk.tick_time, zk.init_limit, zk.sync_limit) == \
        (3, "zookeeper:3.5.5", "96m", 2000, 10, 10)  # what the seed's run script uses, not its ignored ZOO_* env
    assert zk.resources.model_dump() == {"requests": {"cpu": "50m", "memory": "128Mi"},
                                         "limits": {"cpu": "200m", "memory": "128Mi"}}
    assert (zk.storage.storage_class, zk.storage.size) == ("ebs-default", "10Gi")
    assert zk.autopurge.purge_interval_hours == 24  # fixed in place: the seed's purge interval is 0
    assert (kafka.replicas, kafka.image, kafka.heap, kafka.update_strategy) == (3, "confluentinc/cp-kafka:5.0.1", "512m", "OnDelete")
    assert (kafka.storage.storage_class, kafka.storage.size) == ("ebs-default", "20Gi")
    assert kafka.resources.model_dump() == {"requests": {"cpu": "200m", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}
    assert kafka.settings.offsets_topic_replication_factor == 2
    assert kafka.settings.default_replication_factor == 1 and kafka.settings.auto_create_topics_enable  # Kafka's own defaults
    assert kafka.overrides == {"confluent.support.metrics.enable": "false"}
    assert kafka.zookeeper_chroot is None
    assert [(t.name, t.partitions, t.replication_factor, dict(t.config)) for t in config.topics] == [
        ("vehicle-events", 3, 2, {"retention.ms": "604800000"}), ("vehicle-packets", 3, 2, {})]
    assert config.kafka_manager.enabled and config.kafka_manager.image.startswith("solsson/kafka-manager@sha256:")
    adopt = config.adopt
    assert adopt.zookeeper.selector == {"app": "zookeeper", "release": "kafka", "component": "server"}
    assert (adopt.zookeeper.name, adopt.zookeeper.service, adopt.zookeeper.headless_service, adopt.zookeeper.claim_template) == \
        ("kafka-zookeeper", "kafka-zookeeper", "kafka-zookeeper-headless", "data")
    assert (adopt.kafka.name, adopt.kafka.headless_service, adopt.kafka.claim_template, adopt.kafka.pod_management_policy) == \
        ("kafka", "kafka-headless", "datadir", "OrderedReady")
    assert adopt.kafka_manager.zookeeper_root == "/kafka-manager" and adopt.kafka_manager.port == 80

    git(gitops, "add", "environments/prod.yaml")
    git(gitops, "commit", "--quiet", "-m", "import prod")
    assert run_cli("generate", "--env", "prod", "--repo", str(gitops)).returncode == 0
    desired = load_documents(kustomize.build(gitops / "overlays" / "prod"))
    live = {(o["kind"], o["metadata"]["name"]): o for o in seed_objects()}
    synced, broken = [], []
    for obj in desired:
        before = live.pop((obj["kind"], obj["metadata"]["name"]), None)
        after = first_sync(before, obj)
        if before is not None:
            broken += immutable_changes(before, after)
            if obj["kind"] == "StatefulSet":
                assert pvc_names(after) == pvc_names(before)
        synced.append(after)
    assert broken == []
    assert {"datadir-kafka-0", "data-kafka-zookeeper-2"} <= {n for o in synced if o["kind"] == "StatefulSet" for n in pvc_names(o)}
    synced += live.values()  # the seed's objects the rendered ones no longer declare stay (never pruned)

    def check_against(objects, name):
        (tmp_path / name).mkdir()
        server = KubeAPI(tmp_path / name, desired)
        try:
            for obj in objects:
                server.create(obj)
            return run_cli("check", "--env", "prod", "--repo", str(gitops), "--branch", "main",
                           "--cache", str(tmp_path / f"cache-{name}"), "--kubeconfig", str(server.kubeconfig), "--timeout", "5")
        finally:
            server.close()

    check = check_against(synced, "after")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "in sync" in check.stdout
    # The control: the seed's objects as they are, before the sync, are reported as drift.
    before = seed_objects()
    seeded = {(o["kind"], o["metadata"]["name"]) for o in before}
    unsynced = check_against(before + [o for o in synced if (o["kind"], o["metadata"]["name"]) not in seeded], "before-sync")
    assert unsynced.returncode == 1 and "StatefulSet/kafka" in unsynced.stdout, unsynced.stdout + unsynced.stderr


def test_the_plan_lists_every_change_with_fixes_and_ordered_follow_ups(gitops, cluster, seed_topics, zookeeper, kafka_root):
    result = import_cli(gitops, cluster, "--no-write", "--format", "json", zookeeper=zookeeper.hosts + kafka_root)
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["safe"] is True and plan["written"] is None and plan["layout"] == "seed"
    assert not (gitops / "environments" / "prod.yaml").exists()
    steps = {(s["object"], s["action"]): s for s in plan["steps"]}
    templates = {s["object"]: s for s in plan["steps"] if s["summary"].startswith("pod template")}
    assert {s["severity"] for s in plan["steps"]} <= {"WARNING", "INFO"}
    kafka = templates["StatefulSet/kafka"]
    assert kafka["severity"] == "INFO" and "OnDelete" in kafka["restarts"]
    assert any(c["path"].endswith("readinessProbe.tcpSocket.port") or "readinessProbe" in c["path"] for c in kafka["changes"])
    zk = templates["StatefulSet/kafka-zookeeper"]
    assert zk["severity"] == "WARNING" and "one at a time" in zk["restarts"]
    assert "topologySpreadConstraints" in json.dumps(zk["changes"])
    removed = [c for c in steps[("Deployment/kafka-manager", "patch")]["changes"] if c["after"] is None]
    assert removed == [] or all(c["before"] is not None for c in removed)
    assert steps[("PodDisruptionBudget/kafka-zookeeper", "patch")]["severity"] == "INFO"
    assert steps[("ConfigMap/kafka-zookeeper", "keep")]["severity"] == "INFO"
    assert any("autopurge" in f for f in plan["fixed_in_place"])
    assert [f["order"] for f in plan["follow_ups"]] == [1, 2]
    assert "kafka-2, kafka-1, kafka-0" in plan["follow_ups"][0]["restarts"]
    assert "RollingUpdate" in plan["follow_ups"][1]["title"]
    not_mapped = {(u["object"], u["field"]) for u in plan["not_mapped"]}
    assert ("StatefulSet/kafka-zookeeper", "env ZOO_INIT_LIMIT") in not_mapped
    assert ("StatefulSet/kafka", "env KAFKA_JMX_PORT") in not_mapped


def test_gitops_kafkas_own_layout_is_recognised_and_adopted_as_it_is(gitops, desired, tmp_path):
    """A cluster gitops-kafka deployed (the shipped prod environment, applied by Argo CD) imported back."""
    from kube import as_applied
    namespace = desired[0]["metadata"]["namespace"] if "namespace" in desired[0]["metadata"] else "kafka-prod"
    rbac = json.loads(json.dumps(IMPORT_RBAC).replace(f'"namespace": "{NAMESPACE}"', '"namespace": "kafka-prod"'))
    kinds = {"StatefulSet", "Deployment", "Service", "ConfigMap", "PodDisruptionBudget"}
    tmp_path.mkdir(exist_ok=True)
    api = KubeAPI(tmp_path, rbac, identity=("kafka-prod", "gitops-kafka-import"))
    try:
        for obj in desired:
            if obj["kind"] in kinds:
                api.create(as_applied(obj))
        result = run_cli("import", "--env", "prod", "--repo", str(gitops), "--kubeconfig", str(api.kubeconfig),
                         "--namespace", "kafka-prod", "--no-write", "--format", "json")
    finally:
        api.close()
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["layout"] == "gitops-kafka" and plan["safe"] and plan["follow_ups"] == []
    changed = {(s["object"], c["path"]) for s in plan["steps"] for c in s["changes"]}
    assert changed == set()  # re-rendered from what was imported, every read object is exactly what runs
    assert {s["severity"] for s in plan["steps"]} == {"INFO"}
    assert [u for u in plan["not_mapped"] if u["field"] != "topics"] == []


# ---------------------------------------------------------------- refusals

def test_an_existing_environment_file_is_never_overwritten_without_force(gitops, cluster):
    target = gitops / "environments" / "prod.yaml"
    target.write_text("namespace: kafka\n")
    result = import_cli(gitops, cluster)
    assert result.returncode == 2 and "exists" in result.stderr and "--force" in result.stderr
    assert "Traceback" not in result.stderr and target.read_text() == "namespace: kafka\n"
    forced = import_cli(gitops, cluster, "--force")
    assert forced.returncode == 0, forced.stderr
    assert "adopt:" in target.read_text() and "topics: not read" in forced.stdout


def test_a_plan_with_a_critical_step_exits_1_and_writes_nothing(gitops, tmp_path):
    objects = seed_objects()
    kafka = next(o for o in objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "kafka")
    extra = copy.deepcopy(kafka["spec"]["volumeClaimTemplates"][0])
    extra["metadata"]["name"] = "logs"  # a second claim template: the rendered StatefulSet has one, and it is immutable
    kafka["spec"]["volumeClaimTemplates"].append(extra)
    api = seed_api(tmp_path, objects)
    try:
        result = import_cli(gitops, api)
    finally:
        api.close()
    assert result.returncode == 1, result.stderr
    assert "CRITICAL" in result.stdout and "spec.volumeClaimTemplates" in result.stdout and "not written" in result.stdout
    assert not (gitops / "environments" / "prod.yaml").exists()


def test_a_namespace_without_kafka_is_an_error(gitops, tmp_path):
    api = seed_api(tmp_path, [o for o in seed_objects() if o["metadata"]["name"] != "kafka"])
    try:
        result = import_cli(gitops, api)
    finally:
        api.close()
    assert result.returncode == 2 and "no kafka StatefulSet found" in result.stderr and "Traceback" not in result.stderr


def test_reading_needs_the_documented_role(gitops, tmp_path):
    rbac = copy.deepcopy(IMPORT_RBAC)
    for rule in rbac[1]["rules"]:
        rule["resources"] = [r for r in rule["resources"] if r != "configmaps"]
    api = seed_api(tmp_path, rbac=rbac)
    try:
        result = import_cli(gitops, api)
    finally:
        api.close()
    assert result.returncode == 2 and "forbidden" in result.stderr and "configmaps" in result.stderr


def test_an_unrecognised_layout_says_what_it_could_not_map(gitops, tmp_path):
    objects = seed_objects()
    for obj in objects:
        for key in ("chart", "heritage", "helm.sh/chart"):
            obj["metadata"].get("labels", {}).pop(key, None)
    api = seed_api(tmp_path, objects)
    try:
        result = import_cli(gitops, api, "--no-write", "--format", "json")
    finally:
        api.close()
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["layout"] == "unrecognised"
    layout = [u for u in plan["not_mapped"] if u["field"] == "layout"]
    assert {u["object"] for u in layout} == {"StatefulSet/kafka-zookeeper", "StatefulSet/kafka", "Deployment/kafka-manager"}


# ---------------------------------------------------------------- the plan's rules, one by one

def _plan_for(change):
    from gitops_kafka.adopt import mapping, plan
    from gitops_kafka.adopt.environment_file import validate
    from pathlib import Path

    objects = seed_objects()
    mapped = mapping.map_cluster(objects, NAMESPACE, {})
    environment = copy.deepcopy(mapped.environment)
    change(environment)
    config = validate(Path(__file__).resolve().parent.parent, "prod-import", environment)
    from gitops_kafka.render import expected_objects
    return plan.build_plan(objects, expected_objects(config), mapped)


def _critical(result):
    return [(s.object, s.summary) for s in result.critical]


def test_adopted_identities_make_the_plan_safe():
    assert _critical(_plan_for(lambda env: None)) == []


def test_without_adopt_the_selectors_and_claim_templates_would_change():
    critical = _critical(_plan_for(lambda env: env.pop("adopt")))
    assert any(o == "StatefulSet/kafka" and "immutable" in s for o, s in critical)
    assert any(o == "StatefulSet/kafka" and "new PVC name data-kafka" in s for o, s in critical)
    assert any(o == "Deployment/kafka-manager" and "immutable" in s for o, s in critical)


def test_fewer_replicas_is_critical():
    critical = _critical(_plan_for(lambda env: env["zookeeper"].update(replicas=1)))
    assert ("StatefulSet/kafka-zookeeper", "fewer replicas (3 -> 1): members and their data go") in critical


def test_a_smaller_volume_is_critical():
    critical = _critical(_plan_for(lambda env: env["kafka"]["storage"].update(size="10Gi")))
    assert any("smaller volume" in s for _, s in critical)


def test_a_renamed_workload_is_critical():
    critical = _critical(_plan_for(lambda env: env["adopt"]["kafka"].update(name="brokers")))
    assert any(o == "StatefulSet/kafka" and "second copy" in s for o, s in critical)


def test_a_port_the_generator_does_not_serve_is_reported():
    from gitops_kafka.adopt import mapping

    objects = seed_objects()
    kafka = next(o for o in objects if o["kind"] == "StatefulSet" and o["metadata"]["name"] == "kafka")
    kafka["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 19092
    mapped = mapping.map_cluster(objects, NAMESPACE, {})
    assert [(u.field, u.value) for u in mapped.unmapped if u.field.startswith("port")] == [("port kafka", "19092")]
    assert mapping.map_cluster(seed_objects(), NAMESPACE, {}).unmapped == \
        [u for u in mapping.map_cluster(seed_objects(), NAMESPACE, {}).unmapped if not u.field.startswith("port")]
