"""Alerts and a dashboard over the drift detector's metrics: a PrometheusRule and a Grafana ConfigMap.

Every expression selects the environment's own series (`environment="<env>"`,
and for `up` the job and namespace the ServiceMonitor's scrape gives the
detector), so several environments can share one Prometheus and each keeps
its own thresholds. Each alert links to its section of docs/runbooks.md.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from gitops_kafka.config import Alert, EnvironmentConfig
from gitops_kafka.quantity import parse_duration
from gitops_kafka.render import common, detector

NAME = "alerts"
COMPONENT = "monitoring"
RUNBOOKS_PATH = "docs/runbooks.md"
DASHBOARD_UID = "gitops-kafka-drift"
KNOWN_CAUSES = "pending-sync|out-of-band|sync-failing"


@dataclass(frozen=True)
class Rule:
    """One alert as written in the rule file; `setting` is its key under `alerts:` in the environment file."""

    setting: str
    alert: str
    group: str
    expr: str
    summary: str
    description: str


def worst(env: str, metric: str, *labels: str, where: str = "") -> str:
    """A detector gauge at its highest per environment (and labels): `max by (environment, ...) (metric{env, where})`."""
    selector = f"{env}, {where}" if where else env
    return f"max by ({', '.join(('environment', *labels))}) ({metric}{{{selector}}})"


def caused(env: str, cause: str) -> str:
    """Some object or topic drifts with this cause: the count of `gitops_kafka_drift_cause` series at 1."""
    return f'count by (environment) (gitops_kafka_drift_cause{{{env}, cause="{cause}"}} == 1) > 0'


def rules(config: EnvironmentConfig) -> list[Rule]:
    """Every alert this environment can raise, in runbook order (disabled ones included)."""
    env = f'environment="{config.name}"'
    up = f'up{{job="{detector.base_name(config)}", namespace="{config.namespace}"}}'
    alerts = config.alerts
    stale_after = int(alerts.check_stale.after_intervals * parse_duration(config.detector.interval))
    # A drift whose cause is known has its own alert below; GitopsKafkaObjectDrift keeps the rest (cause unknown).
    explained = f'gitops_kafka_drift_cause{{{env}, cause=~"{KNOWN_CAUSES}"}}'
    return [
        Rule("drift", "GitopsKafkaObjectDrift", "drift",
             worst(env, "gitops_kafka_object_drift", "kind", "name", "state", where='state=~"modified|missing|extra"')
             + f" == 1 unless on (environment, kind, name) {explained}",
             "{{ $labels.kind }}/{{ $labels.name }} is {{ $labels.state }} in {{ $labels.environment }}",
             "The live {{ $labels.kind }} {{ $labels.name }} differs from git ({{ $labels.state }}) and has for "
             "longer than a sync should take, and the sync controller's status cannot tell why."),
        Rule("drift_out_of_band", "GitopsKafkaDriftOutOfBand", "drift",
             worst(env, "gitops_kafka_drift_cause", "kind", "name", where='cause="out-of-band"') + " == 1",
             "{{ $labels.kind }}/{{ $labels.name }} was changed outside git in {{ $labels.environment }}",
             "The sync controller applied the revision git is at, yet the live {{ $labels.kind }} {{ $labels.name }} "
             "differs: someone changed it by hand (`check` names the manager and time). Sync to revert it, or "
             "codify it to keep it."),
        Rule("sync_failing", "GitopsKafkaSyncFailing", "drift",
             caused(env, "sync-failing"),
             "The sync of {{ $labels.environment }} is failing ({{ $value }} objects or topics not applied)",
             "Argo CD or Flux tried to apply git and failed; `check` shows the controller's message. Git and the "
             "cluster stay apart until the cause is fixed."),
        Rule("sync_pending", "GitopsKafkaSyncPending", "drift",
             caused(env, "pending-sync"),
             "{{ $value }} changes in git have waited long for a sync in {{ $labels.environment }}",
             "Git is ahead of what the sync controller applied, for longer than the grace period: the controller "
             "is stuck, suspended, or automated sync is off."),
        Rule("check_failing", "GitopsKafkaCheckFailing", "detector",
             worst(env, "gitops_kafka_check_success") + " == 0",
             "Drift checks are failing in {{ $labels.environment }}",
             "The drift detector's latest check did not complete; gitops_kafka_check_errors_total tells which source "
             "(git, config, kustomize, kubernetes, zookeeper) failed. Drift is not being detected meanwhile."),
        Rule("check_stale", "GitopsKafkaCheckStale", "detector",
             "time() - " + worst(env, "gitops_kafka_check_last_success_timestamp_seconds") + f" > {stale_after}",
             "No successful drift check in {{ $labels.environment }} for {{ $value }}s",
             f"The last successful check started more than {alerts.check_stale.after_intervals} detector intervals "
             f"({stale_after}s) ago: the reported drift state is out of date."),
        Rule("detector_down", "GitopsKafkaDetectorDown", "detector",
             f"max by (job, namespace) ({up}) == 0",
             "Prometheus cannot scrape the drift detector in {{ $labels.namespace }}",
             "The drift detector's /metrics endpoint does not answer: nothing about drift, ZooKeeper or Kafka "
             "is known until it does."),
        Rule("detector_absent", "GitopsKafkaDetectorAbsent", "detector",
             f"absent({up})",
             "The drift detector of {{ $labels.namespace }} is not scraped at all",
             "Prometheus has no target for the drift detector: the Deployment, its Service or the ServiceMonitor "
             "is missing, or Prometheus does not select that ServiceMonitor."),
        Rule("zookeeper_quorum_lost", "GitopsKafkaZooKeeperQuorumLost", "zookeeper",
             worst(env, "gitops_kafka_zookeeper_quorum") + " == 0",
             "ZooKeeper has no quorum in {{ $labels.environment }}",
             "Fewer than a majority of the ensemble members serve, or no single leader is elected: Kafka cannot "
             "change metadata (no leader elections, no topic changes) until quorum is back."),
        Rule("zookeeper_member_down", "GitopsKafkaZooKeeperMemberDown", "zookeeper",
             worst(env, "gitops_kafka_zookeeper_member_up", "member") + " == 0",
             "ZooKeeper member {{ $labels.member }} is down in {{ $labels.environment }}",
             "The member does not answer four-letter words; the ensemble survives fewer further failures."),
        Rule("kafka_metadata_unreadable", "GitopsKafkaMetadataUnreadable", "kafka",
             worst(env, "gitops_kafka_kafka_metadata_readable") + " == 0",
             "Kafka's metadata cannot be read from ZooKeeper in {{ $labels.environment }}",
             "The detector cannot read the brokers, topics and partitions under the chroot: broker, topic and "
             "partition alerts are blind meanwhile."),
        Rule("broker_not_registered", "GitopsKafkaBrokerNotRegistered", "kafka",
             worst(env, "gitops_kafka_kafka_broker_registered", "broker_id") + " == 0",
             "Kafka broker {{ $labels.broker_id }} is not registered in {{ $labels.environment }}",
             "The broker the environment declares has no /brokers/ids registration: its process is down or has "
             "lost its ZooKeeper session. Its partitions are served by the other replicas, if any."),
        Rule("controller_missing", "GitopsKafkaControllerMissing", "kafka",
             worst(env, "gitops_kafka_kafka_controller_elected") + " == 0",
             "No Kafka controller is elected in {{ $labels.environment }}",
             "/controller is empty: no partition leader elections or topic changes happen until a broker wins it."),
        Rule("topic_drift", "GitopsKafkaTopicDrift", "kafka",
             worst(env, "gitops_kafka_topic_drift", "topic", "kind") + " == 1 unless on (environment, topic) "
             f'label_replace({explained[:-1]}, kind="Topic"}}, "topic", "$1", "name", "(.*)")',
             "Topic {{ $labels.topic }} differs from git ({{ $labels.kind }}) in {{ $labels.environment }}",
             "The topic's partitions, replication factor or configuration differ from the environment file, the "
             "topic is missing, or it exists without being declared."),
        Rule("partitions_offline", "GitopsKafkaPartitionsOffline", "kafka",
             worst(env, "gitops_kafka_partitions_offline") + f" > {alerts.partitions_offline.threshold}",
             "{{ $value }} Kafka partitions have no leader in {{ $labels.environment }}",
             "Partitions without a leader can be neither written nor read."),
        Rule("partitions_under_replicated", "GitopsKafkaPartitionsUnderReplicated", "kafka",
             worst(env, "gitops_kafka_partitions_under_replicated") + f" > {alerts.partitions_under_replicated.threshold}",
             "{{ $value }} Kafka partitions are under-replicated in {{ $labels.environment }}",
             "Some replicas are out of the in-sync set: one more broker failure may make partitions unavailable."),
        Rule("partitions_under_min_isr", "GitopsKafkaPartitionsUnderMinIsr", "kafka",
             worst(env, "gitops_kafka_partitions_under_min_isr") + f" > {alerts.partitions_under_min_isr.threshold}",
             "{{ $value }} Kafka partitions are under min.insync.replicas in {{ $labels.environment }}",
             "Producers with acks=all get NotEnoughReplicas errors on these partitions: writes are failing."),
        Rule("statefulset_rollout", "GitopsKafkaStatefulSetRolloutStuck", "kubernetes",
             worst(env, "gitops_kafka_object_health", "kind", "name", "status",
                   where='kind="StatefulSet", status=~"progressing|degraded"') + " == 1",
             "StatefulSet {{ $labels.name }} has been {{ $labels.status }} for long in {{ $labels.environment }}",
             "The StatefulSet's pods are not all updated and ready: a rollout is waiting on a pod that does not "
             "become ready, or a claim that does not bind."),
    ]


def runbook_base(config: EnvironmentConfig) -> str:
    """alerts.runbook_url, else docs/runbooks.md in the GitOps repository at its revision (GitHub-style URL)."""
    if config.alerts.runbook_url:
        return config.alerts.runbook_url
    url = config.gitops.repo_url.removesuffix(".git")
    url = re.sub(r"^git@([^:]+):", r"https://\1/", url)
    url = re.sub(r"^ssh://(?:[^@/]+@)?([^/:]+)(?::\d+)?/", r"https://\1/", url)
    return f"{url}/blob/{config.gitops.revision}/{RUNBOOKS_PATH}"


def anchor(alert: str) -> str:
    """The section anchor of an alert in docs/runbooks.md (its heading is the alert name)."""
    return alert.lower()


def prometheus_rule(config: EnvironmentConfig) -> dict[str, Any]:
    base = runbook_base(config)
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in rules(config):
        setting: Alert = getattr(config.alerts, rule.setting)
        if not setting.enabled:
            continue
        groups.setdefault(rule.group, []).append({
            "alert": rule.alert,
            "expr": rule.expr,
            "for": setting.for_,
            "labels": {"severity": setting.severity},
            "annotations": {"summary": rule.summary, "description": rule.description,
                            "runbook_url": f"{base}#{anchor(rule.alert)}"},
        })
    name = f"{config.cluster_name}-{NAME}"
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": common.metadata(name, {**common.labels(config, NAME, COMPONENT), **config.monitoring.labels}),
        "spec": {"groups": [{"name": f"gitops-kafka.{group}", "rules": items} for group, items in groups.items()]},
    }


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """Nothing without the drift detector: every alert and panel reads its metrics."""
    if not config.detector.enabled:
        return []
    objects = []
    if config.alerts.enabled:
        objects.append(prometheus_rule(config))
    if config.alerts.dashboard:
        objects.append(dashboard_config_map(config))
        objects.extend(dashboard_access(config))
    return objects


def dashboard_access(config: EnvironmentConfig) -> list[dict[str, Any]]:
    """In Grafana's namespace, the drift detector's right to read what it compares with git there:
    the dashboard, and this Role and RoleBinding themselves, each by name."""
    namespace = config.monitoring.dashboard_namespace
    if not namespace:
        return []
    name = f"gitops-kafka-{config.namespace}-dashboard"
    labels = common.labels(config, "dashboard", COMPONENT)
    return [
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
         "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
         "rules": [{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": [dashboard_name(config)],
                    "verbs": ["get"]},
                   {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles", "rolebindings"],
                    "resourceNames": [name], "verbs": ["get"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
         "metadata": {"name": name, "namespace": namespace, "labels": dict(labels)},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
         "subjects": [{"kind": "ServiceAccount", "name": detector.base_name(config), "namespace": config.namespace}]},
    ]


# ---------------------------------------------------------------- dashboard

def panels() -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(title, panel type, [(query, legend)]) of each panel; queries select `$environment`."""
    env = 'environment="$environment"'
    return [
        ("Objects by drift state", "timeseries", [(f"sum by (state) (gitops_kafka_objects{{{env}}})", "{{state}}")]),
        ("Drift over time, by object", "timeseries", [
            (f'max by (kind, name, state) (gitops_kafka_object_drift{{{env}, state!="in_sync"}})',
             "{{kind}}/{{name}} {{state}}")]),
        ("Fields differing from git, by object", "timeseries", [
            (f"max by (kind, name) (gitops_kafka_object_drifted_fields{{{env}}}) > 0", "{{kind}}/{{name}}")]),
        ("StatefulSet health", "timeseries", [
            (f'max by (name, status) (gitops_kafka_object_health{{{env}, kind="StatefulSet"}}) == 1',
             "{{name}} {{status}}")]),
        ("ZooKeeper ensemble", "timeseries", [
            (f"max(gitops_kafka_zookeeper_members_declared{{{env}}})", "declared"),
            (f"max(gitops_kafka_zookeeper_members_serving{{{env}}})", "serving"),
            (f"max(gitops_kafka_zookeeper_leaders{{{env}}})", "leaders"),
            (f"max(gitops_kafka_zookeeper_quorum{{{env}}})", "quorum")]),
        ("ZooKeeper members up", "timeseries", [
            (f"max by (member) (gitops_kafka_zookeeper_member_up{{{env}}})", "{{member}}")]),
        ("Kafka brokers registered", "timeseries", [
            (f"max by (broker_id) (gitops_kafka_kafka_broker_registered{{{env}}})", "broker {{broker_id}}"),
            (f"max(gitops_kafka_kafka_controller_elected{{{env}}})", "controller elected"),
            (f"max(gitops_kafka_kafka_metadata_readable{{{env}}})", "metadata readable")]),
        ("Topic drift", "timeseries", [
            (f"max by (topic, kind) (gitops_kafka_topic_drift{{{env}}})", "{{topic}} {{kind}}"),
            (f"max(gitops_kafka_topics_drifted{{{env}}})", "topics drifted")]),
        ("Partitions", "timeseries", [
            (f"max(gitops_kafka_partitions_offline{{{env}}})", "offline"),
            (f"max(gitops_kafka_partitions_under_replicated{{{env}}})", "under-replicated"),
            (f"max(gitops_kafka_partitions_under_min_isr{{{env}}})", "under min ISR")]),
        ("Check duration", "timeseries", [
            (f"max(gitops_kafka_check_duration_seconds{{{env}}})", "duration (s)")]),
        ("Check failures", "timeseries", [
            (f"sum by (source) (increase(gitops_kafka_check_errors_total{{{env}}}[1h]))", "{{source}} (1h)"),
            (f"sum(increase(gitops_kafka_checks_total{{{env}}}[1h]))", "checks run (1h)"),
            (f"1 - max(gitops_kafka_check_success{{{env}}})", "latest check failed"),
            (f"max(gitops_kafka_report_stale{{{env}}})", "report stale")]),
        ("Time since the last successful check", "stat", [
            (f"time() - max(gitops_kafka_check_last_success_timestamp_seconds{{{env}}})", "seconds")]),
    ]


