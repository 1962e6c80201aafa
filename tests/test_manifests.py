"""The built manifests are free of the seed's defects and do what a platform team expects on EKS."""
from __future__ import annotations

import re

import pytest

from helpers import PROJECT, load_documents
from gitops_kafka import kustomize
from gitops_kafka.config import config_argument, load_environment
from gitops_kafka.render import components, topics


@pytest.fixture(scope="module")
def prod():
    objects = load_documents(kustomize.build(PROJECT / "overlays" / "prod"))
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def pod_specs(objects):
    for obj in objects.values():
        template = obj.get("spec", {}).get("template")
        if template:
            yield obj, template["spec"]


def env_of(container):
    return {e["name"]: e.get("value") for e in container.get("env", [])}


def test_no_removed_apis_and_no_typos(prod):
    text = kustomize.build(PROJECT / "overlays" / "prod")
    assert "tcpaSocket" not in text
    assert "v1beta1" not in text
    pdb = prod[("PodDisruptionBudget", "kafka-zookeeper")]
    assert pdb["apiVersion"] == "policy/v1"


def test_both_statefulsets_have_a_disruption_budget_matching_their_pods(prod):
    budgets = [o for o in prod.values() if o["kind"] == "PodDisruptionBudget"]
    for name in ("kafka-zookeeper", "kafka"):
        labels = prod[("StatefulSet", name)]["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if b["spec"]["selector"]["matchLabels"].items() <= labels.items()]
        assert len(matching) == 1, name
        assert matching[0]["spec"]["maxUnavailable"] == 1


def test_zookeeper_writes_myid_once_and_config_whole(prod):
    script = prod[("ConfigMap", "kafka-zookeeper-scripts")]["data"]["run"]
    assert re.search(r'echo "\$my_id" > "\$ZK_DATA_DIR/myid"', script)
    assert ">>" not in script
    assert "4lw.commands.whitelist=$ZK_4LW_COMMANDS" in script
    zk = prod[("StatefulSet", "kafka-zookeeper")]
    assert env_of(zk["spec"]["template"]["spec"]["containers"][0])["ZK_4LW_COMMANDS"] != "*"


def test_data_volume_is_defined_once(prod):
    for name, claim in (("kafka-zookeeper", "data"), ("kafka", "data")):
        spec = prod[("StatefulSet", name)]["spec"]
        volumes = [v["name"] for v in spec["template"]["spec"].get("volumes", [])]
        assert claim not in volumes
        assert [c["metadata"]["name"] for c in spec["volumeClaimTemplates"]] == [claim]


def test_brokers_advertise_stable_dns_names_not_pod_ips(prod):
    container = prod[("StatefulSet", "kafka")]["spec"]["template"]["spec"]["containers"][0]
    script = container["command"][-1]
    assert "POD_IP" not in script and "status.podIP" not in str(container)
    assert "KAFKA_ADVERTISED_LISTENERS=\"PLAINTEXT://${POD_NAME}.${BROKER_HEADLESS_SERVICE}.${POD_NAMESPACE}.svc." in script
    assert env_of(container)["BROKER_HEADLESS_SERVICE"] == "kafka-headless"
    headless = prod[("Service", "kafka-headless")]["spec"]
    assert headless["clusterIP"] == "None" and headless["publishNotReadyAddresses"] is True


def test_kafka_env_names_follow_the_image_convention(prod):
    container = prod[("StatefulSet", "kafka")]["spec"]["template"]["spec"]["containers"][0]
    env = env_of(container)
    assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
    assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
    assert env["KAFKA_COMPRESSION_TYPE"] == "producer"
    assert env["KAFKA_ZOOKEEPER_CONNECT"] == "kafka-zookeeper:2181"
    # Only broker properties may carry the KAFKA_ prefix: the image turns each into one.
    assert not [n for n in env if n.startswith("KAFKA_") and n.endswith(("_SERVICE", "_NUMBER"))]
    assert prod[("StatefulSet", "kafka")]["spec"]["template"]["spec"]["enableServiceLinks"] is False


def test_probes_mean_what_they_say(prod):
    zk = prod[("StatefulSet", "kafka-zookeeper")]["spec"]["template"]["spec"]["containers"][0]
    scripts = prod[("ConfigMap", "kafka-zookeeper-scripts")]["data"]
    assert zk["readinessProbe"]["exec"]["command"][-1].endswith("/ready")
    assert "srvr" in scripts["ready"] and "Mode: (leader|follower|observer|standalone)" in scripts["ready"]
    assert zk["livenessProbe"]["exec"]["command"][-1].endswith("/live") and "ruok" in scripts["live"]
    # A meaningful readiness needs a parallel start, or member 0 waits forever for a quorum.
    assert prod[("StatefulSet", "kafka-zookeeper")]["spec"]["podManagementPolicy"] == "Parallel"
    kafka = prod[("StatefulSet", "kafka")]["spec"]["template"]["spec"]["containers"][0]
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        assert kafka[probe]["tcpSocket"]["port"] == "kafka"


def test_pods_spread_over_nodes_and_zones(prod):
    for name in ("kafka-zookeeper", "kafka"):
        spec = prod[("StatefulSet", name)]["spec"]["template"]["spec"]
        keys = {c["topologyKey"]: c["whenUnsatisfiable"] for c in spec["topologySpreadConstraints"]}
        assert keys == {"kubernetes.io/hostname": "DoNotSchedule", "topology.kubernetes.io/zone": "ScheduleAnyway"}


def test_security_contexts(prod):
    for obj, spec in pod_specs(prod):
        containers = spec.get("initContainers", []) + spec["containers"]
        assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, obj["metadata"]["name"]
        for container in containers:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False
            assert context["capabilities"] == {"drop": ["ALL"]}
        if "gitops-kafka.io/policy-exception" not in obj["metadata"].get("annotations", {}):
            assert spec["securityContext"]["runAsNonRoot"] is True, obj["metadata"]["name"]


def test_every_container_has_requests_limits_and_pinned_images(prod):
    for obj, spec in pod_specs(prod):
        for container in spec.get("initContainers", []) + spec["containers"]:
            assert {"cpu", "memory"} <= set(container["resources"]["requests"])
            assert {"cpu", "memory"} <= set(container["resources"]["limits"])
            image = container["image"]
            assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), image


