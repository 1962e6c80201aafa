"""validate: strict schema for the environment's Kubernetes version, then policy rules; each
finding names object, field and rule; the shipped environments pass; exceptions are per rule."""
from __future__ import annotations

import copy

import pytest

from helpers import PROJECT, git, run_cli
from gitops_kafka.kube.objects import load
from gitops_kafka import kustomize
from gitops_kafka.review import objects, policy


@pytest.fixture(scope="module")
def built():
    return load(kustomize.build(PROJECT / "overlays" / "prod"))


@pytest.fixture
def prod(built):
    return copy.deepcopy(built)


def find(objs, kind, name):
    return next(o for o in objs if o["kind"] == kind and o["metadata"]["name"] == name)


def pod(objs, kind, name):
    return find(objs, kind, name)["spec"]["template"]["spec"]


def findings(objs, rule=None):
    return [f for f in policy.policy_findings(objs) if rule in (None, f.rule)]


def test_shipped_prod_has_no_findings(prod):
    assert policy.validate(prod, "1.31") == []


def test_schema_finding_names_object_and_field(prod):
    pod(prod, "StatefulSet", "kafka")["containers"][0]["readinessProbe"]["tcpaSocket"] = {"port": "kafka"}
    [f] = policy.schema_findings(prod, "1.31")
    assert f.object == "StatefulSet/kafka" and f.rule == "schema"
    assert f.field == "spec.template.spec.containers[name=kafka].readinessProbe" and "tcpaSocket" in f.message


def test_schema_is_that_of_the_environment_version(prod):
    pdb = find(prod, "PodDisruptionBudget", "kafka")
    pdb["apiVersion"] = "policy/v1beta1"
    [f] = policy.schema_findings(prod, "1.25")
    assert f.field == "apiVersion" and "not served by Kubernetes 1.25" in f.message


def test_custom_resources_skip_the_schema_but_not_the_policy(prod):
    prod.append({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "kafka-prod"}})
    assert policy.schema_findings(prod, "1.31") == []


@pytest.mark.parametrize("mutate, rule, field", [
    (lambda s: s["securityContext"].pop("runAsNonRoot"), "runAsNonRoot",
     "spec.template.spec.containers[name=kafka].securityContext.runAsNonRoot"),
    (lambda s: s["securityContext"].pop("seccompProfile"), "seccompProfile",
     "spec.template.spec.containers[name=kafka].securityContext.seccompProfile.type"),
    (lambda s: s["containers"][0]["securityContext"].update(allowPrivilegeEscalation=True), "allowPrivilegeEscalation",
     "spec.template.spec.containers[name=kafka].securityContext.allowPrivilegeEscalation"),
    (lambda s: s["containers"][0]["securityContext"]["capabilities"].update(add=["SYS_ADMIN"]), "capabilities",
     "spec.template.spec.containers[name=kafka].securityContext.capabilities.add"),
    (lambda s: s["containers"][0]["securityContext"].update(privileged=True), "privileged",
     "spec.template.spec.containers[name=kafka].securityContext.privileged"),
    (lambda s: s.update(hostNetwork=True), "hostNamespaces", "spec.template.spec.hostNetwork"),
    (lambda s: s.update(volumes=[{"name": "host", "hostPath": {"path": "/var"}}]), "volumeTypes",
     "spec.template.spec.volumes[name=host]"),
    (lambda s: s["securityContext"].update(runAsUser=0), "runAsUser", "spec.template.spec.securityContext.runAsUser"),
    (lambda s: s["containers"][0]["resources"]["limits"].pop("memory"), "resources",
     "spec.template.spec.containers[name=kafka].resources.limits.memory"),
    (lambda s: s["containers"][0]["resources"].pop("requests"), "resources",
     "spec.template.spec.containers[name=kafka].resources.requests.cpu"),
    (lambda s: s["containers"][0].pop("livenessProbe"), "probes",
     "spec.template.spec.containers[name=kafka].livenessProbe"),
    (lambda s: s["containers"][0].update(image="confluentinc/cp-kafka:latest"), "pinned-image",
     "spec.template.spec.containers[name=kafka].image"),
    (lambda s: s["containers"][0].update(image="confluentinc/cp-kafka"), "pinned-image",
     "spec.template.spec.containers[name=kafka].image"),
    (lambda s: s["containers"][0]["resources"]["limits"].update(memory="3Gi"), "jvm-heap",
     "spec.template.spec.containers[name=kafka].resources.limits.memory"),
])
def test_each_policy_rule_names_object_field_and_rule(prod, mutate, rule, field):
    mutate(pod(prod, "StatefulSet", "kafka"))
    fired = findings(prod, rule)
    assert fired and fired[0].object == "StatefulSet/kafka" and fired[0].field == field


def test_digest_pinned_image_passes(prod):
    pod(prod, "StatefulSet", "kafka")["containers"][0]["image"] = "confluentinc/cp-kafka@sha256:" + "a" * 64
    assert findings(prod, "pinned-image") == []


def test_job_containers_need_no_probes_but_need_resources(prod):
    job = next(o for o in prod if o["kind"] == "Job")
    job["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"].pop("cpu")
    assert findings(prod, "probes") == []
    assert [f.object for f in findings(prod, "resources")] == [objects.ref(job)]


def test_statefulset_without_pdb(prod):
    prod[:] = [o for o in prod if not (o["kind"] == "PodDisruptionBudget" and o["metadata"]["name"] == "kafka")]
    [f] = findings(prod, "pod-disruption-budget")
    assert f.object == "StatefulSet/kafka"


