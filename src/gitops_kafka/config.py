"""environments/<env>.yaml -> EnvironmentConfig, with every problem reported at once.

An environment file states only what differs from the shared defaults: the
built-in defaults of the models below, overlaid by `environments/defaults.yaml`
when the repository has one. Problems name the file and line that holds the
offending value (the environment file first, then the defaults file).
"""
from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from gitops_kafka import __version__
from gitops_kafka.errors import ConfigError, Problem
from gitops_kafka.quantity import format_bytes, parse_java_size, parse_quantity

DEFAULTS_NAME = "defaults"
DETECTOR_IMAGE = "ghcr.io/gitops-kafka/gitops-kafka"  # where the release workflow in the README publishes the image
ENVIRONMENTS_DIR = "environments"

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
TOPIC_NAME = re.compile(r"^[a-zA-Z0-9._-]+$")
KAFKA_PROPERTY = re.compile(r"^[a-z][a-z0-9]*([._-][a-z0-9]+)*$")
IMAGE_REF = re.compile(r"^[a-z0-9][a-z0-9._/:-]*[a-z0-9](:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$")
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
DURATION = re.compile(r"^([0-9]+(ms|s|m|h))+$")
# Prometheus' own duration syntax: units in decreasing order, each at most once.
PROMETHEUS_DURATION = re.compile(r"^(?=[0-9])(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?$")
# Path settings stay inside the repository (or the chroot): no '.' or '..' part, no leading '/'.
RELATIVE_PATH = re.compile(r"(?!\.\.?(/|\Z))[\w.-]+(/(?!\.\.?(/|\Z))[\w.-]+)*")
ZNODE_PATH = re.compile(r"(/(?!\.\.?(/|\Z))[a-zA-Z0-9._-]+)+")
HTTP_URL = re.compile(r"^https?://[^\s#]+$")
KUBE_VERSION = re.compile(r"^1\.([0-9]{2})$")
MIN_KUBE_MINOR, MAX_KUBE_MINOR = 25, 37
MAX_TOPIC_NAME = 249
HEAP_SHARE_OF_LIMIT = Decimal("0.75")  # of the memory limit: the JVM needs room beyond its heap
# The widest integers the fields' consumers hold: Java int (partitions, ZooKeeper ticks,
# Kubernetes replicas are int32) and Java short (Kafka's replication factor).
INT32_MAX, INT16_MAX = 2**31 - 1, 2**15 - 1
# Bounds on an environment file, checked before any Python object is built from it.
MAX_FILE_BYTES = 4 * 1024 * 1024  # room for 10,000 topics with overrides (tests/test_topics_job.py)
MAX_NESTING = 32
MAX_NODES = 500_000  # scalars and collections, counting every alias as the nodes it repeats
# Broker properties no environment may set, and why. The generator computes the first
# group; cp-kafka's configure script exits on the second ("port is deprecated", for
# KAFKA_PORT, KAFKA_HOST, KAFKA_ADVERTISED_PORT, KAFKA_ADVERTISED_HOST); the third
# spell KAFKA_* variables the image reads as JVM or logging options, never as properties.
GENERATED_KAFKA_PROPERTIES = frozenset({
    "broker.id", "zookeeper.connect", "advertised.listeners", "listeners", "log.dirs",
    "listener.security.protocol.map", "inter.broker.listener.name", "process.roles",
})
IMAGE_REFUSED_KAFKA_PROPERTIES = frozenset({"port", "host", "advertised.port", "advertised.host"})
IMAGE_RESERVED_KAFKA_PROPERTIES = frozenset({
    "version", "heap.opts", "opts", "log4j.opts", "jmx.opts", "jvm.performance.opts", "gc.log.opts",
    "log4j.root.loglevel", "log4j.loggers", "tools.log4j.loglevel",
})


def refused_kafka_property(name: str) -> str | None:
    """Why a broker property cannot be set from the environment file, or None when it can."""
    if name in GENERATED_KAFKA_PROPERTIES:
        return f"{name} is set by the generated manifests and cannot be overridden"
    if name in IMAGE_REFUSED_KAFKA_PROPERTIES:
        return (f"{name} is refused by the cp-kafka image (its start-up exits on KAFKA_{name.replace('.', '_').upper()}): "
                "the listeners are generated")
    if name in IMAGE_RESERVED_KAFKA_PROPERTIES:
        return (f"{name} cannot be set: the cp-kafka image reads KAFKA_{name.replace('.', '_').upper()} "
                "as its own option, not as a broker property")
    return None


# ---------------------------------------------------------------- field types

