"""What it would take to make Kafka's topics match git, as Kafka's own commands.

Create missing topics, add partitions, set or remove config overrides. Never a delete:
a topic git does not declare is left alone, and what Kafka cannot do by a command
(fewer partitions, another replication factor: a reassignment) is a note, not a command.

What the plan asks of its reader decides the exit code of `topics plan` (`outcome`):
nothing, or only waiting (`wait`: a deletion in progress), is 0; a command to run or a
difference only a person can resolve (`note`) is 1; a topic that could not be read
(`unreadable`: no plan can be made for it) is 2, as for `check-kafka`.

The text form is meant to be piped to a shell, and ZooKeeper's content is anyone's who
can write to ZooKeeper: every command is quoted, every value in a `# comment` is shown
quoted and escaped so no line can end early, and a config key Kafka itself would refuse
is reported, never put into a command.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass

from gitops_kafka.config import CONTROL_CHARACTER, KAFKA_PROPERTY, EnvironmentConfig, config_argument
from gitops_kafka.kafka import metadata as km
from gitops_kafka import topology


@dataclass(frozen=True)
class TopicStep:
    """One change: `create`, `add-partitions`, `set-config`, `delete-config`; or, without a command,
    `note` (a difference for a person), `wait` (nothing to do yet) or `unreadable` (cannot plan)."""

    action: str
    topic: str
    description: str
    command: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # A description is printed as one `# comment` line: nothing in it may end that line.
        object.__setattr__(self, "description", one_line(self.description))

    def shell(self) -> str:
        return shlex.join(self.command)

    def to_dict(self) -> dict:
        return {"action": self.action, "topic": self.topic, "description": self.description,
                "command": self.shell() if self.command else None}


PLAIN = re.compile(r"[A-Za-z0-9._:/=,+@-]+")


def shown(value: object) -> str:
    """A value for a comment: as is when plain, else double-quoted with every control character escaped."""
    text = str(value)
    return text if PLAIN.fullmatch(text) else json.dumps(text)


def one_line(text: str) -> str:
    """text with every newline, carriage return and other control character escaped (\\n, \\u001b...)."""
    return CONTROL_CHARACTER.sub(lambda m: json.dumps(m.group())[1:-1], text)


def plan(snapshot: km.MetadataSnapshot, config: EnvironmentConfig, bootstrap: str | None = None) -> list[TopicStep]:
    bootstrap = bootstrap or topology.bootstrap(config)
    topics_cmd = ("kafka-topics", "--bootstrap-server", bootstrap)
    configs_cmd = ("kafka-configs", "--bootstrap-server", bootstrap, "--alter", "--entity-type", "topics")
    steps: list[TopicStep] = []
    for topic in config.topics:
        name, live = topic.name, snapshot.assignment(topic.name)
        if name in snapshot.pending_deletion:
            steps.append(TopicStep("wait", name, f"{name} is being deleted; plan again once the deletion completes"))
            continue
        if live is None:
            configs = [a for k, v in sorted(topic.config.items()) for a in ("--config", f"{k}={v}")]
            steps.append(TopicStep("create", name, f"create {name}: {topic.partitions} partitions, replication factor "
                                              f"{topic.replication_factor}", (
                *topics_cmd, "--create", "--topic", name, "--partitions", str(topic.partitions),
                "--replication-factor", str(topic.replication_factor), *configs)))
            continue
        if isinstance(live, km.Unreadable):
            steps.append(TopicStep("unreadable", name, f"{name}: cannot plan, {shown(live.path)} is unreadable: {live.reason}"))
            continue
        current = len(live.replicas)
        if current < topic.partitions:
            steps.append(TopicStep("add-partitions", name, f"{name}: {current} -> {topic.partitions} partitions", (
                *topics_cmd, "--alter", "--topic", name, "--partitions", str(topic.partitions))))
        elif current > topic.partitions:
            steps.append(TopicStep("note", name, f"{name} has {current} partitions, git declares {topic.partitions}: "
                                            "Kafka cannot remove partitions; change git or recreate the topic"))
        factor = live.replication_factor()
        if factor != topic.replication_factor and not live.reassigning:
            steps.append(TopicStep("note", name, f"{name} has replication factor {factor if factor is not None else 'mixed'}, "
                                            f"git declares {topic.replication_factor}: that takes a partition "
                                            "reassignment (kafka-reassign-partitions)"))
        steps += _config_steps(name, topic.config, snapshot.configs.get(name, {}), configs_cmd)
    return steps


def outcome(steps: list[TopicStep]) -> int:
    """0 nothing to do (or only to wait), 1 something to do (a command or a note), 2 something unreadable."""
    actions = {s.action for s in steps}
    if "unreadable" in actions:
        return 2
    return 1 if actions - {"wait"} else 0


def _config_steps(name: str, desired: dict[str, str], live, configs_cmd: tuple[str, ...]) -> list[TopicStep]:
    if isinstance(live, km.Unreadable):
        return [TopicStep("unreadable", name, f"{name}: cannot plan config, {shown(live.path)} is unreadable: {live.reason}")]
    to_set = {k: v for k, v in desired.items() if live.get(k) != v}
    refused = sorted(k for k in set(live) - set(desired) if not KAFKA_PROPERTY.fullmatch(k))
    to_delete = sorted(set(live) - set(desired) - set(refused))
    steps = [TopicStep("note", name, f"{name}: ZooKeeper holds a config key Kafka would refuse, {shown(key)}: "
                                "no command can remove it; delete it from the topic's config znode")
             for key in refused]
    if to_set:
        steps.append(TopicStep("set-config", name, f"{name}: set {', '.join(f'{k}={shown(v)}' for k, v in sorted(to_set.items()))}", (
            *configs_cmd, "--entity-name", name, "--add-config", config_argument(to_set))))
    if to_delete:
        steps.append(TopicStep("delete-config", name, f"{name}: remove override{'s' if len(to_delete) > 1 else ''} "
                                                 f"{', '.join(to_delete)}", (
            *configs_cmd, "--entity-name", name, "--delete-config", ",".join(to_delete))))
    return steps
