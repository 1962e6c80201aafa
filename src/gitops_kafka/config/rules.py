"""The cross-field rules: what no single field can check, each as (field path, message)."""
from __future__ import annotations

from gitops_kafka.config.fields import HEAP_SHARE_OF_LIMIT, refused_kafka_property
from gitops_kafka.config.model import EnvironmentConfig, Resources
from gitops_kafka.quantity import format_bytes, parse_java_size, parse_quantity


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
