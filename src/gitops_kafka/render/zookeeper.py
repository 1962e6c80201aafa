"""The ZooKeeper ensemble: scripts, Services, PodDisruptionBudget and StatefulSet.

Fixed against the seed: `myid` is written, not appended, and `zoo.cfg` is written
whole on every start; one data volume (the claim), not two; `policy/v1`; readiness
means "serving in a quorum" (`srvr` reports a Mode) while liveness means only
"the process answers" (`ruok`), so losing quorum never restarts the whole ensemble;
pods start in parallel, since with a meaningful readiness an ordered start could
never form a quorum; only the four-letter words the probes and the drift detector
use are allowed, not `*`.
"""
from __future__ import annotations

from typing import Any

from gitops_kafka.config import EnvironmentConfig
from gitops_kafka.render import common

NAME = "zookeeper"
COMPONENT = "coordination"
CLIENT_PORT, SERVER_PORT, ELECTION_PORT, METRICS_PORT = 2181, 2888, 3888, 7000
FOUR_LETTER_WORDS = "srvr,mntr,ruok,conf,isro"
DATA_DIR = "/data"
CONF_DIR = "/conf"
SCRIPTS_DIR = "/scripts"

RUN = """#!/usr/bin/env bash
# Starts one ensemble member: its id comes from the pod ordinal (POD_NAME), its peers from
# ZK_REPLICAS and the headless Service. Every file is written whole, never appended,
# so a restart finds exactly one id and one server list.
set -euo pipefail

host="${POD_NAME:-$(hostname -s)}"
if [[ ! "$host" =~ ^(.+)-([0-9]+)$ ]]; then
  echo "cannot derive the ensemble id from the pod name '$host'" >&2
  exit 1
fi
name="${BASH_REMATCH[1]}"
my_id=$((BASH_REMATCH[2] + 1))
domain="${ZK_HEADLESS_SERVICE}.${POD_NAMESPACE}.svc.${CLUSTER_DOMAIN}"

mkdir -p "$ZK_DATA_DIR/log" "$ZOOCFGDIR"
echo "$my_id" > "$ZK_DATA_DIR/myid"
cp "$SCRIPTS_DIR/logback.xml" "$ZOOCFGDIR/logback.xml"
{
  echo "dataDir=$ZK_DATA_DIR"
  echo "dataLogDir=$ZK_DATA_DIR/log"
  echo "clientPort=$ZK_CLIENT_PORT"
  echo "tickTime=$ZK_TICK_TIME"
  echo "initLimit=$ZK_INIT_LIMIT"
  echo "syncLimit=$ZK_SYNC_LIMIT"
  echo "maxClientCnxns=$ZK_MAX_CLIENT_CNXNS"
  echo "autopurge.snapRetainCount=$ZK_SNAP_RETAIN_COUNT"
  echo "autopurge.purgeInterval=$ZK_PURGE_INTERVAL"
  echo "4lw.commands.whitelist=$ZK_4LW_COMMANDS"
  echo "admin.enableServer=false"
  echo "quorumListenOnAllIPs=true"
  echo "reconfigEnabled=false"
  echo "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider"
  echo "metricsProvider.httpPort=$ZK_METRICS_PORT"
  for ((i = 1; i <= ZK_REPLICAS; i++)); do
    echo "server.$i=$name-$((i - 1)).$domain:$ZK_SERVER_PORT:$ZK_ELECTION_PORT"
  done
} > "$ZOOCFGDIR/zoo.cfg"

exec zkServer.sh start-foreground "$ZOOCFGDIR/zoo.cfg"
"""

READY = """#!/usr/bin/env bash
# Ready means serving: `srvr` reports a Mode only inside a quorum (or standalone).
exec 3<>"/dev/tcp/127.0.0.1/${ZK_CLIENT_PORT:-2181}"
printf srvr >&3
grep -qE '^Mode: (leader|follower|observer|standalone)' <&3
"""

LIVE = """#!/usr/bin/env bash
# Alive means the process answers; quorum loss must not restart every member.
exec 3<>"/dev/tcp/127.0.0.1/${ZK_CLIENT_PORT:-2181}"
printf ruok >&3
grep -q imok <&3
"""

LOGBACK = """<configuration>
  <appender name="CONSOLE" class="ch.qos.logback.core.ConsoleAppender">
    <encoder>
      <pattern>%d{ISO8601} [myid:%X{myid}] - %-5p [%t:%C{1}@%L] - %m%n</pattern>
    </encoder>
  </appender>
  <root level="INFO">
    <appender-ref ref="CONSOLE"/>
  </root>
</configuration>
"""


def base_name(config: EnvironmentConfig) -> str:
    """The StatefulSet's name (and the prefix of the objects only the generator owns)."""
    kept = config.adopt.zookeeper
    return kept.name if kept else f"{config.cluster_name}-{NAME}"


def service_name(config: EnvironmentConfig) -> str:
    """The client Service: what Kafka's zookeeper.connect and CMAK's ZK_HOSTS name."""
    kept = config.adopt.zookeeper
    return kept.service if kept else base_name(config)


def headless_name(config: EnvironmentConfig) -> str:
    kept = config.adopt.zookeeper
    return kept.headless_service if kept else f"{base_name(config)}-headless"