def test_everything_carries_the_managed_and_environment_labels(prod):
    for obj in prod.values():
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "gitops-kafka"
        assert labels["gitops-kafka.io/environment"] == "prod"
        if obj["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"):
            assert obj["metadata"]["namespace"] == "kafka-prod"
            assert {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component",
                    "app.kubernetes.io/part-of"} <= set(labels)


def test_namespace_is_never_pruned(prod):
    namespace = prod[("Namespace", "kafka-prod")]["metadata"]
    assert namespace["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false,Delete=false"
    assert namespace["annotations"]["kustomize.toolkit.fluxcd.io/prune"] == "disabled"


def test_kafka_manager_steps_are_automatic(prod):
    deployment = prod[("Deployment", "kafka-manager")]["spec"]["template"]["spec"]
    init = deployment["initContainers"][0]
    assert "create \"$ROOT_ZNODE\"" in init["command"][-1] and env_of(init)["ROOT_ZNODE"] == "/kafka-manager"
    assert env_of(deployment["containers"][0])["ZK_HOSTS"] == "kafka-zookeeper:2181"
    jobs = [o for o in prod.values() if o["kind"] == "Job" and o["metadata"]["name"].startswith("kafka-manager-register-")]
    assert len(jobs) == 1
    script = jobs[0]["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    assert "/api/status/clusters" in script and '-X POST "$base/clusters"' in script


def test_topic_job_creates_raises_and_configures_but_never_deletes(prod):
    jobs = [o for o in prod.values() if o["kind"] == "Job" and o["metadata"]["name"].startswith("kafka-topics-")]
    assert len(jobs) == 1
    job = jobs[0]
    script = job["spec"]["template"]["spec"]["containers"][0]["command"][-1]
    desired = prod[("ConfigMap", job["metadata"]["name"])]["data"]["topics.tsv"]
    assert desired.splitlines() == ["vehicle-packets\t3\t2",
                                    "vehicle-events\t3\t2\tmin.insync.replicas=1\tretention.ms=604800000"]
    assert "vehicle-packets" not in script
    assert "--create --if-not-exists" in script and "--alter --topic" in script and "--add-config" in script
    assert "--delete" not in script and "delete-config" not in script


def test_topic_job_name_changes_with_its_content_only():
    config = load_environment(PROJECT, "prod")
    name = topics.render(config)[1]["metadata"]["name"]
    assert topics.render(config)[1]["metadata"]["name"] == name
    more = config.model_copy(update={"topics": [config.topics[0].model_copy(update={"partitions": 6}), *config.topics[1:]]})
    assert topics.render(more)[1]["metadata"]["name"] != name
    assert len(name) <= 63


def test_topic_config_values_with_commas_are_bracketed():
    assert config_argument({"b": "x,y", "a": "1"}) == "a=1,b=[x,y]"


def test_no_topics_means_no_topic_job():
    config = load_environment(PROJECT, "prod").model_copy(update={"topics": []})
    assert "topics" not in components(config)
