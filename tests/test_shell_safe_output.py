"""Output others execute or render: `topics plan` piped to a shell runs exactly the planned
commands whatever ZooKeeper holds; PR comments escape Markdown and HTML; terminal text carries
no control sequences."""
from __future__ import annotations

import os
import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from conftest import PROJECT, run_cli
from gitops_kafka.config import KAFKA_PROPERTY, load_environment
from gitops_kafka.drift import kafka_metadata as km
from gitops_kafka.drift import topic_plan

HOSTILE = ["x\ntouch PWNED #", "x\rtouch PWNED", "$(touch PWNED)", "`touch PWNED`", "a'b\"c", "\x1b[2K\x1b]0;t\x07",
           "x\u2028y", "\x00", ";touch PWNED", "\\\n"]


@pytest.fixture(scope="module")
def prod():
    return load_environment(PROJECT, "prod")


def plan_text(steps) -> str:
    """As `gitops-kafka topics plan` prints it."""
    lines = []
    for step in steps:
        lines.append(f"# {step.description}")
        if step.command:
            lines.append(step.shell())
    return "\n".join(lines) + "\n"


def snapshot(prod, configs: dict, topics: dict | None = None) -> km.Snapshot:
    assignments = {t.name: km.Assignment({p: (0, 1) for p in range(t.partitions)}) for t in prod.topics}
    return km.Snapshot(cluster_id="c", controller=0, brokers={}, topics={**assignments, **(topics or {})},
                       configs=configs, states={})


text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(HOSTILE)


@settings(max_examples=200, deadline=None)
@given(keys=st.dictionaries(text, text, max_size=4), reason=text, path=text)
def test_every_plan_line_is_one_comment_or_one_quoted_command(prod, keys, reason, path):
    configs = {"vehicle-packets": keys, "vehicle-events": km.Unreadable(path, reason)}
    topics = {"vehicle-events": km.Unreadable(path, reason)}
    steps = topic_plan.plan(snapshot(prod, configs, topics), prod)
    for step in steps:
        assert not any(c in step.description for c in "\n\r\x1b\x00\u2028")
        if step.command:
            assert "\n" not in step.shell() and shlex.split(step.shell()) == list(step.command)
            if "--delete-config" in step.command:
                deleted = step.command[step.command.index("--delete-config") + 1].split(",")
                assert all(KAFKA_PROPERTY.fullmatch(k) for k in deleted), deleted
    assert len(plan_text(steps).splitlines()) == sum(1 + bool(s.command) for s in steps)


def test_a_config_key_kafka_would_refuse_is_reported_not_commanded(prod):
    steps = topic_plan.plan(snapshot(prod, {"vehicle-packets": {"x\ntouch PWNED #": "1", "segment.ms": "1"}}), prod)
    notes = [s.description for s in steps if s.action == "note"]
    assert notes == ['vehicle-packets: ZooKeeper holds a config key Kafka would refuse, "x\\ntouch PWNED #": '
                     "no command can remove it; delete it from the topic's config znode"]
    deletes = [s.command for s in steps if s.action == "delete-config"]
    assert deletes and deletes[0][-1] == "segment.ms"


def stub_kafka_commands(folder: Path) -> dict:
    """kafka-topics and kafka-configs stand-ins that only record their arguments, one %q-quoted line per call."""
    folder.mkdir()
    for name in ("kafka-topics", "kafka-configs"):
        stub = folder / name
        stub.write_text('#!/bin/bash\n{ printf "%q " "$(basename "$0")" "$@"; echo; } >> "$STUB_LOG"\n')
        stub.chmod(0o755)
    return {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}", "STUB_LOG": str(folder / "calls.log")}


def test_plan_piped_to_a_shell_runs_only_the_planned_commands(zookeeper, kafka, kafka_root, prod, tmp_path):
    kafka.cluster_as_declared(prod)
    kafka.config("vehicle-packets", {"x\ntouch PWNED #": "1", "segment.ms\n$(touch PWNED)": "1",
                                     "retention.ms": "1\ntouch PWNED", "cleanup.policy": "compact"})
    kafka.config("vehicle-events", {"retention.ms": "1;touch PWNED", "min.insync.replicas": "1"})
    result = run_cli("topics", "plan", "--env", "prod", "--zookeeper", zookeeper.hosts + kafka_root, cwd=PROJECT)
    assert result.returncode == 1, result.stderr
    env = stub_kafka_commands(tmp_path / "bin")
    shell = subprocess.run(["bash", "-e"], input=result.stdout, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert shell.returncode == 0, shell.stderr
    assert not list(tmp_path.rglob("PWNED*"))
    calls = [shlex.split(line) for line in (tmp_path / "bin" / "calls.log").read_text().splitlines()]
    configs = ["kafka-configs", "--bootstrap-server", "kafka:9092", "--alter", "--entity-type", "topics"]
    assert calls == [
        [*configs, "--entity-name", "vehicle-packets", "--delete-config", "cleanup.policy,retention.ms"],
        [*configs, "--entity-name", "vehicle-events", "--add-config", "retention.ms=604800000"],
    ]
    assert '"x\\ntouch PWNED #"' in result.stdout and '"segment.ms\\n$(touch PWNED)"' in result.stdout
