"""Bad input: every mistake reported at once with file, line and field; nothing written; exit 2."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from helpers import ENVIRONMENTS, git, run_cli
from gitops_kafka.config import load_environment
from gitops_kafka.errors import ConfigError

GOOD = """\
namespace: kafka-test
kafka:
  replicas: 3
topics:
  - name: orders
    partitions: 3
    replication_factor: 2
gitops:
  repo_url: https://example.invalid/gitops.git
"""


def problems_for(tmp_path: Path, text: str, defaults: str | None = None) -> list[str]:
    folder = tmp_path / "environments"
    folder.mkdir(exist_ok=True)
    (folder / "test.yaml").write_text(textwrap.dedent(text))
    if defaults is not None:
        (folder / "defaults.yaml").write_text(textwrap.dedent(defaults))
    with pytest.raises(ConfigError) as caught:
        load_environment(tmp_path, "test")
    return [str(p) for p in caught.value.problems]


def test_a_good_file_loads(tmp_path):
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "test.yaml").write_text(GOOD)
    config = load_environment(tmp_path, "test")
    assert config.namespace == "kafka-test" and config.topics[0].name == "orders"
    assert config.kubernetes_version == "1.31"


def test_unknown_key_suggests_the_right_one(tmp_path):
    found = problems_for(tmp_path, GOOD + "zookeper:\n  replicas: 3\n")
    assert found == ["environments/test.yaml:10: zookeper: unknown key 'zookeper'; did you mean 'zookeeper'?"]


def test_unknown_nested_key_and_dotted_setting(tmp_path):
    found = problems_for(tmp_path, GOOD.replace("  replicas: 3\n", "  replicas: 3\n  heapsize: 1g\n"
                                                "  settings:\n    min.insync.replica: 2\n"))
    assert "environments/test.yaml:4: kafka.heapsize: unknown key 'heapsize'; did you mean 'heap'?" in found
    assert ("environments/test.yaml:6: kafka.settings['min.insync.replica']: unknown key 'min.insync.replica'; "
            "did you mean 'min.insync.replicas'?") in found


def test_wrong_types_are_not_coerced(tmp_path):
    found = problems_for(tmp_path, GOOD.replace("  replicas: 3", '  replicas: "3"')
                         .replace("partitions: 3", "partitions: three"))
    assert "environments/test.yaml:3: kafka.replicas: Input should be a valid integer (got '3')" in found
    assert any(p.startswith("environments/test.yaml:6: topics[0].partitions: Input should be a valid integer") for p in found)


def test_invalid_kubernetes_and_kafka_names(tmp_path):
    found = problems_for(tmp_path, GOOD.replace("kafka-test", "Kafka_Test").replace("name: orders", "name: 'or ders'"))
    assert any(p.startswith("environments/test.yaml:1: namespace: 'Kafka_Test' is not a DNS-1123 label") for p in found)
    assert any(p.startswith("environments/test.yaml:5: topics[0].name: 'or ders' is not a Kafka topic name") for p in found)


@pytest.mark.parametrize("name", ["x" * 250, "..", "."])
def test_kafka_topic_name_rules(tmp_path, name):
    found = problems_for(tmp_path, GOOD.replace("name: orders", f"name: '{name}'"))
    assert len(found) == 1 and found[0].startswith("environments/test.yaml:5: topics[0].name:")


@pytest.mark.parametrize("replicas, detail", [(4, "4 members survive no more failures than 3"), (0, "no ensemble at all"),
                                              (2, "2 members survive no more failures than 1")])
def test_even_or_zero_zookeeper_ensemble(tmp_path, replicas, detail):
    found = problems_for(tmp_path, GOOD + f"zookeeper:\n  replicas: {replicas}\n")
    assert len(found) == 1
    assert found[0].startswith("environments/test.yaml:11: zookeeper.replicas: a ZooKeeper ensemble needs an odd number")
    assert detail in found[0]


def test_replication_factor_above_broker_count(tmp_path):
    found = problems_for(tmp_path, GOOD.replace("replication_factor: 2", "replication_factor: 4")
                         .replace("  replicas: 3\n", "  replicas: 3\n  settings:\n    default.replication.factor: 5\n"))
    assert ("environments/test.yaml:5: kafka.settings['default.replication.factor']: default.replication.factor is 5 "
            "but the cluster has only 3 brokers") in found
    assert "environments/test.yaml:9: topics[0].replication_factor: replication factor 4 is above the broker count 3" in found


def test_min_insync_replicas_above_replication_factor(tmp_path):
    found = problems_for(tmp_path, GOOD.replace("replication_factor: 2", "replication_factor: 2\n    config:\n"
                                                "      min.insync.replicas: 3"))
    assert found == ["environments/test.yaml:9: topics[0].config['min.insync.replicas']: min.insync.replicas 3 is above "
                     "the replication factor 2: producers with acks=all could never write"]
    # The broker default counts too when a topic does not override it.
    found = problems_for(tmp_path, GOOD.replace("replication_factor: 2", "replication_factor: 1"))
    assert found == ["environments/test.yaml:7: topics[0].replication_factor: min.insync.replicas 2 is above the "
                     "replication factor 1: producers with acks=all could never write"]


def test_memory_limit_that_cannot_hold_the_heap(tmp_path):
    found = problems_for(tmp_path, GOOD.replace("  replicas: 3\n", "  replicas: 3\n  heap: 2g\n  resources:\n"
                                                "    limits: {cpu: '2', memory: 2Gi}\n    requests: {cpu: '1', memory: 2Gi}\n"))
    assert found == ["environments/test.yaml:4: kafka.heap: heap 2g does not fit in the memory limit 2Gi: the JVM needs "
                     "room beyond the heap (metaspace, threads, buffers); keep the heap at most 75% of the limit (1536Mi)"]


def test_duplicate_and_colliding_topics(tmp_path):
    found = problems_for(tmp_path, GOOD.split("topics:")[0] + textwrap.dedent("""\
        topics:
          - {name: orders, partitions: 3, replication_factor: 2}
          - {name: orders, partitions: 6, replication_factor: 2}
          - {name: a.b, partitions: 1, replication_factor: 2}
          - {name: a_b, partitions: 1, replication_factor: 2}
        gitops:
          repo_url: https://example.invalid/gitops.git
        """))
    assert "environments/test.yaml:6: topics[1].name: duplicate topic 'orders' (first declared at topics[0])" in found
    assert any(p.startswith("environments/test.yaml:8: topics[3].name: 'a_b' collides with topics[2]") for p in found)
    assert len(found) == 2


def test_missing_required_values(tmp_path):
    found = problems_for(tmp_path, "kafka:\n  replicas: 3\n")
    assert "environments/test.yaml: namespace: required but not set" in found
    assert "environments/test.yaml: gitops: required but not set" in found


def test_yaml_syntax_error_names_the_line(tmp_path):
    found = problems_for(tmp_path, GOOD + "kafka_manager: {enabled: true\n")
    assert len(found) == 1 and found[0].startswith("environments/test.yaml:1") and "invalid YAML" in found[0]


def test_duplicate_keys_are_errors(tmp_path):
    found = problems_for(tmp_path, GOOD + "namespace: other\n")
    assert len(found) == 1 and "invalid YAML" in found[0] and "duplicate" in found[0].lower()


def test_unpinned_image(tmp_path):
    found = problems_for(tmp_path, GOOD + "zookeeper:\n  image: zookeeper:latest\n")
    assert found == ["environments/test.yaml:11: zookeeper.image: 'zookeeper:latest' is not pinned: "
                     "give a version tag or a digest, never latest"]


def test_problems_in_the_defaults_file_name_it(tmp_path):
    found = problems_for(tmp_path, GOOD, defaults="kafka:\n  image: confluentinc/cp-kafka\n")
    assert found == ["environments/defaults.yaml:2: kafka.image: 'confluentinc/cp-kafka' is not pinned: "
                     "give a version tag or a digest, never latest"]


def test_every_problem_is_reported_at_once(tmp_path):
    found = problems_for(tmp_path, textwrap.dedent("""\
        namespace: Bad_NS
        zookeper: {}
        zookeeper:
          replicas: 4
          heap: 900m
        kafka:
          replicas: "3"
        topics:
          - {name: "bad topic", partitions: 3, replication_factor: 2}
          - {name: ok, partitions: 3, replication_factor: 4}
          - {name: ok, partitions: 1, replication_factor: 1}
        gitops:
          repo_url: https://example.invalid/gitops.git
        """))
    lines = [int(p.split(":")[1]) for p in found]
    assert lines == sorted(lines)
    fields = [p.split(":", 2)[2].split(":")[0].strip() for p in found]
    assert fields == ["namespace", "zookeper", "zookeeper.replicas", "zookeeper.heap", "kafka.replicas",
                      "topics[0].name", "topics[1].replication_factor", "topics[2].name",
                      "topics[2].replication_factor"]


def test_cli_exits_2_and_writes_nothing(repo):
    broken = (repo / "environments" / "prod.yaml").read_text() + "kafka_manger:\n  enabled: false\n"
    (repo / "environments" / "prod.yaml").write_text(broken)
    git(repo, "commit", "-qam", "typo")
    result = run_cli("generate", "--env", "prod", cwd=repo)
    assert result.returncode == 2
    assert "environments/prod.yaml:" in result.stderr and "kafka_manger: unknown key 'kafka_manger'; did you mean 'kafka_manager'?" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (repo / "base").exists() and not (repo / "overlays").exists()
    assert git(repo, "status", "--porcelain") == ""


def test_cli_reports_problems_of_every_environment_together(repo):
    for env, typo in (("dev", "namespce: x\n"), ("staging", "topcs: []\n")):
        path = repo / "environments" / f"{env}.yaml"
        path.write_text(path.read_text() + typo)
    result = run_cli("generate", "--all", "--no-commit", cwd=repo)
    assert result.returncode == 2
    assert "environments/dev.yaml" in result.stderr and "environments/staging.yaml" in result.stderr
    assert not (repo / "base").exists()


def test_unknown_environment(repo):
    result = run_cli("generate", "--env", "qa", cwd=repo)
    assert result.returncode == 2 and "environments/qa.yaml: file not found" in result.stderr


def test_shipped_environment_files_are_valid():
    for path in ENVIRONMENTS.glob("*.yaml"):
        if path.stem != "defaults":
            load_environment(ENVIRONMENTS.parent, path.stem)


@pytest.mark.parametrize("version, message", [
    ("1.24", "Kubernetes 1.24 is not supported: 1.25 to 1.37"),
    (1.3, "1.3 is not a Kubernetes minor version such as '1.31' (quote it: 1.30 is a number)"),
])
def test_kubernetes_version(tmp_path, version, message):
    found = problems_for(tmp_path, GOOD + f"kubernetes_version: {version!r}\n".replace("'", '"') if isinstance(version, str)
                         else GOOD + f"kubernetes_version: {version}\n")
    assert found == [f"environments/test.yaml:10: kubernetes_version: {message}"]


def test_detector_patterns_must_be_regular_expressions(tmp_path):
    found = problems_for(tmp_path, GOOD + "detector:\n  topic_exclude: ['^__', '(unclosed']\n")
    assert len(found) == 1 and found[0].startswith("environments/test.yaml:11: detector.topic_exclude[1]: '(unclosed' is not")
