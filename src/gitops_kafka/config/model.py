"""EnvironmentConfig: the validated settings of one environment, section by section."""
from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field

from gitops_kafka import __version__
from gitops_kafka.config.alerts import Alerts
from gitops_kafka.config.fields import (
    DNS1123_LABEL, RELATIVE_PATH, ZNODE_PATH, DnsLabel, DnsSubdomain, Duration, Image, Int16, Int32, JavaSize,
    KafkaValue, KubeVersion, LabelKey, LabelValue, PropertyName, Quantity, Regex, Section, TopicConfigValue,
    TopicName, _kafka_value, _matching)

DETECTOR_IMAGE = "ghcr.io/gitops-kafka/gitops-kafka"  # where the release workflow in the README publishes the image


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

