"""check and daemon cover ZooKeeper and Kafka too: one report, one /metrics, one exit code."""
from __future__ import annotations

import dataclasses
import json

from helpers import PROJECT, run_cli
from gitops_kafka.config import load_environment
from gitops_kafka.daemon import Daemon
from test_daemon import get, metric, wait_for


def check(gitops_repo, api, tmp_path, *extra):
    return run_cli("check", "--env", "prod", "--repo", str(gitops_repo), "--branch", "main",
                   "--cache", str(tmp_path / "cache"), "--kubeconfig", str(api.kubeconfig), "--timeout", "5", *extra)


def test_check_reports_kafka_metadata_from_zookeeper(gitops_repo, api, tmp_path, zookeeper, kafka, kafka_root):
    kafka.cluster_as_declared(load_environment(PROJECT, "prod"))
    hosts = zookeeper.members[0].address + kafka_root
    in_sync = check(gitops_repo, api, tmp_path, "--zookeeper", hosts, "--format", "json")
    assert in_sync.returncode == 0, in_sync.stdout + in_sync.stderr
    report = json.loads(in_sync.stdout)
    assert report["kafka"]["in_sync"] is True and report["kafka"]["zookeeper"]

    kafka.delete("/brokers/ids/2")
    drifted = check(gitops_repo, api, tmp_path, "--zookeeper", hosts)
    assert drifted.returncode == 1
    assert "kafka: cluster" in drifted.stdout and "brokers 2/3" in drifted.stdout


def test_check_exits_2_when_zookeeper_cannot_be_read(gitops_repo, api, tmp_path):
    result = check(gitops_repo, api, tmp_path, "--zookeeper", "127.0.0.1:9")
    assert result.returncode == 2
    assert "kafka: UNREADABLE" in result.stdout and "Traceback" not in result.stderr


def test_daemon_exports_kafka_series_and_counts_zookeeper_failures(target, zookeeper, kafka, kafka_root):
    kafka.cluster_as_declared(load_environment(PROJECT, "prod"))
    hosts = zookeeper.members[0].address + kafka_root
    daemon = Daemon(dataclasses.replace(target, zookeeper=hosts, kafka=True), interval=3600, host="127.0.0.1", port=0)
    daemon.start()
    try:
        wait_for(lambda: get(daemon, "/readyz")[0] == 200)
        text = get(daemon, "/metrics")[1]
        assert metric(text, "gitops_kafka_kafka_metadata_readable", environment="prod") == 1.0
        assert metric(text, "gitops_kafka_zookeeper_quorum", environment="prod") == 1.0
        assert metric(text, "gitops_kafka_kafka_broker_registered", environment="prod", broker_id="2") == 1.0
        assert json.loads(get(daemon, "/drift")[1])["kafka"]["in_sync"] is True
        kafka.delete("/brokers/ids/2")
        daemon.run_once()
        text = get(daemon, "/metrics")[1]
        assert metric(text, "gitops_kafka_kafka_broker_registered", environment="prod", broker_id="2") == 0.0

        daemon.target = dataclasses.replace(daemon.target, zookeeper="127.0.0.1:9")
        daemon.run_once()
        text = get(daemon, "/metrics")[1]
        assert metric(text, "gitops_kafka_kafka_metadata_readable", environment="prod") == 0.0
        assert metric(text, "gitops_kafka_check_errors_total", source="zookeeper") == 1.0
        assert metric(text, "gitops_kafka_check_success", environment="prod") == 1.0  # Kubernetes was read
    finally:
        daemon.stop()
