"""Hostile and careless environment files: refused fast, with file and line, before any harm.

Alias bombs, deep nesting, huge files, symlinks out of the repository, values with a
trailing newline, and values the API server or Kafka would refuse or change.
"""
from __future__ import annotations

import os
import textwrap
import typing
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st
from pydantic import BaseModel

from helpers import git, run_cli
from gitops_kafka.config import fields as config_fields
from gitops_kafka.config import problems as config_problems
from gitops_kafka.config import MAX_FILE_BYTES, EnvironmentConfig, load_environment
from gitops_kafka.errors import ConfigError

GOOD = """\
namespace: kafka-test
topics:
  - name: orders
    partitions: 3
    replication_factor: 2
gitops:
  repo_url: https://example.invalid/gitops.git
"""


def write_env(root: Path, text: str, name: str = "test") -> Path:
    folder = root / "environments"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def problems_for(root: Path, text: str) -> list[str]:
    write_env(root, text)
    with pytest.raises(ConfigError) as caught:
        load_environment(root, "test")
    return [str(p) for p in caught.value.problems]


# ---------------------------------------------------------------- structure

def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n" + GOOD


def test_alias_bomb_is_refused_before_it_expands(tmp_path):
    # Five levels are 9**6 strings, half a million; one level is a 40-byte line, nine never finish.
    found = problems_for(tmp_path, alias_bomb(5))
    assert len(found) == 1
    assert found[0].startswith("environments/test.yaml:") and "aliases" in found[0], found


def test_aliases_of_reasonable_size_still_work(tmp_path):
    write_env(tmp_path, GOOD + textwrap.dedent("""\
        kafka:
          resources:
            requests: &same {cpu: "1", memory: 2Gi}
            limits: *same
        """))
    config = load_environment(tmp_path, "test")
    assert config.kafka.resources.limits.memory == "2Gi"


