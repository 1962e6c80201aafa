"""Broker properties the generator computes or the cp-kafka image refuses cannot be set.

cp-kafka's configure script exits on KAFKA_PORT, KAFKA_HOST, KAFKA_ADVERTISED_PORT and
KAFKA_ADVERTISED_HOST ("port is deprecated"), and reads KAFKA_HEAP_OPTS, KAFKA_OPTS ...
as JVM options, not properties: such a setting would crash-loop or be silently lost.
"""
from __future__ import annotations

import pytest

from helpers import git, run_cli
from gitops_kafka.config import (GENERATED_KAFKA_PROPERTIES, IMAGE_REFUSED_KAFKA_PROPERTIES,
                                 IMAGE_RESERVED_KAFKA_PROPERTIES)
from test_config import GOOD, problems_for

REFUSED = sorted(GENERATED_KAFKA_PROPERTIES | IMAGE_REFUSED_KAFKA_PROPERTIES | IMAGE_RESERVED_KAFKA_PROPERTIES)


def test_the_issue_keys_are_all_refused():
    for key in ("port", "broker.id", "zookeeper.connect", "listeners", "advertised.listeners", "log.dirs",
                "host", "advertised.port", "advertised.host", "heap.opts"):
        assert key in REFUSED


@pytest.mark.parametrize("key", REFUSED)
@pytest.mark.parametrize("section", ["overrides", "settings"])
def test_refused_in_overrides_and_settings(tmp_path, section, key):
    text = GOOD.replace("kafka:\n  replicas: 3\n", f"kafka:\n  replicas: 3\n  {section}:\n    {key}: \"9093\"\n")
    problems = problems_for(tmp_path, text)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"environments/test.yaml:5: kafka.{section}['{key}']:" if "." in key
                                  else f"environments/test.yaml:5: kafka.{section}.{key}:")
    assert "unknown key" not in problems[0]
    assert ("generated manifests" in problems[0]) or ("cp-kafka image" in problems[0])


def test_port_override_is_an_error_with_exit_2(repo):
    path = repo / "environments" / "prod.yaml"
    text = path.read_text()
    assert "  overrides:\n" in text
    path.write_text(text.replace("  overrides:\n", "  overrides:\n    port: 9093\n", 1))
    git(repo, "commit", "-qam", "port")
    line = path.read_text().splitlines().index("    port: 9093") + 1
    result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
    assert result.returncode == 2
    assert f"environments/prod.yaml:{line}: kafka.overrides.port: port is refused by the cp-kafka image" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo / "overlays").exists()


def test_an_ordinary_override_is_still_accepted(tmp_path):
    from gitops_kafka.config import load_environment

    folder = tmp_path / "environments"
    folder.mkdir()
    (folder / "test.yaml").write_text(GOOD.replace("kafka:\n  replicas: 3\n",
                                                   "kafka:\n  replicas: 3\n  overrides:\n    compression.type: lz4\n"))
    assert load_environment(tmp_path, "test").kafka.overrides == {"compression.type": "lz4"}
