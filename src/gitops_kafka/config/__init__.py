"""environments/<env>.yaml -> EnvironmentConfig, with every problem reported at once.

An environment file states only what differs from the shared defaults: the
built-in defaults of the models, overlaid by `environments/defaults.yaml` when the
repository has one. Problems name the file and line that holds the offending value
(the environment file first, then the defaults file).

One module per concern: `fields` (what one value may be), `model` (the sections),
`alerts` (each alert's defaults), `source` (YAML with line positions, read within
bounds), `problems` (validation errors as file:line: field: message), `loading` (merge,
validate, repair and validate again), `rules` (cross-field rules). Every public name
stays importable from `gitops_kafka.config`, imported on first use: `files` (where the
environment files are) costs nothing, the rest imports pydantic.
"""
from __future__ import annotations

import importlib
from typing import Any

# Each module's public names, imported when one of them is first asked for (PEP 562).
_MODULES = {
    "alerts": ("ALERT_DEFAULTS", "Alert", "Alerts", "Severity", "StaleAlert", "ThresholdAlert"),
    "fields": (
        "CONTROL_CHARACTER", "DNS1123_LABEL", "DNS1123_SUBDOMAIN", "DURATION", "GENERATED_KAFKA_PROPERTIES",
        "HEAP_SHARE_OF_LIMIT", "HTTP_URL", "IMAGE_REF", "IMAGE_REFUSED_KAFKA_PROPERTIES",
        "IMAGE_RESERVED_KAFKA_PROPERTIES", "INT16_MAX", "INT32_MAX", "KAFKA_PROPERTY", "KUBE_VERSION", "LABEL_KEY",
        "LABEL_VALUE", "MAX_KUBE_MINOR", "MAX_TOPIC_NAME", "MIN_KUBE_MINOR", "PROMETHEUS_DURATION", "RELATIVE_PATH",
        "TOPIC_NAME", "ZNODE_PATH", "DnsLabel", "DnsSubdomain", "Duration", "HttpUrl", "Image", "Int16", "Int32",
        "JavaSize", "KafkaValue", "KubeVersion", "LabelKey", "LabelValue", "PrometheusDuration", "PropertyName",
        "Quantity", "Regex", "Section", "TopicConfigValue", "TopicName", "config_argument", "refused_kafka_property"),
    "files": ("DEFAULTS_NAME", "ENVIRONMENTS_DIR", "environment_names", "source_paths"),
    "loading": ("PLACEHOLDERS", "load_defaults", "load_environment", "validate"),
    "model": (
        "DETECTOR_IMAGE", "Adopt", "AdoptedDeployment", "AdoptedStatefulSet", "ArgoCD", "Autopurge", "Detector",
        "EnvironmentConfig", "Flux", "GitOps", "IgnoreRule", "Kafka", "KafkaManager", "KafkaSettings", "Monitoring",
        "ResourceList", "Resources", "Storage", "Sync", "Topic", "ZnodePath", "ZooKeeper"),
    "problems": ("Locator", "format_field"),
    "rules": ("check_rules",),
    "source": ("MAX_FILE_BYTES", "MAX_NESTING", "MAX_NODES", "Document", "deep_merge", "plain", "read_document"),
}
_EXPORTS = {name: module for module, names in _MODULES.items() for name in names}
__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
