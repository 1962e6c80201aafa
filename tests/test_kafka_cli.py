"""check-kafka and topics plan, run as a user runs them, against a real ZooKeeper."""
from __future__ import annotations

import json
import shlex

import pytest

from helpers import PROJECT, run_cli
from gitops_kafka.config import load_environment
from zookeeper_servers import free_port


@pytest.fixture(scope="module")
def prod():
    return load_environment(PROJECT, "prod")


def test_check_kafka_in_sync_exits_0(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    result = run_cli("check-kafka", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root, cwd=PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "kafka metadata matches git" in result.stdout
    assert "1/1 members serving, quorum yes" in result.stdout


def test_check_kafka_reports_drift_as_json_and_exits_1(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    kafka.topic("vehicle-packets", {0: [0, 1], 1: [1, 2]})
    kafka.state("vehicle-events", 0, -1, [])
    result = run_cli("check-kafka", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root,
                     "--format", "json", cwd=PROJECT)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["in_sync"] is False and report["zookeeper"]["quorum"] is True
    kafka_part = report["kafka"]
    assert kafka_part["partitions_offline"] == 1
    assert [(f["kind"], f["subject"]) for f in kafka_part["findings"]] == [
        ("partitions", "vehicle-packets"), ("offline", "vehicle-events")]


def test_the_zookeeper_hosts_come_from_the_environment_variable(zookeeper, kafka, kafka_root, prod, monkeypatch):
    kafka.cluster_as_declared(prod)
    monkeypatch.setenv("GITOPS_KAFKA_ZOOKEEPER", zookeeper.hosts + kafka_root)
    assert run_cli("check-kafka", "--env", "prod", cwd=PROJECT).returncode == 0


def test_check_kafka_with_zookeeper_down_exits_2_without_a_traceback():
    result = run_cli("check-kafka", "--env", "prod", "--zookeeper", f"127.0.0.1:{free_port()}", "--timeout", "1",
                     cwd=PROJECT)
    assert result.returncode == 2
    assert "UNREADABLE" in result.stdout and "cannot connect" in result.stdout
    assert "Traceback" not in result.stderr


def test_topics_plan_prints_kafka_commands_never_a_delete(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    kafka.delete("/brokers/topics/vehicle-events")
    kafka.delete("/config/topics/vehicle-events")
    kafka.topic("vehicle-packets", {0: [0, 1]}, {"retention.ms": "1000", "cleanup.policy": "compact"})
    kafka.topic("not-in-git", {0: [0, 1]})
    result = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root, cwd=PROJECT)
    assert result.returncode == 1, result.stderr
    commands = [shlex.split(line) for line in result.stdout.splitlines() if not line.startswith("#")]
    assert commands == [
        ["kafka-topics", "--bootstrap-server", "kafka:9092", "--alter", "--topic", "vehicle-packets", "--partitions", "3"],
        ["kafka-configs", "--bootstrap-server", "kafka:9092", "--alter", "--entity-type", "topics",
         "--entity-name", "vehicle-packets", "--delete-config", "cleanup.policy,retention.ms"],
        ["kafka-topics", "--bootstrap-server", "kafka:9092", "--create", "--topic", "vehicle-events",
         "--partitions", "3", "--replication-factor", "2",
         "--config", "min.insync.replicas=1", "--config", "retention.ms=604800000"],
    ]
    assert "not-in-git" not in result.stdout
    assert not any("--delete" in c for command in commands for c in command if c != "--delete-config")


def test_topics_plan_notes_what_no_command_can_do(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    kafka.topic("vehicle-packets", {p: [0] for p in range(5)})
    kafka.config("vehicle-events", {"retention.ms": "1", "min.insync.replicas": "1"})
    result = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root,
                     "--bootstrap-server", "broker:9093", "--format", "json", cwd=PROJECT)
    assert result.returncode == 1, result.stderr
    steps = json.loads(result.stdout)
    assert [(s["action"], s["topic"]) for s in steps] == [
        ("note", "vehicle-packets"), ("note", "vehicle-packets"), ("set-config", "vehicle-events")]
    assert "cannot remove partitions" in steps[0]["description"]
    assert "reassignment" in steps[1]["description"]
    assert steps[2]["command"] == ("kafka-configs --bootstrap-server broker:9093 --alter --entity-type topics "
                                   "--entity-name vehicle-events --add-config retention.ms=604800000")


def test_topics_plan_nothing_to_do_exits_0(zookeeper, kafka, kafka_root, prod):
    kafka.cluster_as_declared(prod)
    result = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root, cwd=PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("nothing to do")


def only_a_replication_factor_note(kafka):
    kafka.topic("vehicle-packets", {p: [0] for p in range(3)})


def only_a_deletion_in_progress(kafka):
    kafka.put("/admin/delete_topics/vehicle-packets")


def an_unreadable_topic(kafka):
    kafka.put("/brokers/topics/vehicle-packets", b'{"version":3}')


def an_unreadable_topic_config(kafka):
    kafka.put("/config/topics/vehicle-events", b"{not json")


@pytest.mark.parametrize("change, code, steps", [
    (only_a_replication_factor_note, 1, [("note", "vehicle-packets")]),
    (only_a_deletion_in_progress, 0, [("wait", "vehicle-packets")]),
    (an_unreadable_topic, 2, [("unreadable", "vehicle-packets")]),
    (an_unreadable_topic_config, 2, [("unreadable", "vehicle-events")]),
], ids=lambda v: getattr(v, "__name__", None))
def test_topics_plan_without_a_command_exits_as_documented(zookeeper, kafka, kafka_root, prod, change, code, steps):
    """0 nothing to do or only to wait, 1 something to do (a note for a person), 2 cannot plan (unreadable)."""
    kafka.cluster_as_declared(prod)
    change(kafka)
    plan = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root,
                   "--format", "json", cwd=PROJECT)
    assert plan.returncode == code, plan.stdout + plan.stderr
    assert [(s["action"], s["topic"]) for s in json.loads(plan.stdout)] == steps
    assert all(s["command"] is None for s in json.loads(plan.stdout))
    text = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root, cwd=PROJECT)
    assert text.returncode == code and text.stdout.startswith("nothing to do") == (code == 0), text.stdout


@pytest.mark.parametrize("command", [["topics", "plan"], ["check-kafka"]])
def test_a_refused_connection_is_reported_as_refused_not_as_a_time_out(command):
    port = free_port()
    result = run_cli(*command, "--env", "prod", "--zookeeper", f"127.0.0.1:{port}", "--timeout", "5", cwd=PROJECT)
    output = result.stdout + result.stderr
    assert result.returncode == 2 and f"cannot connect to 127.0.0.1:{port} (connection refused)" in output, output
    assert "timed out" not in output and "within" not in output and "Traceback" not in output
    unknown = run_cli(*command, "--env", "prod", "--zookeeper", "zk.invalid:2181", "--timeout", "5", cwd=PROJECT)
    assert unknown.returncode == 2 and "zk.invalid:2181 (unknown host)" in unknown.stdout + unknown.stderr


def test_topics_plan_errors_exit_2(zookeeper):
    down = run_cli("topics", "plan", "--env", "prod", "--zookeeper", f"127.0.0.1:{free_port()}", "--timeout", "1",
                   cwd=PROJECT)
    assert down.returncode == 2 and "gitops-kafka topics: zookeeper: cannot connect" in down.stderr
    assert "Traceback" not in down.stderr
    chroot = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + "/absent", cwd=PROJECT)
    assert chroot.returncode == 2 and "chroot /absent does not exist" in chroot.stderr
    unknown = run_cli("topics", "plan", "--env", "nope", "--zookeeper", zookeeper.hosts, cwd=PROJECT)
    assert unknown.returncode == 2 and "environments/nope.yaml" in unknown.stderr