def dashboard() -> dict[str, Any]:
    """A Grafana dashboard (schema 39) with an `environment` variable: one dashboard for every environment.

    Its content does not depend on the environment, so each environment's
    ConfigMap carries the same file and the sidecar writes the same bytes
    whichever namespace it reads it from; overlays need no patch for it.
    """
    items = []
    for index, (title, kind, queries) in enumerate(panels()):
        items.append({
            "id": index + 1,
            "type": kind,
            "title": title,
            "datasource": {"type": "prometheus", "uid": "${datasource}"},
            "gridPos": {"h": 8, "w": 12, "x": 12 * (index % 2), "y": 8 * (index // 2)},
            "targets": [{"refId": chr(ord("A") + n), "expr": expr, "legendFormat": legend,
                         "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                        for n, (expr, legend) in enumerate(queries)],
        })
    return {
        "uid": DASHBOARD_UID,
        "title": "Kafka GitOps drift",
        "tags": ["gitops-kafka", "kafka", "zookeeper"],
        "schemaVersion": 39,
        "editable": False,
        "refresh": "1m",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Prometheus"},
            {"name": "environment", "type": "query", "label": "Environment",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(gitops_kafka_checks_total, environment)", "refId": "environment"},
             "refresh": 2},
        ]},
        "panels": items,
    }


def dashboard_config_map(config: EnvironmentConfig) -> dict[str, Any]:
    """The dashboard as the Grafana sidecar finds it: its labels (grafana_dashboard=1 by default), one
    JSON file, in Grafana's namespace when `monitoring.dashboard_namespace` names it."""
    labels = {**common.labels(config, "dashboard", COMPONENT), **config.monitoring.dashboard_labels}
    text = json.dumps(dashboard(), indent=2, sort_keys=True) + "\n"
    metadata = common.metadata(dashboard_name(config), labels)
    if config.monitoring.dashboard_namespace:
        metadata = {"name": metadata["name"], "namespace": config.monitoring.dashboard_namespace,
                    "labels": metadata["labels"]}
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": {f"{DASHBOARD_UID}.json": text}}


def dashboard_name(config: EnvironmentConfig) -> str:
    """Unique per environment: several environments may write their dashboard into Grafana's one namespace."""
    if config.monitoring.dashboard_namespace:
        return f"{config.cluster_name}-{config.name}-dashboard"
    return f"{config.cluster_name}-dashboard"