def render(config: EnvironmentConfig) -> list[dict[str, Any]]:
    scripts = scripts_config_map(config)
    return [
        common.pdb(config, base_name(config), NAME, COMPONENT),
        scripts,
        common.service(config, service_name(config), NAME, COMPONENT,
                       [{"name": "client", "port": CLIENT_PORT, "targetPort": "client"}]),
        common.service(config, headless_name(config), NAME, COMPONENT, [
            {"name": "client", "port": CLIENT_PORT, "targetPort": "client"},
            {"name": "server", "port": SERVER_PORT, "targetPort": "server"},
            {"name": "election", "port": ELECTION_PORT, "targetPort": "election"},
            {"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics"},
        ], headless=True),
        stateful_set(config, common.content_hash(scripts["data"])),
        *([service_monitor(config)] if config.monitoring.zookeeper else []),
    ]


def service_monitor(config: EnvironmentConfig) -> dict[str, Any]:
    """Scrapes every member's metrics port. Only the headless Service names that port, and it lists
    members that are not ready too: a member outside the quorum is the one whose metrics matter."""
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": common.metadata(base_name(config),
                                    {**common.labels(config, NAME, COMPONENT), **config.monitoring.labels}),
        "spec": {"selector": {"matchLabels": common.selector_labels(config, NAME)},
                 "endpoints": [{"port": "metrics", "path": "/metrics", "interval": "30s"}]},
    }


def scripts_config_map(config: EnvironmentConfig) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": common.metadata(f"{base_name(config)}-scripts", common.labels(config, NAME, COMPONENT)),
        "data": {"live": LIVE, "logback.xml": LOGBACK, "ready": READY, "run": RUN},
    }


def stateful_set(config: EnvironmentConfig, scripts_hash: str) -> dict[str, Any]:
    zk = config.zookeeper
    selector = common.selector_labels(config, NAME)
    container = {
        "name": NAME,
        "image": zk.image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["bash", f"{SCRIPTS_DIR}/run"],
        "ports": [
            {"name": "client", "containerPort": CLIENT_PORT, "protocol": "TCP"},
            {"name": "server", "containerPort": SERVER_PORT, "protocol": "TCP"},
            {"name": "election", "containerPort": ELECTION_PORT, "protocol": "TCP"},
            {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"},
        ],
        "env": [
            common.env("ZK_REPLICAS", zk.replicas),
            common.env("SERVER_JVMFLAGS", f"-Xms{zk.heap} -Xmx{zk.heap}"),
            common.env("ZK_TICK_TIME", zk.tick_time),
            common.env("ZK_INIT_LIMIT", zk.init_limit),
            common.env("ZK_SYNC_LIMIT", zk.sync_limit),
            common.env("ZK_MAX_CLIENT_CNXNS", zk.max_client_cnxns),
            common.env("ZK_SNAP_RETAIN_COUNT", zk.autopurge.snap_retain_count),
            common.env("ZK_PURGE_INTERVAL", zk.autopurge.purge_interval_hours),
            common.env("ZK_4LW_COMMANDS", FOUR_LETTER_WORDS),
            common.env("ZK_CLIENT_PORT", CLIENT_PORT),
            common.env("ZK_SERVER_PORT", SERVER_PORT),
            common.env("ZK_ELECTION_PORT", ELECTION_PORT),
            common.env("ZK_METRICS_PORT", METRICS_PORT),
            common.env("ZK_DATA_DIR", DATA_DIR),
            common.env("ZOOCFGDIR", CONF_DIR),
            common.env("ZOO_LOG_DIR", "/logs"),
            common.env("SCRIPTS_DIR", SCRIPTS_DIR),
            common.env("ZK_HEADLESS_SERVICE", headless_name(config)),
            common.env("CLUSTER_DOMAIN", config.cluster_domain),
            common.field_env("POD_NAME", "metadata.name"),
            common.field_env("POD_NAMESPACE", "metadata.namespace"),
        ],
        "resources": common.resources(zk.resources),
        "startupProbe": common.exec_probe(["bash", f"{SCRIPTS_DIR}/live"], period=5, failures=24),
        "livenessProbe": common.exec_probe(["bash", f"{SCRIPTS_DIR}/live"], period=15, failures=4),
        "readinessProbe": common.exec_probe(["bash", f"{SCRIPTS_DIR}/ready"], period=10, failures=3),
        "securityContext": common.container_security_context(read_only_root=True),
        "volumeMounts": [
            {"name": common.claim_name(config, NAME), "mountPath": DATA_DIR},
            {"name": "conf", "mountPath": CONF_DIR},
            {"name": "logs", "mountPath": "/logs"},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "scripts", "mountPath": SCRIPTS_DIR, "readOnly": True},
        ],
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": common.metadata(base_name(config), common.labels(config, NAME, COMPONENT)),
        "spec": {
            "serviceName": headless_name(config),
            "replicas": zk.replicas,
            "podManagementPolicy": common.pod_management(config, NAME),
            "updateStrategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {
                    "labels": common.labels(config, NAME, COMPONENT),
                    "annotations": {common.CONFIG_HASH_ANNOTATION: scripts_hash},
                },
                "spec": {
                    "enableServiceLinks": False,
                    "terminationGracePeriodSeconds": 60,
                    "securityContext": common.pod_security_context(),
                    "topologySpreadConstraints": common.spread(selector),
                    "containers": [container],
                    "volumes": [
                        {"name": "scripts", "configMap": {"name": f"{base_name(config)}-scripts", "defaultMode": 0o555}},
                        {"name": "conf", "emptyDir": {}},
                        {"name": "logs", "emptyDir": {}},
                        {"name": "tmp", "emptyDir": {}},
                    ],
                },
            },
            "volumeClaimTemplates": [common.volume_claim(common.claim_name(config, NAME), zk.storage.storage_class, zk.storage.size)],
        },
    }
