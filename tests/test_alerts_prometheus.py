"""End to end: a real Prometheus scrapes a real daemon run and fires the generated drift alert.

The daemon checks a generated GitOps repository against the kmock Kubernetes API
every second; Prometheus (Debian's package) scrapes it every second under the job
name a ServiceMonitor gives it (the Service's name) with the namespace label the
Prometheus Operator adds, and evaluates the PrometheusRule kustomize builds for the
environment. The environment file shortens the `for` durations, so the test waits
seconds, not minutes; every wait is a bounded poll of Prometheus's own API.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from datetime import datetime

import pytest
import yaml

from helpers import PROJECT, load_documents
from gitops_kafka import kustomize, metrics
from gitops_kafka.daemon import Daemon
from gitops_kafka.checking import Target
from kube import KubeAPI, as_applied
from prometheus_server import PrometheusServer, poll

SHORT = """
detector:
  interval: 2s
alerts:
  drift: {for: 10s}
  detector_down: {for: 5s}
"""


@pytest.fixture
def fast_alerts_repo(tmp_path):
    """A GitOps repository whose prod environment fires drift after 10 seconds instead of 15 minutes."""
    from gitops_kafka.generator import generate

    root = tmp_path / "repo"
    root.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    for key, value in (("user.email", "t@gitops-kafka.invalid"), ("user.name", "tests")):
        subprocess.run(["git", "-C", str(root), "config", key, value], check=True)
    shutil.copytree(PROJECT / "environments", root / "environments")
    prod = root / "environments" / "prod.yaml"
    prod.write_text(prod.read_text() + SHORT)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), "commit", "-qm", "environments"], check=True)
    generate(root, ["prod"])
    return root


def seconds_since(timestamp: str) -> float:
    return time.time() - datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def test_drift_in_the_cluster_fires_the_generated_alert_in_prometheus(fast_alerts_repo, tmp_path):
    desired = load_documents(kustomize.build(fast_alerts_repo / "overlays" / "prod"))
    rule = next(o for o in desired if o["kind"] == "PrometheusRule")
    rules_file = tmp_path / "rules.yaml"
    rules_file.write_text(yaml.safe_dump(rule["spec"]))
    service = next(o for o in desired if o["kind"] == "Service" and o["metadata"]["name"].endswith("drift-detector"))

    api = KubeAPI(tmp_path, desired)
    daemon = prometheus = None
    try:
        for obj in desired:
            api.create(as_applied(obj))
        target = Target(env="prod", source=str(fast_alerts_repo), branch="main", cache=tmp_path / "cache",
                        kubeconfig=str(api.kubeconfig), timeout=2.0)
        daemon = Daemon(target, interval=1.0, host="127.0.0.1", port=0)
        daemon.start()
        (tmp_path / "prometheus").mkdir()
        prometheus = PrometheusServer(tmp_path / "prometheus", rules_file, job=service["metadata"]["name"],
                                      target=f"127.0.0.1:{daemon.port}",
                                      labels={"namespace": service["metadata"]["namespace"]})

        # The environment file's durations reached the rules Prometheus loaded.
        loaded = {r["name"]: r for g in prometheus.api("rules")["groups"] for r in g["rules"]}
        assert loaded["GitopsKafkaObjectDrift"]["duration"] == 10 and len(loaded) == 18

        # In sync first: the detector's series are scraped, and nothing drifts.
        def in_sync_scraped():
            result = prometheus.api("query", query='gitops_kafka_objects{environment="prod", state="in_sync"} > 0')
            return result["result"]
        poll(in_sync_scraped, 90, "the first in-sync report to be scraped")
        assert prometheus.alerts("GitopsKafkaObjectDrift") == []
        # Pending from the evaluation before the first scrape, if any; the `up` selector matches the scrape job.
        poll(lambda: prometheus.alerts("GitopsKafkaDetectorAbsent") == [], 30, "the detector-absent alert to clear")

        # Drift: a PodDisruptionBudget disappears from the cluster.
        budget = next(o for o in desired if o["kind"] == "PodDisruptionBudget")
        api.delete(budget)
        seen = set()

        def drift_alert(state):
            for alert in prometheus.alerts("GitopsKafkaObjectDrift"):
                labels = alert["labels"]
                if (labels["kind"], labels["name"], labels["state"]) == ("PodDisruptionBudget",
                                                                        budget["metadata"]["name"], "missing"):
                    seen.add(alert["state"])
                    if alert["state"] == state:
                        return alert
            return None

        firing = poll(lambda: drift_alert("firing"), 90, "the drift alert to fire")
        assert "pending" in seen  # it waited for its `for` before firing
        assert seconds_since(firing["activeAt"]) >= 10
        assert firing["labels"]["severity"] == "warning" and firing["labels"]["environment"] == "prod"
        assert firing["annotations"]["summary"] == f"PodDisruptionBudget/{budget['metadata']['name']} is missing in prod"
        assert firing["annotations"]["runbook_url"].endswith("/docs/runbooks.md#gitopskafkaobjectdrift")

        # Everything Prometheus scraped from the daemon is a name the daemon declares it exports.
        scraped = {n for n in prometheus.api("label/__name__/values") if n.startswith("gitops_kafka_")}
        assert scraped <= metrics.exported_metric_names(), sorted(scraped - metrics.exported_metric_names())
        assert {f"gitops_kafka_{n}" for n in metrics.EXPORTED} <= scraped

        # The detector goes away: its `up` series drops to 0 and the detector-down alert fires.
        daemon.stop()
        daemon = None
        poll(lambda: [a for a in prometheus.alerts("GitopsKafkaDetectorDown") if a["state"] == "firing"], 90,
             "the detector-down alert to fire")
    finally:
        if daemon is not None:
            daemon.stop()
        status = prometheus.stop() if prometheus is not None else 0
        api.close()
    assert status == 0, prometheus.log()[-3000:]
    assert "See you next time!" in prometheus.log()
