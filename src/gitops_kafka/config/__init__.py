"""environments/<env>.yaml -> EnvironmentConfig, with every problem reported at once.

An environment file states only what differs from the shared defaults: the
built-in defaults of the models, overlaid by `environments/defaults.yaml` when the
repository has one. Problems name the file and line that holds the offending value
(the environment file first, then the defaults file).

One module per concern: `fields` (what one value may be), `model` (the sections),
`alerts` (each alert's defaults), `source` (YAML with line positions, read within
bounds), `problems` (validation errors as file:line: field: message), `loading` (merge,
validate, repair and validate again), `rules` (cross-field rules). Every public name
stays importable from `gitops_kafka.config`.
"""
from __future__ import annotations

from gitops_kafka.config.alerts import ALERT_DEFAULTS, Alert, Alerts, Severity, StaleAlert, ThresholdAlert
from gitops_kafka.config.fields import (
    CONTROL_CHARACTER, DNS1123_LABEL, DNS1123_SUBDOMAIN, DURATION, GENERATED_KAFKA_PROPERTIES, HEAP_SHARE_OF_LIMIT,
    HTTP_URL, IMAGE_REF, IMAGE_REFUSED_KAFKA_PROPERTIES, IMAGE_RESERVED_KAFKA_PROPERTIES, INT16_MAX, INT32_MAX,
    KAFKA_PROPERTY, KUBE_VERSION, LABEL_KEY, LABEL_VALUE, MAX_KUBE_MINOR, MAX_TOPIC_NAME, MIN_KUBE_MINOR,
    PROMETHEUS_DURATION, RELATIVE_PATH, TOPIC_NAME, ZNODE_PATH, DnsLabel, DnsSubdomain, Duration, HttpUrl, Image,
    Int16, Int32, JavaSize, KafkaValue, KubeVersion, LabelKey, LabelValue, PrometheusDuration, PropertyName, Quantity,
    Regex, Section, TopicConfigValue, TopicName, config_argument, refused_kafka_property)
from gitops_kafka.config.loading import (
    DEFAULTS_NAME, ENVIRONMENTS_DIR, PLACEHOLDERS, environment_names, load_defaults, load_environment, validate)
from gitops_kafka.config.model import (
    DETECTOR_IMAGE, Adopt, AdoptedDeployment, AdoptedStatefulSet, ArgoCD, Autopurge, Detector, EnvironmentConfig, Flux, GitOps, IgnoreRule, Kafka, KafkaManager,
    KafkaSettings, Monitoring, ResourceList, Resources, Storage, Sync, Topic, ZnodePath, ZooKeeper)
from gitops_kafka.config.problems import Locator, format_field
from gitops_kafka.config.rules import check_rules
from gitops_kafka.config.source import MAX_FILE_BYTES, MAX_NESTING, MAX_NODES, Document, deep_merge, plain, read_document

__all__ = [
    "ALERT_DEFAULTS", "Alert", "Alerts", "Severity", "StaleAlert", "ThresholdAlert",
    "CONTROL_CHARACTER", "DNS1123_LABEL", "DNS1123_SUBDOMAIN", "DURATION", "GENERATED_KAFKA_PROPERTIES",
    "HEAP_SHARE_OF_LIMIT", "HTTP_URL", "IMAGE_REF", "IMAGE_REFUSED_KAFKA_PROPERTIES", "IMAGE_RESERVED_KAFKA_PROPERTIES",
    "INT16_MAX", "INT32_MAX", "KAFKA_PROPERTY", "KUBE_VERSION", "LABEL_KEY", "LABEL_VALUE", "MAX_KUBE_MINOR",
    "MAX_TOPIC_NAME", "MIN_KUBE_MINOR", "PROMETHEUS_DURATION", "RELATIVE_PATH", "TOPIC_NAME", "ZNODE_PATH",
    "DnsLabel", "DnsSubdomain", "Duration", "HttpUrl", "Image", "Int16", "Int32", "JavaSize", "KafkaValue",
    "KubeVersion", "LabelKey", "LabelValue", "PrometheusDuration", "PropertyName", "Quantity", "Regex", "Section",
    "TopicConfigValue", "TopicName", "config_argument", "refused_kafka_property",
    "DEFAULTS_NAME", "ENVIRONMENTS_DIR", "PLACEHOLDERS", "environment_names", "load_defaults", "load_environment",
    "validate",
    "DETECTOR_IMAGE", "Adopt", "AdoptedDeployment", "AdoptedStatefulSet", "ArgoCD", "Autopurge", "Detector", "EnvironmentConfig", "Flux", "GitOps", "IgnoreRule", "Kafka",
    "KafkaManager", "KafkaSettings", "Monitoring", "ResourceList", "Resources", "Storage", "Sync", "Topic", "ZnodePath", "ZooKeeper",
    "Locator", "format_field", "check_rules",
    "MAX_FILE_BYTES", "MAX_NESTING", "MAX_NODES", "Document", "deep_merge", "plain", "read_document",
]
