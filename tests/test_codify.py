"""`gitops-kafka codify`: hand changes written back into environments/<env>.yaml on a new branch.

The live side is the fake API server seeded as Argo CD applied the overlay, edited by hand
with managedFields as kubectl records them, and Kafka's znodes in a real ZooKeeper.
"""
from __future__ import annotations

import difflib
import subprocess
from dataclasses import replace

import pytest

from helpers import PROJECT, git, run_cli
from gitops_kafka import codify
from gitops_kafka.config import load_environment
from gitops_kafka.checking import Target, run_check
from gitops_kafka.drift.report import IN_SYNC, MODIFIED, DriftReport, FieldDrift, ObjectDrift

CONTAINER = 'k:{"name":"kafka"}'
PROD = "environments/prod.yaml"


def find(desired, kind, name):
    return next(o for o in desired if o["kind"] == kind and o["metadata"]["name"] == name)


@pytest.fixture
def work(gitops_repo, tmp_path):
    """A clone of the generated repository to codify in (codify commits on a new branch)."""
    clone = tmp_path / "work"
    subprocess.run(["git", "clone", "--quiet", str(gitops_repo), str(clone)], check=True)
    git(clone, "config", "user.email", "test@gitops-kafka.invalid")
    git(clone, "config", "user.name", "gitops-kafka tests")
    return clone


def run_codify(work, api, tmp_path, *extra):
    return run_cli("codify", "--env", "prod", "--repo", str(work), "--cache", str(tmp_path / "codify-cache"),
                   "--kubeconfig", str(api.kubeconfig), "--timeout", "2", *extra)


def untouched_lines_identical(before: str, after: str) -> list[str]:
    """Lines of `before` that the diff neither removes nor changes must appear unchanged, in order."""
    kept = [line for tag, line in ((l[:1], l[2:]) for l in difflib.ndiff(before.splitlines(True), after.splitlines(True)))
            if tag == " "]
    return kept


def resize_kafka(api, desired, image: str | None = None):
    """Resources and heap raised by hand (and the image changed, when given), as `kubectl edit` records it."""
    def change(live):
        container = live["spec"]["template"]["spec"]["containers"][0]
        container["image"] = image or container["image"]
        container["resources"]["limits"]["cpu"] = "3"
        for variable in container["env"]:
            if variable["name"] == "KAFKA_HEAP_OPTS":
                variable["value"] = "-Xms2g -Xmx2g"

    api.edit(find(desired, "StatefulSet", "kafka"), change, "kubectl-edit",
             {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {
                 **({"f:image": {}} if image else {}), "f:resources": {"f:limits": {"f:cpu": {}}},
                 "f:env": {'k:{"name":"KAFKA_HEAP_OPTS"}': {"f:value": {}}}}}}}}})


def test_codify_writes_live_values_keeps_the_file_and_check_is_then_in_sync(work, api, desired, tmp_path):
    resize_kafka(api, desired)
    before = (work / PROD).read_text()
    result = run_codify(work, api, tmp_path, "--branch", "keep-incident-scale")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "codified  StatefulSet/kafka: spec.template.spec.containers[name=kafka].env[name=KAFKA_HEAP_OPTS].value -> " \
           "kafka.heap = '2g'" in result.stdout
    assert "committed " in result.stdout and " on keep-incident-scale" in result.stdout
    # the rendered diff for the pull request
    assert "-Xms2g -Xmx2g" in result.stdout and "StatefulSet/kafka" in result.stdout
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD").strip() == "keep-incident-scale"
    assert git(work, "status", "--porcelain").strip() == ""

    after = (work / PROD).read_text()
    changed = [l for l in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
               if l[:1] in "+-" and not l.startswith(("+++", "---"))]
    assert sorted(changed) == sorted([
        "-  heap: 3g", "+  heap: 2g",
        '-    limits: {cpu: "2", memory: 4Gi}', '+    limits: {cpu: "3", memory: 4Gi}'])
    assert len(untouched_lines_identical(before, after)) == len(before.splitlines()) - 2
    assert "# Production on EKS" in after and "# The seed's topics" in after

    # the generated tree was regenerated in the same commit
    assert "overlays/prod" in git(work, "show", "--name-only", "--format=", "HEAD")
    assert run_cli("generate", "--check", "--env", "prod", "--repo", str(work)).returncode == 0

    # against the same live state, the codified branch is in sync
    report = run_check(Target(env="prod", source=str(work), branch="keep-incident-scale",
                              cache=tmp_path / "after", kubeconfig=str(api.kubeconfig), timeout=2.0))
    assert [(o.ref, o.fields) for o in report.objects if o.state != IN_SYNC] == []