def test_pdb_of_other_pods_does_not_count(prod):
    find(prod, "PodDisruptionBudget", "kafka")["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] = "other"
    assert [f.object for f in findings(prod, "pod-disruption-budget")] == ["StatefulSet/kafka"]


def test_pdb_selecting_by_expression_counts(prod):
    selector = find(prod, "PodDisruptionBudget", "kafka")["spec"]["selector"]
    selector["matchLabels"].pop("app.kubernetes.io/name")
    selector["matchExpressions"] = [{"key": "app.kubernetes.io/name", "operator": "In", "values": ["kafka"]}]
    assert findings(prod, "pod-disruption-budget") == []
    selector["matchExpressions"][0]["operator"] = "NotIn"
    assert [f.object for f in findings(prod, "pod-disruption-budget")] == ["StatefulSet/kafka"]


def test_even_zookeeper_ensemble(prod):
    find(prod, "StatefulSet", "kafka-zookeeper")["spec"]["replicas"] = 4
    fired = findings(prod, "zookeeper-ensemble")
    assert {f.field for f in fired} == {"spec.replicas", "spec.template.spec.containers[name=zookeeper].env[name=ZK_REPLICAS]"}


def test_an_even_kafka_cluster_is_fine(prod):
    find(prod, "StatefulSet", "kafka")["spec"]["replicas"] = 4
    assert findings(prod) == []


def test_policy_exception_excepts_only_the_named_rule(prod):
    cmak = find(prod, "Deployment", "kafka-manager")
    assert policy.exceptions(cmak) == {"runAsNonRoot"}
    cmak["metadata"]["annotations"].pop(policy.EXCEPTION_ANNOTATION)
    assert [(f.object, f.rule) for f in findings(prod)] == [("Deployment/kafka-manager", "runAsNonRoot")]
    cmak["metadata"]["annotations"][policy.EXCEPTION_ANNOTATION] = "runAsNonRoot: the CMAK image runs as root"
    pod(prod, "Deployment", "kafka-manager")["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    assert [f.rule for f in findings(prod)] == ["allowPrivilegeEscalation"]


# ---- the command

def test_validate_all_shipped_environments_pass():
    result = run_cli("validate", "--all", "--repo", str(PROJECT))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "prod: valid" in result.stdout and "dev: valid" in result.stdout


def test_validate_exits_1_naming_object_field_and_rule(repo):
    assert run_cli("generate", "--all", "--repo", str(repo)).returncode == 0
    patch = repo / "overlays" / "prod" / "patches" / "statefulset-kafka.yaml"
    text = patch.read_text()
    assert "image: confluentinc/cp-kafka:7.9.5" not in text
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(
        (repo / "overlays" / "prod" / "kustomization.yaml").read_text()
        + "images:\n- name: confluentinc/cp-kafka\n  newTag: latest\n")
    result = run_cli("validate", "--env", "prod", "--repo", str(repo))
    assert result.returncode == 1
    assert "prod: StatefulSet/kafka spec.template.spec.containers[name=kafka].image: [pinned-image]" in result.stdout
    # The committed revision is still clean: --ref validates what git holds, not the working tree.
    assert run_cli("validate", "--env", "prod", "--ref", "HEAD", "--repo", str(repo)).returncode == 0
    markdown = run_cli("validate", "--env", "prod", "--format", "markdown", "--repo", str(repo))
    assert "| prod | `StatefulSet/kafka` | `spec.template.spec.containers[name=kafka].image` | `pinned-image` |" in markdown.stdout


def test_validate_unknown_environment_is_a_clear_error(repo):
    result = run_cli("validate", "--env", "nope", "--repo", str(repo))
    assert result.returncode == 2 and "environments/nope.yaml" in result.stderr and "Traceback" not in result.stderr


HPA_V2BETA2 = """apiVersion: autoscaling/v2beta2
kind: HorizontalPodAutoscaler
metadata:
  name: kafka-manager
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: kafka-manager}
  minReplicas: 1
  maxReplicas: 2
"""


def test_validate_uses_the_environments_kubernetes_version(repo):
    """autoscaling/v2beta2 was served up to Kubernetes 1.25 and removed in 1.26."""
    assert run_cli("generate", "--env", "prod", "--repo", str(repo)).returncode == 0
    overlay = repo / "overlays" / "prod"
    (overlay / "hpa.yaml").write_text(HPA_V2BETA2)
    kustomization = overlay / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("- topics.yaml\n", "- topics.yaml\n- hpa.yaml\n"))
    on_131 = run_cli("validate", "--env", "prod", "--repo", str(repo))
    assert on_131.returncode == 1
    assert ("prod: HorizontalPodAutoscaler/kafka-manager apiVersion: [schema] autoscaling/v2beta2 "
            "HorizontalPodAutoscaler is not served by Kubernetes 1.31") in on_131.stdout
    env = repo / "environments" / "prod.yaml"
    env.write_text('kubernetes_version: "1.25"\n' + env.read_text())
    on_125 = run_cli("validate", "--env", "prod", "--repo", str(repo))
    assert on_125.returncode == 0, on_125.stdout + on_125.stderr


def test_validate_without_environments_is_an_error(tmp_path):
    git(tmp_path, "init", "--quiet")
    result = run_cli("validate", "--all", "--repo", str(tmp_path))
    assert result.returncode == 2 and "no environment files found" in result.stderr
