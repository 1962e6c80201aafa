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

from helpers import PROJECT, run_cli
from gitops_kafka.config import KAFKA_PROPERTY, load_environment
from gitops_kafka.kafka import metadata as km
from gitops_kafka.kafka import plan as topic_plan

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


def snapshot(prod, configs: dict, topics: dict | None = None) -> km.MetadataSnapshot:
    assignments = {t.name: km.Assignment({p: (0, 1) for p in range(t.partitions)}) for t in prod.topics}
    return km.MetadataSnapshot(cluster_id="c", controller=0, brokers={}, topics={**assignments, **(topics or {})},
                       configs=configs, states={})


text = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(HOSTILE)


@settings(max_examples=200, deadline=None, database=None)
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


# ---------------------------------------------------------------- review comment and diff text

NAMES = ["a`b", "``x``", "a|b", "<img src=x onerror=alert(1)>", "</details><script>alert(1)</script>",
         "x\n\n<img src=y>", "*bold* _it_ [l](http://e.invalid) ~~s~~", "&lt;img&gt;", "`", "|", "\\|", "a\r\n| b |"]


def rendered(markdown_text: str):
    """The comment as a CommonMark + GFM-table renderer turns it into HTML, parsed."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    class Elements(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.rows, self.cells, self.texts, self._cell = [], 0, [], [], None

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            if tag == "tr":
                self.rows += 1
                self.cells.append(0)
            if tag in ("td", "th"):
                self.cells[-1] += 1
                self._cell = ""

        def handle_endtag(self, tag):
            if tag in ("td", "th"):
                self.texts.append(self._cell)
                self._cell = None

        def handle_data(self, data):
            if self._cell is not None:
                self._cell += data

    parser = Elements()
    parser.feed(MarkdownIt("commonmark").enable("table").render(markdown_text))
    return parser


@pytest.mark.parametrize("name", NAMES)
def test_review_comment_escapes_object_names_for_markdown_and_html(name):
    from gitops_kafka.review import report
    from gitops_kafka.review.diff import ADDED, CHANGED, EnvironmentDiff, FieldChange, ObjectChange
    from gitops_kafka.review.policy import Finding
    from gitops_kafka.review.risk import Risk

    changes = [ObjectChange(CHANGED, "ConfigMap", name, name, "v1", {"data": {"x": "a"}}, {"data": {"x": "b"}},
                            [FieldChange("data.x", "a", name)], previous_name=name),
               ObjectChange(ADDED, "Secret", name, "ns", "v1", None, {"metadata": {"name": name}})]
    diff = EnvironmentDiff("prod", name, name, changes, [Risk("critical", "rule", f"ConfigMap/{name}", name)])
    body = report.markdown([diff]) + report.findings_markdown({"prod": [Finding(name, name, "rule", name)]})
    html = rendered(body)
    assert "img" not in html.tags and "script" not in html.tags
    assert html.tags.count("details") == 2 and html.tags.count("table") == 2
    assert html.cells == [5] * 5, html.cells  # both tables: header and rows, none split, none merged
    assert f"ConfigMap/{name}" in html.texts and f"Secret/{name}" in html.texts, html.texts  # shown as it is


def test_text_diff_strips_terminal_control_sequences():
    from gitops_kafka.review import report
    from gitops_kafka.review.diff import CHANGED, EnvironmentDiff, FieldChange, ObjectChange

    hostile = "ok\x1b[2K\x1b[1A\x1b]0;owned\x07\x9b2J\rgone"
    change = ObjectChange(CHANGED, "ConfigMap", f"cm{hostile}", "ns", "v1", {}, {},
                          [FieldChange(f"data.{hostile}", hostile, f"line one\n{hostile}\n")])
    for color in (False, True):
        out = report.text([EnvironmentDiff("prod", "a", "b", [change], [])], color=color)
        assert "\x1b[2K" not in out and "\x1b]" not in out and "\x9b" not in out and "\r" not in out and "\x07" not in out
        if color:  # only the report's own colours remain
            import re
            assert set(re.findall(r"\x1b\[[0-9;]*m", out)) <= {f"\x1b[{c}m" for c in report.COLOR.values()} | {"\x1b[0m"}
        assert "okgone" not in out and "ok\\x0dgone" in out


HOSTILE_TEXT = "ok\x1b[2K\x1b[1A\x1b]0;owned\x07\x9b2J\rgone"


def assert_printable(out: str) -> None:
    assert "\x1b" not in out and "\x9b" not in out and "\r" not in out and "\x07" not in out, repr(out)
    assert "okgone" not in out and "ok\\x0dgone" in out, repr(out)


def test_check_text_strips_terminal_control_sequences_from_live_values_and_topics():
    """A live label or a znode may hold anything; the terminal must not obey it."""
    from gitops_kafka.drift.report import MODIFIED, DriftReport, FieldDrift, ObjectDrift, format_text
    from gitops_kafka.kafka.check import KafkaCheck, format_text as kafka_text
    from gitops_kafka.kafka.ensemble import EnsembleHealth, MemberHealth
    from gitops_kafka.kafka.metadata import KafkaMetadataReport, MetadataFinding, TopicStatus

    metadata = KafkaMetadataReport(readable=True, topics=(TopicStatus(f"t{HOSTILE_TEXT}", "drift", ("partitions",)),),
                                   findings=(MetadataFinding("topic", f"t{HOSTILE_TEXT}", HOSTILE_TEXT),))
    kafka = KafkaCheck(EnsembleHealth((MemberHealth("zk-0:2181", False, error=HOSTILE_TEXT),)), metadata)
    assert_printable(kafka_text(kafka))
    report = DriftReport("prod", "a" * 40, 0.0, 0.0, objects=(
        ObjectDrift("v1", "ConfigMap", f"cm{HOSTILE_TEXT}", "kafka-prod", MODIFIED,
                    (FieldDrift(f"metadata.labels.{HOSTILE_TEXT}", "a", HOSTILE_TEXT, f"m{HOSTILE_TEXT}"),)),))
    assert_printable(format_text(report))


def test_import_plan_text_strips_terminal_control_sequences():
    """The plan quotes live objects' names and values, which whoever deployed by hand chose."""
    from gitops_kafka.adopt.plan import Plan, Step, format_text

    plan = Plan(layout=HOSTILE_TEXT, steps=[Step("warning", f"ConfigMap/{HOSTILE_TEXT}", "patch", HOSTILE_TEXT)],
                fixes=[HOSTILE_TEXT])
    assert_printable(format_text(plan))