def test_drift_the_model_cannot_express_is_listed_not_dropped(work, api, desired, tmp_path):
    def change(live):
        live["spec"]["template"]["spec"]["containers"][0]["env"].append(
            {"name": "KAFKA_LOG4J_ROOT_LOGLEVEL", "value": "DEBUG"})
        live["spec"]["replicas"] = 4

    api.edit(find(desired, "StatefulSet", "kafka"), change, "kubectl-edit",
             {"f:spec": {"f:replicas": {}, "f:template": {"f:spec": {"f:containers": {CONTAINER: {
                 "f:env": {'k:{"name":"KAFKA_LOG4J_ROOT_LOGLEVEL"}': {".": {}, "f:name": {}, "f:value": {}}}}}}}}})
    result = run_codify(work, api, tmp_path, "--branch", "codify-replicas")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "codified  StatefulSet/kafka: spec.replicas -> kafka.replicas = 4" in result.stdout
    assert ("not codified  StatefulSet/kafka: spec.template.spec.containers[name=kafka].env[name=KAFKA_LOG4J_ROOT_LOGLEVEL]: "
            "the environment model has no field for it") in result.stdout
    assert load_environment(work, "prod").kafka.replicas == 4


def test_only_limits_codify_to_one_object(work, api, desired, tmp_path):
    resize_kafka(api, desired, image="confluentinc/cp-kafka:7.9.6")
    api.edit(find(desired, "StatefulSet", "kafka-zookeeper"), lambda live: live["spec"].update(replicas=5),
             "kubectl-scale", {"f:spec": {"f:replicas": {}}})
    result = run_codify(work, api, tmp_path, "--only", "StatefulSet/kafka-zookeeper", "--branch", "zk")
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_environment(work, "prod")
    assert config.zookeeper.replicas == 5 and config.kafka.image == "confluentinc/cp-kafka:7.9.5"
    git(work, "checkout", "--quiet", "main")
    result = run_codify(work, api, tmp_path, "--only", "StatefulSet/kafka", "--branch", "brokers")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "codified  StatefulSet/kafka: spec.template.spec.containers[name=kafka].image -> kafka.image = " \
           "'confluentinc/cp-kafka:7.9.6'" in result.stdout
    config = load_environment(work, "prod")
    assert config.kafka.image == "confluentinc/cp-kafka:7.9.6" and config.zookeeper.replicas == 3