def _quantity(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError("expected a Kubernetes quantity such as 500m, 2, 512Mi or 1Gi")
    text = str(value)
    if parse_quantity(text) < 0:
        raise ValueError(f"{text!r} is negative: the API server refuses negative resource quantities")
    return text


def _java_size(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a JVM heap size such as 512m or 2g (a string)")
    parse_java_size(value)
    return value


def _matching(pattern: re.Pattern[str], what: str, max_len: int | None = None):
    def check(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"expected {what} (a string)")
        if not pattern.fullmatch(value) or (max_len and len(value) > max_len):
            limit = f", at most {max_len} characters" if max_len else ""
            raise ValueError(f"{value!r} is not {what}{limit}")
        return value
    return BeforeValidator(check)


def _kafka_value(value: Any) -> str:
    """Kafka stores every config value as a string; accept YAML scalars, keep their Kafka spelling."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        text = str(value)
        if CONTROL_CHARACTER.search(text):
            raise ValueError(f"{text!r} holds a newline or control character: a Kafka property is one line")
        return text
    raise ValueError("expected a scalar (string, number or boolean)")


def _topic_config_value(value: Any) -> str:
    """kafka-configs --add-config strips '[' and ']' and trims: such a value would arrive changed or split."""
    text = _kafka_value(value)
    if "[" in text or "]" in text:
        raise ValueError(f"{text!r} holds '[' or ']', which kafka-configs --add-config strips "
                         "(a value such as '1],cleanup.policy=[compact' would set two configs)")
    if text != text.strip():
        raise ValueError(f"{text!r} has leading or trailing whitespace, which Kafka trims")
    return text


def _regex(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected a regular expression (a string)")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    return value


def _kube_version(value: Any) -> str:
    if not isinstance(value, str) or not KUBE_VERSION.fullmatch(value):
        raise ValueError(f"{value!r} is not a Kubernetes minor version such as '1.31' (quote it: 1.30 is a number)")
    minor = int(value.split(".")[1])
    if not MIN_KUBE_MINOR <= minor <= MAX_KUBE_MINOR:
        raise ValueError(f"Kubernetes {value} is not supported: 1.{MIN_KUBE_MINOR} to 1.{MAX_KUBE_MINOR}")
    return value


def _image(value: Any) -> str:
    if not isinstance(value, str) or not IMAGE_REF.fullmatch(value):
        raise ValueError(f"{value!r} is not an image reference such as registry/name:tag")
    last = value.rsplit("/", 1)[-1]
    if "@sha256:" not in value and (":" not in last or last.endswith(":latest")):
        raise ValueError(f"{value!r} is not pinned: give a version tag or a digest, never latest")
    return value


Quantity = Annotated[str, BeforeValidator(_quantity)]
JavaSize = Annotated[str, BeforeValidator(_java_size)]
KafkaValue = Annotated[str, BeforeValidator(_kafka_value)]
TopicConfigValue = Annotated[str, BeforeValidator(_topic_config_value)]
Int32 = Annotated[int, Field(le=INT32_MAX)]
Int16 = Annotated[int, Field(le=INT16_MAX)]
Image = Annotated[str, BeforeValidator(_image)]
DnsLabel = Annotated[str, _matching(DNS1123_LABEL, "a DNS-1123 label (lower-case letters, digits and '-')", 63)]
DnsSubdomain = Annotated[str, _matching(DNS1123_SUBDOMAIN, "a DNS-1123 subdomain", 253)]
TopicName = Annotated[str, _matching(TOPIC_NAME, "a Kafka topic name (letters, digits, '.', '_' and '-')", MAX_TOPIC_NAME)]
PropertyName = Annotated[str, _matching(KAFKA_PROPERTY, "a Kafka property name such as log.retention.ms")]
Duration = Annotated[str, _matching(DURATION, "a duration such as 30s, 5m or 1h30m")]
PrometheusDuration = Annotated[str, _matching(PROMETHEUS_DURATION, "a Prometheus duration such as 0s, 30s, 15m or 1h30m (units from d to ms, largest first)")]
HttpUrl = Annotated[str, _matching(HTTP_URL, "an http(s) URL without a #fragment")]
KubeVersion = Annotated[str, BeforeValidator(_kube_version)]
Regex = Annotated[str, BeforeValidator(_regex)]


class Section(BaseModel):
    """Strict and closed: wrong types and unknown keys are errors, not silently coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)


# ---------------------------------------------------------------- sections

class ResourceList(Section):
    cpu: Quantity | None = None
    memory: Quantity | None = None


class Resources(Section):
    requests: ResourceList = ResourceList()
    limits: ResourceList = ResourceList()


class Storage(Section):
    storage_class: DnsSubdomain | None = Field(
        default=None, description="StorageClass of the data volumes; null means the cluster default")
    size: Quantity = "10Gi"


class Autopurge(Section):
    snap_retain_count: Int32 = Field(default=3, ge=3)
    purge_interval_hours: Int32 = Field(default=24, ge=0)


class ZooKeeper(Section):
    replicas: Int32 = 3
    image: Image = "zookeeper:3.8.6"
    heap: JavaSize = "512m"
    resources: Resources = Resources(
        requests=ResourceList(cpu="250m", memory="1Gi"), limits=ResourceList(cpu="1", memory="1Gi"))
    storage: Storage = Storage(size="10Gi")
    tick_time: Int32 = Field(default=2000, ge=100, description="ms")
    init_limit: Int32 = Field(default=10, ge=1, description="ticks")
    sync_limit: Int32 = Field(default=5, ge=1, description="ticks")
    max_client_cnxns: Int32 = Field(default=60, ge=0)
    autopurge: Autopurge = Autopurge()


class KafkaSettings(Section):
    """The broker settings every environment should decide; anything else goes in overrides."""

    default_replication_factor: Int16 = Field(default=3, ge=1, alias="default.replication.factor")
    min_insync_replicas: Int32 = Field(default=2, ge=1, alias="min.insync.replicas")
    offsets_topic_replication_factor: Int16 = Field(default=3, ge=1, alias="offsets.topic.replication.factor")
    transaction_state_log_replication_factor: Int16 = Field(
        default=3, ge=1, alias="transaction.state.log.replication.factor")
    transaction_state_log_min_isr: Int32 = Field(default=2, ge=1, alias="transaction.state.log.min.isr")
    num_partitions: Int32 = Field(default=3, ge=1, alias="num.partitions")
    auto_create_topics_enable: bool = Field(default=False, alias="auto.create.topics.enable")
    unclean_leader_election_enable: bool = Field(default=False, alias="unclean.leader.election.enable")
    log_retention_hours: Int32 = Field(default=168, ge=1, alias="log.retention.hours")

    def as_properties(self) -> dict[str, str]:
        """The settings as Kafka spells them: dotted names, string values."""
        return {alias: _kafka_value(getattr(self, name))
                for name, alias in ((n, f.alias) for n, f in type(self).model_fields.items())}


class Kafka(Section):
    replicas: Int32 = Field(default=3, ge=1)
    image: Image = "confluentinc/cp-kafka:7.9.5"
    heap: JavaSize = "1g"
    resources: Resources = Resources(
        requests=ResourceList(cpu="500m", memory="2Gi"), limits=ResourceList(cpu="2", memory="2Gi"))
    storage: Storage = Storage(size="50Gi")
    settings: KafkaSettings = KafkaSettings()
    overrides: dict[PropertyName, KafkaValue] = {}
    update_strategy: Literal["RollingUpdate", "OnDelete"] = "RollingUpdate"
    zookeeper_chroot: Annotated[str, _matching(ZNODE_PATH, "a znode path such as /kafka (no '.' or '..' part)")] | None = None


class KafkaManager(Section):
    enabled: bool = True
    image: Image = "hlebalbau/kafka-manager:3.0.0.5-7e7a22e"
    registration_image: Image = "curlimages/curl:8.21.0"
    heap: JavaSize = Field(default="384m", description="JVM heap; at most 75% of the memory limit")
    resources: Resources = Resources(
        requests=ResourceList(cpu="100m", memory="512Mi"), limits=ResourceList(cpu="500m", memory="768Mi"))
    kafka_version: str = Field(default="2.4.0", description="the newest Kafka version CMAK knows")
    jmx_enabled: bool = False
    poll_consumers: bool = True


class Topic(Section):
    name: TopicName
    partitions: Int32 = Field(ge=1)
    replication_factor: Int16 = Field(ge=1)
    config: dict[PropertyName, TopicConfigValue] = {}


class ArgoCD(Section):
    namespace: DnsLabel = "argocd"
    project: DnsSubdomain = "default"
    destination_server: str = "https://kubernetes.default.svc"


class Flux(Section):
    namespace: DnsLabel = "flux-system"
    interval: Duration = "5m"
    timeout: Duration = "10m"
    secret_ref: DnsSubdomain | None = Field(default=None, description="Secret with git credentials (name only)")


class Sync(Section):
    automated: bool = True
    prune: bool = True
    self_heal: bool = True


class GitOps(Section):
    tool: Literal["argocd", "flux"] = "argocd"
    repo_url: Annotated[str, _matching(re.compile(r"^(https?|ssh)://\S+$|^git@\S+:\S+$"), "a git URL")]
    revision: Annotated[str, _matching(re.compile(r"^[\w./-]+$"), "a branch, tag or commit")] = "main"
    path: Annotated[str, _matching(RELATIVE_PATH, "a path inside the repository (relative, no '.' or '..' part)")] | None = None
    sync: Sync = Sync()
    argocd: ArgoCD = ArgoCD()
    flux: Flux = Flux()


class IgnoreRule(Section):
    kind: str
    name: str = "*"
    pointer: Annotated[str, _matching(re.compile(r"^(/[^/]*)+$"), "a JSON pointer such as /spec/replicas")]


class Detector(Section):
    enabled: bool = True
    image: Image = f"{DETECTOR_IMAGE}:{__version__}"  # the release that generated it, unless an environment pins one
    resources: Resources = Resources(
        requests=ResourceList(cpu="50m", memory="128Mi"), limits=ResourceList(cpu="500m", memory="512Mi"))
    service_monitor: bool = Field(default=True, description="write a ServiceMonitor (needs the Prometheus Operator)")
    interval: Duration = "60s"
    ignore: list[IgnoreRule] = []
    topic_exclude: list[Regex] = Field(default=["^__", "^_confluent", "^_schemas$"],
                                       description="topics that exist in Kafka but are never reported as extra")
    git_credentials: DnsSubdomain | None = Field(
        default=None, description="Secret holding the GitOps repository's credentials (keys username and token "
                                  "for HTTPS, or ssh-privatekey and known_hosts for SSH); none: a public repository")


Severity = Literal["critical", "warning", "info"]


class Alert(Section):
    """One alert: how long its condition must hold before it fires, and whom it pages."""

    enabled: bool = True
    for_: PrometheusDuration = Field(alias="for")
    severity: Severity = "warning"


class ThresholdAlert(Alert):
    threshold: Int32 = Field(default=0, ge=0, description="fires when the count is above this")


class StaleAlert(Alert):
    after_intervals: Int32 = Field(default=5, ge=2, description="no successful check for this many detector intervals")


# Each alert's defaults; an environment file that sets one key of an alert keeps the others.
ALERT_DEFAULTS: dict[str, tuple[type[Alert], dict[str, Any]]] = {
    "drift": (Alert, {"for": "15m"}),
    "drift_out_of_band": (Alert, {"for": "10m"}),
    "sync_failing": (Alert, {"for": "15m", "severity": "critical"}),
    "sync_pending": (Alert, {"for": "1h"}),
    "check_failing": (Alert, {"for": "10m"}),
    "check_stale": (StaleAlert, {"for": "2m"}),
    "detector_down": (Alert, {"for": "5m"}),
    "detector_absent": (Alert, {"for": "15m"}),
    "zookeeper_quorum_lost": (Alert, {"for": "1m", "severity": "critical"}),
    "zookeeper_member_down": (Alert, {"for": "5m"}),
    "kafka_metadata_unreadable": (Alert, {"for": "10m"}),
    "broker_not_registered": (Alert, {"for": "5m"}),
    "controller_missing": (Alert, {"for": "2m", "severity": "critical"}),
    "topic_drift": (Alert, {"for": "15m"}),
    "partitions_offline": (ThresholdAlert, {"for": "1m", "severity": "critical"}),
    "partitions_under_replicated": (ThresholdAlert, {"for": "10m"}),
    "partitions_under_min_isr": (ThresholdAlert, {"for": "5m", "severity": "critical"}),
    "statefulset_rollout": (Alert, {"for": "30m"}),
}


def _alert(name: str):
    kind, values = ALERT_DEFAULTS[name]
    return Field(default_factory=lambda: kind.model_validate(values))


class Alerts(Section):
    """The PrometheusRule and Grafana dashboard written beside the drift detector; see docs/runbooks.md."""

    enabled: bool = Field(default=True, description="write the PrometheusRule (needs the Prometheus Operator)")
    dashboard: bool = Field(default=True, description="write the Grafana dashboard ConfigMap (sidecar label)")
    runbook_url: HttpUrl | None = Field(
        default=None, description="URL of docs/runbooks.md; default: the file in gitops.repo_url at gitops.revision")
    drift: Alert = _alert("drift")
    drift_out_of_band: Alert = _alert("drift_out_of_band")
    sync_failing: Alert = _alert("sync_failing")
    sync_pending: Alert = _alert("sync_pending")  # its `for` is the grace period a sync may take
    check_failing: Alert = _alert("check_failing")
    check_stale: StaleAlert = _alert("check_stale")
    detector_down: Alert = _alert("detector_down")
    detector_absent: Alert = _alert("detector_absent")
    zookeeper_quorum_lost: Alert = _alert("zookeeper_quorum_lost")
    zookeeper_member_down: Alert = _alert("zookeeper_member_down")
    kafka_metadata_unreadable: Alert = _alert("kafka_metadata_unreadable")
    broker_not_registered: Alert = _alert("broker_not_registered")
    controller_missing: Alert = _alert("controller_missing")
    topic_drift: Alert = _alert("topic_drift")
    partitions_offline: ThresholdAlert = _alert("partitions_offline")
    partitions_under_replicated: ThresholdAlert = _alert("partitions_under_replicated")
    partitions_under_min_isr: ThresholdAlert = _alert("partitions_under_min_isr")
    statefulset_rollout: Alert = _alert("statefulset_rollout")

    @model_validator(mode="before")
    @classmethod
    def _keep_alert_defaults(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: {**ALERT_DEFAULTS[key][1], **value} if key in ALERT_DEFAULTS and isinstance(value, dict) else value
                for key, value in data.items()}


LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$")


def _label_value(value: Any) -> str:
    """A label value; numbers and booleans keep their YAML spelling (grafana_dashboard: 1)."""
    text = _kafka_value(value)
    if not LABEL_VALUE.match(text):
        raise ValueError(f"{text!r} is not a Kubernetes label value (at most 63 letters, digits, '-', '_', '.')")
    return text


LabelKey = Annotated[str, _matching(LABEL_KEY, "a Kubernetes label key such as release or example.com/team")]
LabelValue = Annotated[str, BeforeValidator(_label_value)]


class Monitoring(Section):
    """How the Prometheus Operator and Grafana find what gitops-kafka writes.

    The defaults are kube-prometheus-stack's: its Prometheus selects PrometheusRules and
    ServiceMonitors labelled `release: <its release name>`, and its Grafana sidecar loads
    ConfigMaps labelled `grafana_dashboard: "1"` from Grafana's own namespace only.
    """

    labels: dict[LabelKey, LabelValue] = Field(
        default={"release": "kube-prometheus-stack"},
        description="added to the PrometheusRule and every ServiceMonitor (Prometheus' rule and monitor selectors)")
    dashboard_namespace: DnsLabel | None = Field(
        default=None, description="namespace of the dashboard ConfigMap (Grafana's); null: the environment's")
    dashboard_labels: dict[LabelKey, LabelValue] = Field(
        default={"grafana_dashboard": "1"}, description="labels the Grafana sidecar selects dashboards by")
    zookeeper: bool = Field(default=True, description="scrape ZooKeeper's Prometheus metrics port (ServiceMonitor)")


ZnodePath = Annotated[str, _matching(re.compile(r"^(/[a-zA-Z0-9._-]+)+$"), "a znode path such as /kafka")]


class AdoptedStatefulSet(Section):
    """The identities a running StatefulSet was created with: immutable, or what its data and peers depend on."""

    name: DnsSubdomain
    service: DnsLabel
    headless_service: DnsLabel = Field(description="also the StatefulSet's serviceName (immutable)")
    selector: dict[LabelKey, LabelValue] = Field(min_length=1, description="spec.selector.matchLabels (immutable)")
    claim_template: DnsLabel = Field(description="volume claim template name: PVCs are <claim>-<pod> (immutable)")
    pod_management_policy: Literal["OrderedReady", "Parallel"] = Field(description="immutable")
    ports: dict[DnsLabel, int] = Field(default={}, description="port name -> number, as the running pods serve them")


class AdoptedDeployment(Section):
    """The identities a running Kafka Manager Deployment was created with."""

    name: DnsSubdomain
    service: DnsLabel
    selector: dict[LabelKey, LabelValue] = Field(min_length=1, description="spec.selector.matchLabels (immutable)")
    port: int = Field(ge=1, le=65535, description="the HTTP port CMAK listens on")
    command: list[str] | None = Field(default=None, description="the image's start command, kept with the image")
    zookeeper_root: ZnodePath | None = Field(default=None, description="the chroot of CMAK's ZK_HOSTS")


class Adopt(Section):
    """A cluster adopted by `gitops-kafka import`: the generator keeps these identities so the first sync patches in place."""

    zookeeper: AdoptedStatefulSet | None = None
    kafka: AdoptedStatefulSet | None = None
    kafka_manager: AdoptedDeployment | None = None


class EnvironmentConfig(Section):
    name: DnsLabel = Field(description="set from the file name, not from the file")
    namespace: DnsLabel
    cluster_name: Annotated[str, _matching(DNS1123_LABEL, "a DNS-1123 label", 30)] = Field(
        default="kafka", description="prefix of every object name; short, so derived Job names stay within 63")
    cluster_domain: DnsSubdomain = "cluster.local"
    kubernetes_version: KubeVersion = "1.31"
    zookeeper: ZooKeeper = ZooKeeper()
    kafka: Kafka = Kafka()
    kafka_manager: KafkaManager = KafkaManager()
    topics: list[Topic] = []
    gitops: GitOps
    detector: Detector = Detector()
    alerts: Alerts = Alerts()
    monitoring: Monitoring = Monitoring()
    adopt: Adopt = Adopt()

    @property
    def overlay_path(self) -> str:
        return f"overlays/{self.name}"

    @property
    def zookeeper_connect(self) -> str:
        from gitops_kafka import topology

        return topology.zookeeper_connect(self)


# ---------------------------------------------------------------- YAML with positions

@dataclass
class Document:
    """A parsed YAML file that can say on which line any of its paths is written."""

    path: str
    root: Any

    def line(self, loc: tuple) -> int | None:
        """Line (1-based) of the deepest part of loc that this document holds."""
        node, line = self.root, None
        for part in loc:
            lc = getattr(node, "lc", None)
            try:
                if isinstance(part, int) and isinstance(node, list) and part < len(node):
                    line = lc.item(part)[0] + 1 if lc else line
                elif isinstance(part, str) and isinstance(node, dict) and part in node:
                    line = lc.key(part)[0] + 1 if lc else line
                else:
                    break
            except (KeyError, TypeError, AttributeError):  # pragma: no cover - ruamel keeps positions
                break
            node = node[part]
        return line

    def holds(self, loc: tuple) -> bool:
        node = self.root
        for part in loc:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return False
        return True


def read_document(path: Path, display: str, repo: Path) -> Document:
    """Parse one YAML file keeping line numbers; syntax errors and hostile files become a ConfigError.

    The file must be a regular file inside the repository, at most MAX_FILE_BYTES, and its
    structure (nesting, nodes after alias expansion) is bounded from the parser's events
    before ruamel builds a single Python object from it.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    text = _read_bounded(path, display, repo)
    try:
        _check_structure(text, display)
        root = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError([Problem(display, line, "", f"invalid YAML: {message}")]) from None
    if root is None:
        root = {}
    if not isinstance(root, dict):
        raise ConfigError([Problem(display, 1, "", "expected a mapping of settings at the top level")])
    return Document(display, root)


def _read_bounded(path: Path, display: str, repo: Path) -> str:
    """The file's text, refusing a link out of the repository, a device or FIFO, and a huge file."""
    def refuse(message: str, line: int | None = None) -> ConfigError:
        return ConfigError([Problem(display, line, "", message)])

    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise refuse("file not found") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise refuse(f"cannot read: {exc}") from None
    if not resolved.is_relative_to(repo.resolve()):
        raise refuse(f"is a symlink to {resolved}, outside the repository: environment files live in the repository")
    if not resolved.is_file():
        raise refuse("is not a regular file")
    try:
        with open(resolved, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise refuse(f"cannot read: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        line = text[:MAX_FILE_BYTES].count("\n") + 1
        raise refuse(f"larger than {MAX_FILE_BYTES // 1024} KiB: an environment file is a page of settings", line)
    return text


def _check_structure(text: str, display: str) -> None:
    """Refuse deep nesting and alias bombs from the event stream, which costs linear time and memory.

    Each anchored node's size is measured once; an alias then counts as that many nodes,
    which is how many plain() and pydantic would build from it.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    nodes = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, CollectionStartEvent):
            nodes += 1
            open_nodes.append((event.anchor, nodes))
            if len(open_nodes) > MAX_NESTING:
                raise ConfigError([Problem(display, event.start_mark.line + 1, "",
                                           f"nested more than {MAX_NESTING} levels deep")])
        elif isinstance(event, CollectionEndEvent):
            anchor, first = open_nodes.pop()
            if anchor:
                sizes[anchor] = nodes - first + 1
        elif isinstance(event, ScalarEvent):
            nodes += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            nodes += sizes.get(event.anchor, 1)
        if nodes > MAX_NODES:
            raise ConfigError([Problem(display, event.start_mark.line + 1, "",
                                       f"expands to more than {MAX_NODES} values (YAML aliases repeat what they "
                                       "name): write the settings out")])


def plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts and lists, for pydantic."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (bool, int)) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def deep_merge(base: dict, override: dict) -> dict:
    """Mappings merge key by key; lists and scalars in override replace base's."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


# ---------------------------------------------------------------- problems

def format_field(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part:
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Keys accepted at loc, for "did you mean" suggestions."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = next((f for n, f in annotation.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or n for n, f in annotation.model_fields.items() if n != "name" or annotation is not EnvironmentConfig]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def _message(error: dict, loc: tuple) -> str:
    kind = error["type"]
    if kind == "extra_forbidden" and loc[:2] == ("kafka", "settings") and refused_kafka_property(str(loc[-1])):
        return refused_kafka_property(str(loc[-1]))
    if kind == "extra_forbidden":
        known = _fields_at(EnvironmentConfig, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of: {', '.join(known)}" if known else "")
        return f"unknown key {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required but not set"
    message = error["msg"].removeprefix("Value error, ")
    if kind.endswith("_type") or kind in ("literal_error", "enum"):
        value = error.get("input")
        shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
        message = f"{message} (got {shown})"
    return message


class Locator:
    """Finds the file and line a field path comes from: the environment file, else the defaults."""

    def __init__(self, documents: list[Document]):
        self.documents = documents

    def problem(self, loc: tuple, message: str) -> Problem:
        holder = next((d for d in self.documents if d.holds(loc)), None)
        document = holder or self.documents[0]
        return Problem(document.path, document.line(loc), format_field(loc), message)


# ---------------------------------------------------------------- loading

# Stand-ins for required values that were missing or broken, so the other rules can still run.
PLACEHOLDERS: dict[str, Any] = {
    "namespace": "placeholder", "repo_url": "https://placeholder.invalid/repo.git",
    "name": "placeholder-{index}", "partitions": 1, "replication_factor": 1,
    "kind": "Placeholder", "pointer": "/placeholder",
}


def environment_names(repo: Path) -> list[str]:
    """Environments are the YAML files under environments/, except the shared defaults."""
    folder = repo / ENVIRONMENTS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml") if p.stem != DEFAULTS_NAME)


def load_environment(repo: Path, env: str) -> EnvironmentConfig:
    """Load, merge over the shared defaults, validate; raise ConfigError naming every problem."""
    if not DNS1123_LABEL.fullmatch(env) or env == DEFAULTS_NAME:
        raise ConfigError([Problem(f"{ENVIRONMENTS_DIR}/{env}.yaml", None, "",
                                   "environment names are DNS-1123 labels and 'defaults' is reserved")])
    if not (repo / ENVIRONMENTS_DIR).is_dir():
        raise ConfigError([Problem(str(repo / ENVIRONMENTS_DIR), None, "",
                                   "no such directory: --repo must name a GitOps repository")])
    documents = [read_document(repo / ENVIRONMENTS_DIR / f"{env}.yaml", f"{ENVIRONMENTS_DIR}/{env}.yaml", repo)]
    defaults = repo / ENVIRONMENTS_DIR / f"{DEFAULTS_NAME}.yaml"
    if defaults.is_symlink() or defaults.exists():
        documents.append(read_document(defaults, f"{ENVIRONMENTS_DIR}/{DEFAULTS_NAME}.yaml", repo))
    if "name" in documents[0].root:
        raise ConfigError([Locator(documents).problem(("name",), "the environment name is the file name; remove this key")])
    data = {"name": env}
    for document in reversed(documents):
        data = deep_merge(data, plain(document.root))
    return validate(data, Locator(documents))


def load_defaults(repo: Path) -> EnvironmentConfig:
    """The shared defaults alone, as an environment: what base/ is rendered from."""
    defaults = repo / ENVIRONMENTS_DIR / f"{DEFAULTS_NAME}.yaml"
    display = f"{ENVIRONMENTS_DIR}/{DEFAULTS_NAME}.yaml"
    document = read_document(defaults, display, repo) if defaults.is_symlink() or defaults.exists() else Document(display, {})
    locator = Locator([document])
    data = plain(document.root)
    if "namespace" in data:
        raise ConfigError([locator.problem(("namespace",), "the namespace belongs to each environment, not to the defaults")])
    data = {"name": "base", "namespace": "placeholder", **data}
    data.setdefault("gitops", {})
    if isinstance(data["gitops"], dict):
        data["gitops"] = {"repo_url": PLACEHOLDERS["repo_url"], **data["gitops"]}
    return validate(data, locator)


def validate(data: dict, locator: Locator) -> EnvironmentConfig:
    """Structure first, then cross-field rules, all problems reported together.

    A broken value is replaced by its default (or a placeholder when it is required)
    and validation repeats, so that the cross-field rules still run on everything
    that was well-formed; rules touching a reported field stay silent.
    """
    problems: list[Problem] = []
    reported: set[tuple] = set()
    for _ in range(10):
        try:
            config = EnvironmentConfig.model_validate(data)
            break
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                if loc not in reported:
                    problems.append(locator.problem(loc, _message(error, loc)))
                    reported.add(loc)
                    item = next((loc[:i + 1] for i, part in enumerate(loc) if isinstance(part, int)), None)
                    if item:
                        reported.add(item)
                data = _repair(data, loc, missing=error["type"] == "missing")
    else:  # pragma: no cover - every round repairs at least one value
        raise ConfigError(problems)
    for loc, message in check_rules(config):
        if not any(loc[:len(r)] == r for r in reported):
            problems.append(locator.problem(loc, message))
    if problems:
        raise ConfigError(sorted(_unique(problems), key=lambda p: (p.file, p.line or 0)))
    return config


def _repair(data: Any, loc: tuple, missing: bool) -> Any:
    """A copy of data with the value at loc removed, or set to a placeholder if required."""
    head, rest = loc[0], loc[1:]
    if not rest:
        if missing and head in PLACEHOLDERS and isinstance(data, dict):
            index = next((p for p in loc if isinstance(p, int)), 0)
            value = PLACEHOLDERS[head]
            return {**data, head: value.format(index=id(data)) if isinstance(value, str) else value}
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k != head}
        if isinstance(data, list) and isinstance(head, int) and head < len(data):
            return [*data[:head], {}, *data[head + 1:]] if missing else data
        return data
    if isinstance(data, dict) and head in data and isinstance(data[head], (dict, list)):
        return {**data, head: _repair(data[head], rest, missing)}
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        return [*data[:head], _repair(data[head], rest, missing), *data[head + 1:]]
    if isinstance(data, dict) and head in data:
        return {k: v for k, v in data.items() if k != head}
    if isinstance(data, dict) and missing and loc[-1] in PLACEHOLDERS:
        return {**data, head: _repair({}, rest, missing)}
    return data


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out


# ---------------------------------------------------------------- cross-field rules

def check_rules(config: EnvironmentConfig) -> list[tuple[tuple, str]]:
    """The rules no single field can check, each as (field path, message)."""
    return [
        *_ensemble_rules(config),
        *_replication_rules(config),
        *_topic_rules(config),
        *_memory_rules(config, "zookeeper", config.zookeeper.heap, config.zookeeper.resources),
        *_memory_rules(config, "kafka", config.kafka.heap, config.kafka.resources),
        *_memory_rules(config, "kafka_manager", config.kafka_manager.heap, config.kafka_manager.resources),
        *_request_rules("zookeeper", config.zookeeper.resources),
        *_request_rules("kafka", config.kafka.resources),
        *_request_rules("kafka_manager", config.kafka_manager.resources),
        *_request_rules("detector", config.detector.resources),
        *_override_rules(config),
    ]


def _ensemble_rules(config: EnvironmentConfig):
    replicas = config.zookeeper.replicas
    if replicas < 1 or replicas % 2 == 0:
        yield (("zookeeper", "replicas"),
               f"a ZooKeeper ensemble needs an odd number of members (1, 3, 5...), got {replicas}: "
               f"{'no ensemble at all' if replicas < 1 else f'{replicas} members survive no more failures than {replicas - 1}'}")
    if config.zookeeper.sync_limit > config.zookeeper.init_limit:
        yield (("zookeeper", "sync_limit"), "sync_limit should not exceed init_limit")


def _replication_rules(config: EnvironmentConfig):
    brokers = config.kafka.replicas
    settings = config.kafka.settings
    for name, value in settings.as_properties().items():
        if name.endswith("replication.factor") and int(value) > brokers:
            yield (("kafka", "settings", name),
                   f"{name} is {value} but the cluster has only {brokers} broker{'s' if brokers != 1 else ''}")
    if settings.min_insync_replicas > settings.default_replication_factor:
        yield (("kafka", "settings", "min.insync.replicas"),
               f"min.insync.replicas {settings.min_insync_replicas} is above default.replication.factor "
               f"{settings.default_replication_factor}: producers with acks=all could never write")
    if settings.transaction_state_log_min_isr > settings.transaction_state_log_replication_factor:
        yield (("kafka", "settings", "transaction.state.log.min.isr"),
               "transaction.state.log.min.isr is above transaction.state.log.replication.factor")


def _topic_rules(config: EnvironmentConfig):
    brokers = config.kafka.replicas
    seen: dict[str, int] = {}
    collisions: dict[str, int] = {}
    for index, topic in enumerate(config.topics):
        if topic.name in (".", ".."):
            yield (("topics", index, "name"), f"{topic.name!r} is not a valid Kafka topic name")
        if topic.name in seen:
            yield (("topics", index, "name"), f"duplicate topic {topic.name!r} (first declared at topics[{seen[topic.name]}])")
        else:
            seen[topic.name] = index
            folded = topic.name.replace(".", "_")
            if folded in collisions:
                yield (("topics", index, "name"),
                       f"{topic.name!r} collides with topics[{collisions[folded]}]: Kafka treats '.' and '_' alike in metric names")
            collisions.setdefault(folded, index)
        if topic.replication_factor > brokers:
            yield (("topics", index, "replication_factor"),
                   f"replication factor {topic.replication_factor} is above the broker count {brokers}")
        min_isr = topic.config.get("min.insync.replicas", str(config.kafka.settings.min_insync_replicas))
        if not min_isr.isdigit():
            yield (("topics", index, "config", "min.insync.replicas"), f"{min_isr!r} is not a number")
        elif int(min_isr) > topic.replication_factor:
            where = ("topics", index, "config", "min.insync.replicas") if "min.insync.replicas" in topic.config \
                else ("topics", index, "replication_factor")
            yield (where, f"min.insync.replicas {min_isr} is above the replication factor {topic.replication_factor}: "
                          "producers with acks=all could never write")


def _memory_rules(config: EnvironmentConfig, component: str, heap: str, resources: Resources):
    limit = resources.limits.memory
    if limit is None:
        yield ((component, "resources", "limits", "memory"), "a memory limit is required to size the JVM heap against")
        return
    heap_bytes, limit_bytes = parse_java_size(heap), parse_quantity(limit)
    room = int(limit_bytes * HEAP_SHARE_OF_LIMIT)
    if heap_bytes > room:
        yield ((component, "heap"),
               f"heap {heap} does not fit in the memory limit {limit}: the JVM needs room beyond the heap "
               f"(metaspace, threads, buffers); keep the heap at most {HEAP_SHARE_OF_LIMIT:.0%} of the limit ({format_bytes(room) if room % 1024 == 0 else room})")


def _request_rules(component: str, resources: Resources):
    for kind in ("cpu", "memory"):
        request, limit = getattr(resources.requests, kind), getattr(resources.limits, kind)
        if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
            yield ((component, "resources", "requests", kind), f"request {request} is above the limit {limit}")


def _override_rules(config: EnvironmentConfig):
    settings = set(config.kafka.settings.as_properties())
    for name in config.kafka.overrides:
        if refused_kafka_property(name):
            yield (("kafka", "overrides", name), refused_kafka_property(name))
        elif name in settings:
            yield (("kafka", "overrides", name), f"{name} is a first-class setting: set it under kafka.settings")
