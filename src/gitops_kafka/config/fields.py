"""Field types of environment files: what one value may be, checked before any rule runs.

Also the strict Section base every part of the model derives from, and the broker
properties no environment may set (refused here, named again by the problem reporter).
"""
from __future__ import annotations

from decimal import Decimal
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from gitops_kafka.quantity import parse_java_size, parse_quantity

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


def config_argument(config: dict[str, str]) -> str:
    """Topic overrides as kafka-configs --add-config takes them: values holding commas go in brackets.

    The topic Job's script spells them the same way; `_topic_config_value` refuses what this cannot carry.
    """
    return ",".join(f"{k}=[{v}]" if "," in v else f"{k}={v}" for k, v in sorted(config.items()))


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


class Section(BaseModel):
    """Strict and closed: wrong types and unknown keys are errors, not silently coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)