def test_a_value_the_generator_refuses_is_refused_with_its_file_and_line(work, api, desired, tmp_path):
    api.edit(find(desired, "StatefulSet", "kafka-zookeeper"), lambda live: live["spec"].update(replicas=4),
             "kubectl-scale", {"f:spec": {"f:replicas": {}}})
    before = (work / PROD).read_text()
    result = run_codify(work, api, tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line = len(before.splitlines()[:6]) + 1  # appended after zookeeper's last key (storage.size, line 6)
    assert f"environments/prod.yaml:{line}: zookeeper.replicas: a ZooKeeper ensemble needs an odd number" in result.stderr
    assert (work / PROD).read_text() == before
    assert git(work, "rev-parse", "--abbrev-ref", "HEAD").strip() == "main"


def test_uncommitted_work_in_the_environment_file_is_never_overwritten(work, api, desired, tmp_path):
    resize_kafka(api, desired)
    edited = (work / PROD).read_text() + "# someone is editing\n"
    (work / PROD).write_text(edited)
    result = run_codify(work, api, tmp_path)
    assert result.returncode == 3 and "uncommitted changes" in result.stderr
    assert (work / PROD).read_text() == edited


def test_secrets_are_never_codified():
    config = load_environment(PROJECT, "prod")
    report = DriftReport("prod", "x" * 40, 0.0, 0.0, objects=(
        ObjectDrift("v1", "Secret", "git-credentials", "kafka-prod", MODIFIED,
                    (FieldDrift("data.token", "***", "***", "kubectl-edit"),)),))
    edits, leftovers = codify.plan(report, None, config)
    assert edits == [] and [l.what for l in leftovers] == ["Secret"]
    assert "never codified" in leftovers[0].reason


def test_pending_and_failing_syncs_are_never_codified():
    """Codifying a pending sync would write the older live value over a merged change."""
    from gitops_kafka.drift.sync import SyncSection, SyncStatus

    config = load_environment(PROJECT, "prod")
    scaled = FieldDrift("spec.replicas", 3, 4, "argocd-controller")
    objects = tuple(ObjectDrift("apps/v1", "StatefulSet", name, "kafka-prod", MODIFIED, (scaled,), cause=cause)
                    for name, cause in (("kafka", "pending-sync"), ("kafka-zookeeper", "sync-failing")))
    behind = SyncStatus("argocd", "kafka-prod", applied="b" * 40)
    report = DriftReport("prod", "a" * 40, 0.0, 0.0, objects=objects, sync=SyncSection(behind))
    edits, leftovers = codify.plan(report, None, config)
    assert edits == [] and [(l.subject, l.what) for l in leftovers] == [
        ("StatefulSet/kafka", "pending-sync"), ("StatefulSet/kafka-zookeeper", "sync-failing")]
    assert codify.topic_cause(report) == "pending-sync"
    out_of_band = replace(objects[0], cause="out-of-band")
    edits, _ = codify.plan(replace(report, objects=(out_of_band,)), None, config)
    assert [(e.loc, e.value) for e in edits] == [(("kafka", "replicas"), 4)]


def test_round_trip_keeps_comments_order_and_style_byte_for_byte():
    text = ("# header comment\n"
            "namespace: kafka-prod   # trailing comment\n"
            "kafka:\n"
            "  heap: 3g  # sized for 4Gi\n"
            "  resources:\n"
            "    limits: {cpu: \"2\", memory: 4Gi}\n"
            "\n"
            "topics:\n"
            "  # a comment inside a list\n"
            "  - name: a\n"
            "    partitions: 3\n"
            "    replication_factor: 2\n"
            "    config: {retention.ms: '1000'}\n"
            "gitops: {revision: main}\n")
    edits = [codify.Edit("x", ("kafka", "heap"), "2g", "y"),
             codify.Edit("x", ("kafka", "resources", "limits", "cpu"), "3", "y"),
             codify.Edit("x", ("topics", 0, "partitions"), 6, "y")]
    after = codify.apply(text, edits)
    assert after == text.replace("heap: 3g", "heap: 2g").replace('cpu: "2"', 'cpu: "3"') \
        .replace("partitions: 3", "partitions: 6")


def test_a_file_whose_formatting_no_round_trip_keeps_is_refused():
    text = "kafka:\n  heap: 3g\nzookeeper:\n    heap: 1g\n"
    with pytest.raises(codify.ConfigError, match="formatting cannot be kept"):
        codify.apply(text, [codify.Edit("x", ("kafka", "heap"), "2g", "y")], "environments/prod.yaml")


# ---------------------------------------------------------------- topics, in a real ZooKeeper

@pytest.fixture
def hand_changed_topics(kafka, work):
    """Kafka as git declares it, then changed with kafka-topics / kafka-configs by hand."""
    config = load_environment(work, "prod")
    kafka.cluster_as_declared(config)
    kafka.topic("vehicle-packets", {p: [p % 3, (p + 1) % 3] for p in range(6)})  # --alter --partitions 6
    kafka.config("vehicle-events", {"retention.ms": "86400000"})  # retention lowered, min.insync override removed
    kafka.topic("incident-replay", {p: [p % 3, (p + 1) % 3, (p + 2) % 3] for p in range(2)},
                {"cleanup.policy": "compact"})  # created by hand
    return kafka


def test_topics_changed_by_hand_are_codified(work, api, tmp_path, zookeeper, kafka_root, hand_changed_topics):
    before = (work / PROD).read_text()
    result = run_codify(work, api, tmp_path, "--zookeeper", zookeeper.hosts + kafka_root, "--branch", "topics")
    assert result.returncode == 0, result.stdout + result.stderr
    config = load_environment(work, "prod")
    topics = {t.name: t for t in config.topics}
    assert topics["vehicle-packets"].partitions == 6
    assert topics["vehicle-events"].config == {"retention.ms": "86400000"}
    assert (topics["incident-replay"].partitions, topics["incident-replay"].replication_factor,
            topics["incident-replay"].config) == (2, 3, {"cleanup.policy": "compact"})
    after = (work / PROD).read_text()
    assert after.startswith(before.split("topics:")[0])  # everything before the topics, byte for byte
    assert "  # The seed's topics: three partitions to spread the load, two replicas for safety.\n" in after
    # codified topics are in sync with Kafka now
    check = run_cli("check-kafka", "--env", "prod", "--repo", str(work), "--zookeeper", zookeeper.hosts + kafka_root)
    assert check.returncode == 0 and "kafka metadata matches git" in check.stdout, check.stdout


def test_partitions_below_git_are_refused(work, api, tmp_path, zookeeper, kafka_root, kafka):
    config = load_environment(work, "prod")
    kafka.cluster_as_declared(config)
    kafka.delete("/brokers/topics/vehicle-events")
    kafka.topic("vehicle-events", {0: [0, 1]}, dict(config.topics[1].config))  # recreated with one partition
    result = run_codify(work, api, tmp_path, "--zookeeper", zookeeper.hosts + kafka_root)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    line = (work / PROD).read_text().splitlines().index("    partitions: 3", 20) + 1
    assert (f"environments/prod.yaml:{line}: topics[1].partitions: 1 is below git's 3: Kafka cannot lower"
            in result.stderr), result.stderr
