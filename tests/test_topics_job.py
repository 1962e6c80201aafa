"""The topic Job's own script, run with stand-ins for kafka-topics and kafka-configs.

The script and its env come from the rendered Job, the topic file from its ConfigMap
(written where the Job mounts it, TOPICS_FILE pointing there: the one adaptation). The
stand-ins answer in Kafka 3.9's output formats and log every call: each would be a JVM.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

import kafka_tools
from helpers import PROJECT
from gitops_kafka.config import Topic, load_environment
from gitops_kafka.errors import RenderError
from gitops_kafka.render import topics as topics_render

MAX_ARG = 128 * 1024  # Linux: MAX_ARG_STRLEN, the longest single argument execve accepts


@pytest.fixture(scope="module")
def prod():
    return load_environment(PROJECT, "prod")


def declared(count: int) -> list[Topic]:
    out = []
    for i in range(count):
        config = {"retention.ms": str(86400000 * (1 + i % 7))} if i % 3 == 0 else {}
        if i % 10 == 0:
            config["cleanup.policy"] = "compact,delete"
        out.append(Topic.model_validate({"name": f"team-{i % 40:02d}.service-{i:05d}.events-v1", "partitions": 3 + i % 4,
                                         "replication_factor": 3, "config": config}))
    return out


def in_kafka(topics: list[Topic]) -> dict[str, dict]:
    """The cluster as the Job would leave it: every declared topic, as declared."""
    return {t.name: {"partitions": t.partitions, "replication": t.replication_factor, "configs": dict(t.config)}
            for t in topics}


def rendered(config, topics: list[Topic]):
    config_map, job = topics_render.render(config.model_copy(update={"topics": topics}))
    return config_map, job


class Cluster:
    def __init__(self, root: Path, topics: dict[str, dict]):
        self.root = root
        self.bin = root / "bin"
        self.bin.mkdir(exist_ok=True)
        self.state, self.log = root / "state.json", root / "calls.log"
        self.env = kafka_tools.install(self.bin, self.state, self.log)
        kafka_tools.write_state(self.state, topics)

    @property
    def topics(self) -> dict[str, dict]:
        return kafka_tools.read_state(self.state)

    def calls(self) -> list[list[str]]:
        return kafka_tools.calls(self.log)

    def run(self, config_map: dict, job: dict) -> subprocess.CompletedProcess:
        if self.log.exists():
            self.log.unlink()
        pod = job["spec"]["template"]["spec"]
        container = pod["containers"][0]
        mount = container["volumeMounts"][0]
        assert pod["volumes"][0]["configMap"]["name"] == config_map["metadata"]["name"] == job["metadata"]["name"]
        env = {e["name"]: e["value"] for e in container["env"]}
        folder = self.root / "mount"
        folder.mkdir(exist_ok=True)
        for key, text in config_map["data"].items():
            (folder / key).write_text(text)
        assert env["TOPICS_FILE"].startswith(mount["mountPath"] + "/")
        env["TOPICS_FILE"] = str(folder / env["TOPICS_FILE"].removeprefix(mount["mountPath"] + "/"))
        env.update(self.env)
        env["PATH"] = f"{self.bin}:{os.environ['PATH']}"
        return subprocess.run(container["command"], env=env, capture_output=True, text=True, timeout=900)


def tools(calls):
    return [c[0] for c in calls]


def test_nothing_changed_at_10000_topics_makes_three_calls(tmp_path, prod):
    topics = declared(10_000)
    config_map, job = rendered(prod, topics)
    assert all(len(arg.encode()) < MAX_ARG for arg in job["spec"]["template"]["spec"]["containers"][0]["command"])
    cluster = Cluster(tmp_path, in_kafka(topics))
    result = cluster.run(config_map, job)
    assert result.returncode == 0, result.stderr[-2000:]
    assert tools(cluster.calls()) == ["kafka-broker-api-versions", "kafka-topics", "kafka-configs"]
    assert "0 created, 0 with partitions added, 0 configured, 10000 unchanged" in result.stdout


def test_only_topics_needing_a_change_are_touched(tmp_path, prod):
    topics = declared(10_000)
    live = in_kafka(topics)
    missing, fewer, reconfigured = topics[1].name, topics[2].name, topics[3].name
    del live[missing]
    live[fewer]["partitions"] -= 1
    live[reconfigured]["configs"]["retention.ms"] = "1"
    cluster = Cluster(tmp_path, live)
    config_map, job = rendered(prod, topics)
    result = cluster.run(config_map, job)
    assert result.returncode == 0, result.stderr[-2000:]
    per_topic = cluster.calls()[3:]
    assert len(per_topic) == 3, per_topic
    assert cluster.topics == in_kafka(topics)
    # A second run finds everything in place.
    again = cluster.run(config_map, job)
    assert again.returncode == 0 and len(cluster.calls()) == 3


def test_topics_are_matched_by_exact_name(tmp_path, prod):
    """`--topic a.b` is a regex that also matches a1b: the Job neither believes a.b exists nor alters a1b."""
    topics = [Topic.model_validate({"name": "a.b", "partitions": 6, "replication_factor": 3}),
              Topic.model_validate({"name": "x.y", "partitions": 6, "replication_factor": 3}),
              Topic.model_validate({"name": "x1y", "partitions": 3, "replication_factor": 3})]
    cluster = Cluster(tmp_path, {"a1b": {"partitions": 3, "replication": 3, "configs": {}},
                                 "x.y": {"partitions": 3, "replication": 3, "configs": {}},
                                 "x1y": {"partitions": 3, "replication": 3, "configs": {}}})
    config_map, job = rendered(prod, topics)
    result = cluster.run(config_map, job)
    assert result.returncode == 0, result.stderr
    live = cluster.topics
    assert live["a.b"]["partitions"] == 6 and live["a1b"]["partitions"] == 3
    assert live["x.y"]["partitions"] == 6 and live["x1y"]["partitions"] == 3


def test_configs_with_commas_and_new_topics_with_configs(tmp_path, prod):
    topics = [Topic.model_validate({"name": "orders", "partitions": 3, "replication_factor": 3,
                                    "config": {"cleanup.policy": "compact,delete", "retention.ms": "1000"}})]
    cluster = Cluster(tmp_path, {})
    config_map, job = rendered(prod, topics)
    result = cluster.run(config_map, job)
    assert result.returncode == 0, result.stderr
    assert cluster.topics["orders"]["configs"] == {"cleanup.policy": "compact,delete", "retention.ms": "1000"}
    assert any("--add-config" in c and "cleanup.policy=[compact,delete],retention.ms=1000" in c for c in cluster.calls())
    assert len(cluster.run(config_map, job).stdout) and len(cluster.calls()) == 3


def test_what_kafka_cannot_do_is_reported_not_attempted(tmp_path, prod):
    topics = [Topic.model_validate({"name": "orders", "partitions": 3, "replication_factor": 3})]
    cluster = Cluster(tmp_path, {"orders": {"partitions": 6, "replication": 2, "configs": {}}})
    result = cluster.run(*rendered(prod, topics))
    assert result.returncode == 0, result.stderr
    assert "Kafka cannot remove partitions" in result.stderr and "partition reassignment" in result.stderr
    assert len(cluster.calls()) == 3
    assert cluster.topics["orders"]["partitions"] == 6


def test_a_failed_describe_stops_the_job(tmp_path, prod):
    topics = declared(3)
    cluster = Cluster(tmp_path, in_kafka(topics))
    (cluster.bin / "kafka-topics").write_text("#!/bin/sh\necho 'Error while executing topic command : timeout'\nexit 1\n")
    result = cluster.run(*rendered(prod, topics))
    assert result.returncode != 0
    assert "kafka-configs" not in tools(cluster.calls())


def test_the_job_name_follows_the_topics(prod):
    topics = declared(5)
    _, first = rendered(prod, topics)
    changed = [*topics[:4], topics[4].model_copy(update={"partitions": topics[4].partitions + 1})]
    config_map, second = rendered(prod, changed)
    assert first["metadata"]["name"] != second["metadata"]["name"]
    assert config_map["metadata"]["name"] == second["metadata"]["name"]
    assert rendered(prod, topics)[1]["metadata"]["name"] == first["metadata"]["name"]


def test_a_topic_list_beyond_a_configmap_is_a_render_error(prod):
    long_names = [Topic.model_validate({"name": f"{i:05d}" + "x" * 240, "partitions": 1, "replication_factor": 1})
                  for i in range(5000)]
    with pytest.raises(RenderError, match="more than a ConfigMap holds"):
        rendered(prod, long_names)


LAST_APPLIED_LIMIT = 256 * 1024  # the API server's cap on all annotations of an object, last-applied included


def test_10000_topics_generate_build_and_fit_argo_cds_apply(tmp_path):
    """Client-side apply stores the whole object in an annotation: beyond 256 KiB it cannot,
    so every such object must be applied server-side (Argo CD's per-object sync option)."""
    import yaml

    from helpers import load_documents, new_gitops_repo, run_cli
    from gitops_kafka import kustomize

    repo = new_gitops_repo(tmp_path / "gitops")
    env = repo / "environments" / "prod.yaml"
    text = env.read_text()
    lines = yaml.safe_dump([{"name": t.name, "partitions": t.partitions, "replication_factor": t.replication_factor,
                             **({"config": dict(t.config)} if t.config else {})} for t in declared(10_000)])
    env.write_text(text.replace("topics:\n", "topics:\n" + "".join(f"  {line}\n" for line in lines.splitlines()), 1))
    result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
    assert result.returncode == 0, result.stderr
    built = load_documents(kustomize.build(repo / "overlays" / "prod"))
    config_maps = [o for o in built if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("kafka-topics-")]
    assert len(config_maps) == 1 and len(config_maps[0]["data"]["topics.tsv"].splitlines()) == 10_002
    for obj in built:
        size = len(json.dumps(obj, separators=(",", ":")))
        annotations = obj["metadata"].get("annotations", {})
        if size > LAST_APPLIED_LIMIT:
            assert "ServerSideApply=true" in annotations.get("argocd.argoproj.io/sync-options", ""), obj["metadata"]["name"]
    assert len(json.dumps(config_maps[0])) > LAST_APPLIED_LIMIT  # the case is real at this scale
    job = next(o for o in built if o["kind"] == "Job" and o["metadata"]["name"].startswith("kafka-topics-"))
    assert all(len(arg.encode()) < MAX_ARG for arg in job["spec"]["template"]["spec"]["containers"][0]["command"])


def test_the_deadline_leaves_time_to_create_every_topic(prod):
    """A first run creates every topic, each a JVM start or two: half an hour cannot do 10,000."""
    _, job = rendered(prod, declared(10_000))
    assert job["spec"]["activeDeadlineSeconds"] >= 10_000 * 2 * 3
    _, small = rendered(prod, declared(2))
    assert small["spec"]["activeDeadlineSeconds"] >= 1800