@pytest.mark.parametrize("opening, closing", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_refused_with_its_line_and_no_traceback(tmp_path, opening, closing):
    write_env(tmp_path, GOOD + "kafka:\n  overrides:\n    x: " + opening * 250 + closing * 250 + "\n")
    git(tmp_path, "init", "--quiet")
    result = run_cli("generate", "--env", "test", "--no-commit", "--repo", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "environments/test.yaml:10: nested more than" in result.stderr


def test_a_huge_file_is_refused_with_a_line(tmp_path):
    found = problems_for(tmp_path, GOOD + "# padding\n" * (MAX_FILE_BYTES // 10 + 1))
    assert len(found) == 1 and "larger than" in found[0]
    assert found[0].startswith("environments/test.yaml:"), found


def test_a_symlink_out_of_the_repository_is_refused(tmp_path):
    repo = tmp_path / "repo"
    (repo / "environments").mkdir(parents=True)
    (repo / "environments" / "zero.yaml").symlink_to("/dev/zero")
    outside = tmp_path / "outside.yaml"
    outside.write_text(GOOD)
    (repo / "environments" / "out.yaml").symlink_to(outside)
    for env in ("zero", "out"):
        with pytest.raises(ConfigError) as caught:
            load_environment(repo, env)
        assert "outside the repository" in str(caught.value), env
    # The shared defaults are read through the same door.
    (repo / "environments" / "in.yaml").write_text(GOOD)
    (repo / "environments" / "defaults.yaml").symlink_to("/dev/zero")
    with pytest.raises(ConfigError) as caught:
        load_environment(repo, "in")
    assert "environments/defaults.yaml: is a symlink to /dev/zero, outside the repository" in str(caught.value)


def test_a_symlink_inside_the_repository_is_read(tmp_path):
    write_env(tmp_path, GOOD, name="real")
    (tmp_path / "environments" / "alias.yaml").symlink_to("real.yaml")
    assert load_environment(tmp_path, "alias").namespace == "kafka-test"


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    (tmp_path / "environments").mkdir()
    os.mkfifo(tmp_path / "environments" / "pipe.yaml")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_environment(tmp_path, "pipe")


# ---------------------------------------------------------------- every pattern matches the whole string

# (YAML written into GOOD by str.replace or appended, a valid value, the field that must be refused)
PATTERN_FIELDS = [
    ("namespace", "namespace: {v}", "kafka-test", "namespace"),
    ("cluster_name", "cluster_name: {v}", "kafka", "cluster_name"),
    ("cluster_domain", "cluster_domain: {v}", "cluster.local", "cluster_domain"),
    ("kubernetes_version", "kubernetes_version: {v}", "1.31", "kubernetes_version"),
    ("topic", "topics:\n  - name: {v}\n    partitions: 1\n    replication_factor: 2", "orders", "topics[0].name"),
    ("topic property", "topics:\n  - name: t\n    partitions: 1\n    replication_factor: 2\n    config:\n      {v}: 1",
     "segment.ms", "topics[0].config"),
    ("broker override", "kafka:\n  overrides:\n    {v}: x", "compression.type", "kafka.overrides"),
    ("image", "kafka:\n  image: {v}", "confluentinc/cp-kafka:7.9.5", "kafka.image"),
    ("heap", "kafka:\n  heap: {v}", "1g", "kafka.heap"),
    ("quantity", "kafka:\n  storage:\n    size: {v}", "10Gi", "kafka.storage.size"),
    ("storage class", "kafka:\n  storage:\n    storage_class: {v}", "gp3", "kafka.storage.storage_class"),
    ("chroot", "kafka:\n  zookeeper_chroot: {v}", "/kafka", "kafka.zookeeper_chroot"),
    ("flux interval", "gitops:\n  repo_url: https://example.invalid/g.git\n  flux:\n    interval: {v}", "5m",
     "gitops.flux.interval"),
    ("revision", "gitops:\n  repo_url: https://example.invalid/g.git\n  revision: {v}", "main", "gitops.revision"),
    ("gitops path", "gitops:\n  repo_url: https://example.invalid/g.git\n  path: {v}", "clusters/prod", "gitops.path"),
    ("repo url", "gitops:\n  repo_url: {v}", "https://example.invalid/g.git", "gitops.repo_url"),
    ("alert for", "alerts:\n  drift:\n    for: {v}", "15m", "alerts.drift.for"),
    ("runbook url", "alerts:\n  runbook_url: {v}", "https://example.invalid/runbooks", "alerts.runbook_url"),
]


def file_with(template: str, value: str) -> str:
    snippet = template.format(v=value if value.startswith('"') else f'"{value}"')
    top = snippet.split(":", 1)[0]
    kept = [block for block in GOOD.split("\n") if block]
    # Replace a top-level section of GOOD with the snippet, or append it.
    out, skipping = [], False
    for line in kept:
        if not line.startswith(" "):
            skipping = line.split(":", 1)[0] == top
        if not skipping:
            out.append(line)
    return "\n".join(out) + "\n" + snippet + "\n"


@pytest.mark.parametrize("what, template, valid, field", PATTERN_FIELDS, ids=[f[0] for f in PATTERN_FIELDS])
def test_every_pattern_matches_the_whole_value(tmp_path, what, template, valid, field):
    write_env(tmp_path, file_with(template, valid))
    load_environment(tmp_path, "test")  # the valid value is accepted...
    for hostile in (valid + "\\n", " " + valid, valid + " "):
        found = problems_for(tmp_path, file_with(template, f'"{hostile}"'))
        assert any(f" {field}" in p for p in found), (hostile, found)  # ...a padded one never


# ---------------------------------------------------------------- values the API server or Kafka refuse

@pytest.mark.parametrize("value", ["-10Gi", '"-1"', "-1", '" 500m"', '"500m "', '"1Gi\\n"', "1e999999999", "8Ei",
                                   "99999999999999999999999"])
def test_quantities_the_api_server_refuses_or_caps(tmp_path, value):
    found = problems_for(tmp_path, GOOD + f"kafka:\n  storage:\n    size: {value}\n")
    assert [p.split(": ", 2)[1] for p in found] == ["kafka.storage.size"], found
    assert found[0].startswith("environments/test.yaml:10:")


@pytest.mark.parametrize("value, expected", [("1E", "1E"), ("1.5Gi", "1.5Gi"), ("1e3", "1000.0"), ("7Ei", "7Ei"),
                                             ("0.5", "0.5"), ("100Gi", "100Gi")])
def test_quantities_the_api_server_accepts(tmp_path, value, expected):
    write_env(tmp_path, GOOD + f"kafka:\n  storage:\n    size: {value}\n")
    assert load_environment(tmp_path, "test").kafka.storage.size == expected


def int_fields(model: type[BaseModel], prefix: tuple = ()):
    """Every integer field reachable from model, with its upper bound (None if it has none)."""
    for name, field in model.model_fields.items():
        annotation = config_problems._unwrap(field.annotation)
        key = field.alias or name
        if annotation is int:
            bounds = [m.le for m in field.metadata if getattr(m, "le", None) is not None]
            yield (*prefix, key), min(bounds) if bounds else None
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from int_fields(annotation, (*prefix, key))
        elif typing.get_origin(annotation) is list:
            item = config_problems._unwrap(typing.get_args(annotation)[0])
            if isinstance(item, type) and issubclass(item, BaseModel):
                yield from int_fields(item, (*prefix, key, 0))


def test_every_integer_field_is_bounded_by_what_its_consumer_holds():
    fields = dict(int_fields(EnvironmentConfig))
    assert ("zookeeper", "tick_time") in fields and ("topics", 0, "partitions") in fields
    unbounded = [path for path, bound in fields.items() if bound is None or bound > 2**31 - 1]
    assert unbounded == []
    factors = {path: bound for path, bound in fields.items() if str(path[-1]).endswith(("replication_factor", ".factor"))}
    assert factors and all(bound == 2**15 - 1 for bound in factors.values()), factors


@pytest.mark.parametrize("snippet, field", [
    ("zookeeper:\n  tick_time: 100000000000000000000000000000\n", "zookeeper.tick_time"),
    ("kafka:\n  replicas: 2147483648\n", "kafka.replicas"),
])
def test_integers_beyond_the_field_are_refused(tmp_path, snippet, field):
    found = problems_for(tmp_path, GOOD + snippet)
    assert any(p.startswith("environments/test.yaml:") and f" {field}: " in p for p in found), found
    found = problems_for(tmp_path, GOOD.replace("partitions: 3", "partitions: 100000000000000000000"))
    assert found == ["environments/test.yaml:4: topics[0].partitions: Input should be less than or equal to 2147483647"]


def kafka_add_config(argument: str) -> dict[str, str] | None:
    """How kafka-configs --add-config reads its argument (ConfigCommand.parseConfigsToBeAdded)."""
    import re

    pattern = r"(?=[^\]]*(?:\[|$))"
    pairs = [re.split(r"\s*=\s*" + pattern, part) for part in re.split("," + pattern, argument)]
    if not all(len(pair) == 2 for pair in pairs):
        return None  # Kafka: "all configs to be added must be in the format key=val"
    return {key.strip(): re.sub(r"\[?\]?", "", value).strip() for key, value in pairs}


@pytest.mark.slow  # three hundred generated values: over half a second
@settings(max_examples=300, deadline=None, database=None)
@given(st.text(st.characters(codec="utf-8"), max_size=30))
def test_a_topic_config_value_is_refused_or_reaches_kafka_unchanged(value):
    try:
        checked = config_fields._topic_config_value(value)
    except ValueError:
        return
    argument = config_fields.config_argument({"retention.ms": checked, "segment.ms": "1"})
    assert kafka_add_config(argument) in (None, {"retention.ms": value, "segment.ms": "1"}), argument
    assert "\n" not in argument


@pytest.mark.parametrize("value", ['"1],cleanup.policy=[compact"', '"1\\ncleanup.policy=compact"', '"[1]"',
                                   '" 5"', '"5\\r"'])
def test_topic_config_values_kafka_would_split_or_change_are_refused(tmp_path, value):
    found = problems_for(tmp_path, GOOD.replace(
        "replication_factor: 2\n", f"replication_factor: 2\n    config:\n      retention.ms: {value}\n"))
    assert found and found[0].startswith("environments/test.yaml:7: topics[0].config['retention.ms']:"), found


def test_a_broker_override_with_a_newline_is_refused(tmp_path):
    found = problems_for(tmp_path, GOOD + 'kafka:\n  overrides:\n    log.segment.bytes: "1\\nlog.dirs=/tmp"\n')
    assert found and found[0].startswith("environments/test.yaml:10: kafka.overrides['log.segment.bytes']:")


# ---------------------------------------------------------------- paths stay inside

@pytest.mark.parametrize("path", ["../../..", "clusters/../../x", ".", "./x", "/etc", "x/..", "a//b"])
def test_gitops_path_stays_inside_the_repository(tmp_path, path):
    found = problems_for(tmp_path, GOOD.replace("gitops:\n", f'gitops:\n  path: "{path}"\n'))
    assert any(p.startswith("environments/test.yaml:7: gitops.path:") for p in found), found


@pytest.mark.parametrize("chroot", ["/kafka/..", "/.", "/kafka/./x"])
def test_zookeeper_chroot_has_no_dot_parts(tmp_path, chroot):
    found = problems_for(tmp_path, GOOD + f"kafka:\n  zookeeper_chroot: {chroot}\n")
    assert any("kafka.zookeeper_chroot" in p for p in found), found


def test_a_newline_in_the_environment_name_is_refused(tmp_path):
    write_env(tmp_path, GOOD)
    with pytest.raises(ConfigError, match="DNS-1123"):
        load_environment(tmp_path, "test\n")
