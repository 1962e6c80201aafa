"""kube-prometheus-stack finds what gitops-kafka writes: selection labels, Grafana's namespace, ZooKeeper's metrics."""
from __future__ import annotations

import pytest

from helpers import PROJECT, load_documents, new_gitops_repo, run_cli
from gitops_kafka import kustomize
from gitops_kafka.config import load_environment
from gitops_kafka.render import expected_objects, zookeeper
from test_config import GOOD, problems_for
from test_render import by_identity

MONITORING = """\
monitoring:
  labels:
    release: prometheus
    team: platform
  dashboard_namespace: monitoring
  dashboard_labels:
    grafana_dashboard: 1
    example.com/folder: kafka
"""


def built(objects, kind):
    return [o for o in objects if o["kind"] == kind]


@pytest.fixture(scope="module")
def monitored(tmp_path_factory):
    """prod, with the monitoring settings above, generated and built by the real kustomize."""
    repo = new_gitops_repo(tmp_path_factory.mktemp("monitoring") / "gitops")
    env = repo / "environments" / "prod.yaml"
    env.write_text(env.read_text() + MONITORING)
    result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
    assert result.returncode == 0, result.stderr
    return repo, load_documents(kustomize.build(repo / "overlays" / "prod"))


def test_default_labels_are_kube_prometheus_stacks():
    objects = load_documents(kustomize.build(PROJECT / "overlays" / "prod"))
    for obj in [*built(objects, "PrometheusRule"), *built(objects, "ServiceMonitor")]:
        assert obj["metadata"]["labels"]["release"] == "kube-prometheus-stack", obj["metadata"]["name"]
    [dashboard] = [o for o in built(objects, "ConfigMap") if o["metadata"]["name"].endswith("-dashboard")]
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["namespace"] == "kafka-prod"


def test_rule_and_monitor_labels_are_set_from_the_environment(monitored):
    _, objects = monitored
    selected = [*built(objects, "PrometheusRule"), *built(objects, "ServiceMonitor")]
    assert {o["metadata"]["name"] for o in selected} == {"kafka-alerts", "kafka-drift-detector", "kafka-zookeeper"}
    for obj in selected:
        assert obj["metadata"]["labels"]["release"] == "prometheus"
        assert obj["metadata"]["labels"]["team"] == "platform"


def test_dashboard_goes_to_grafanas_namespace_with_its_labels(monitored):
    _, objects = monitored
    [dashboard] = [o for o in built(objects, "ConfigMap") if o["metadata"]["name"].endswith("-dashboard")]
    assert dashboard["metadata"]["namespace"] == "monitoring"
    assert dashboard["metadata"]["name"] == "kafka-prod-dashboard"
    assert dashboard["metadata"]["labels"]["grafana_dashboard"] == "1"
    assert dashboard["metadata"]["labels"]["example.com/folder"] == "kafka"
    # Everything else stays in the environment's namespace; the detector may read the dashboard there.
    elsewhere = {(o["kind"], o["metadata"]["name"]) for o in objects if o["metadata"].get("namespace") == "monitoring"}
    assert elsewhere == {("ConfigMap", "kafka-prod-dashboard"), ("Role", "gitops-kafka-kafka-prod-dashboard"),
                         ("RoleBinding", "gitops-kafka-kafka-prod-dashboard")}
    [binding] = [o for o in built(objects, "RoleBinding") if o["metadata"]["namespace"] == "monitoring"]
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "kafka-drift-detector", "namespace": "kafka-prod"}]
    for obj in objects:
        if obj["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding") and (obj["kind"], obj["metadata"]["name"]) not in elsewhere:
            assert obj["metadata"]["namespace"] == "kafka-prod", obj["metadata"]["name"]


def test_overlay_with_a_dashboard_namespace_builds_to_the_full_render(monitored):
    repo, objects = monitored
    assert by_identity(objects) == by_identity(expected_objects(load_environment(repo, "prod")))


def test_zookeeper_metrics_port_is_served_and_scraped(monitored):
    _, objects = monitored
    services = {o["metadata"]["name"]: o for o in built(objects, "Service")}
    headless = services["kafka-zookeeper-headless"]
    assert {"name": "metrics", "port": zookeeper.METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"} in \
        headless["spec"]["ports"]
    [monitor] = [o for o in built(objects, "ServiceMonitor") if o["metadata"]["name"] == "kafka-zookeeper"]
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert all(headless["metadata"]["labels"].get(k) == v for k, v in selector.items())
    [stateful_set] = [o for o in built(objects, "StatefulSet") if o["metadata"]["name"] == "kafka-zookeeper"]
    container = stateful_set["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "metrics", "containerPort": zookeeper.METRICS_PORT, "protocol": "TCP"} in container["ports"]
    assert "metricsProvider.httpPort=$ZK_METRICS_PORT" in zookeeper.RUN
    assert {"name": "ZK_METRICS_PORT", "value": str(zookeeper.METRICS_PORT)} in container["env"]


def test_zookeeper_scraping_can_be_turned_off(tmp_path):
    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "test.yaml").write_text(GOOD + "monitoring:\n  zookeeper: false\n")
    config = load_environment(tmp_path, "test")
    assert not [o for o in zookeeper.render(config) if o["kind"] == "ServiceMonitor"]


def test_bad_labels_name_file_line_and_field(tmp_path):
    problems = problems_for(tmp_path, GOOD + "monitoring:\n  labels:\n    release: 'not a value!'\n"
                                             "  dashboard_namespace: Monitoring\n")
    assert any(p.startswith("environments/test.yaml:12: monitoring.labels.release:") for p in problems), problems
    assert any(p.startswith("environments/test.yaml:13: monitoring.dashboard_namespace:") for p in problems), problems


def test_the_detector_may_get_every_object_it_compares_in_grafanas_namespace(monitored):
    """The detector GETs each declared object outside its namespace by name: its Role there must allow each."""
    _, objects = monitored
    [role] = [o for o in built(objects, "Role") if o["metadata"]["namespace"] == "monitoring"]
    plural = {"ConfigMap": ("", "configmaps"), "Role": ("rbac.authorization.k8s.io", "roles"),
              "RoleBinding": ("rbac.authorization.k8s.io", "rolebindings")}
    for obj in objects:
        if obj["metadata"].get("namespace") != "monitoring":
            continue
        group, resource = plural[obj["kind"]]
        assert any(group in rule["apiGroups"] and resource in rule["resources"] and "get" in rule["verbs"]
                   and obj["metadata"]["name"] in rule["resourceNames"] for rule in role["rules"]), obj["metadata"]["name"]
