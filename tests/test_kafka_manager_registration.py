"""The CMAK registration Job's own script, run as its image runs it, against a CMAK stand-in.

The Job's image (curlimages/curl) is Alpine: busybox's sh and applets plus curl. The test
gives the script exactly that, a PATH holding busybox applets and curl, and the Job's env
with one change: CMAK_SERVICE points at the stand-in's loopback port instead of the Service.
"""
from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from cmak import Cmak
from helpers import PROJECT
from gitops_kafka.config import load_environment
from gitops_kafka.render import kafka_manager

APPLETS = ("sh", "awk", "grep", "sed", "seq", "sleep", "printf", "cat", "tr")


@pytest.fixture(scope="module")
def image_path(tmp_path_factory) -> str:
    """A bin folder with what the curl image has: busybox applets and curl, nothing else."""
    busybox, curl = shutil.which("busybox"), shutil.which("curl")
    assert busybox and curl, "busybox and curl are needed (.ci/run installs them)"
    folder = tmp_path_factory.mktemp("image-bin")
    for applet in APPLETS:
        (folder / applet).symlink_to(busybox)
    (folder / "curl").symlink_to(curl)
    return str(folder)


@pytest.fixture(scope="module")
def job():
    return kafka_manager.registration_job(load_environment(PROJECT, "prod"))


def run_job(job: dict, cmak: Cmak, image_path: str) -> subprocess.CompletedProcess:
    container = job["spec"]["template"]["spec"]["containers"][0]
    assert container["command"][:2] == ["sh", "-c"]
    env = {e["name"]: e["value"] for e in container["env"]}
    env["CMAK_SERVICE"] = cmak.address
    env["PATH"] = image_path
    return subprocess.run([os.path.join(image_path, "sh"), "-c", container["command"][2]], env=env,
                          capture_output=True, text=True, timeout=300)


def env_of(job: dict) -> dict[str, str]:
    return {e["name"]: e["value"] for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}


def test_registers_once_with_the_form_cmak_accepts(job, image_path):
    with Cmak(list_lag=2) as cmak:
        result = run_job(job, cmak, image_path)
    assert result.returncode == 0, result.stderr
    assert len(cmak.posts) == 1
    form = cmak.posts[0]
    env = env_of(job)
    assert form["name"] == env["CLUSTER_NAME"] == "kafka"
    assert form["zkHosts"] == env["KAFKA_ZK_HOSTS"]
    assert cmak.names() == ["kafka"]
    assert "registered cluster kafka" in result.stdout


def test_an_already_registered_cluster_is_left_alone(job, image_path):
    """CMAK pretty-prints `"name" : "kafka"`: the Job must see it and POST nothing."""
    with Cmak() as cmak:
        cmak.register("kafka", "kafka-zookeeper:2181")
        assert '"name" : "kafka"' in cmak.clusters_json()
        result = run_job(job, cmak, image_path)
    assert result.returncode == 0, result.stderr
    assert cmak.posts == []
    assert "already registered" in result.stdout


def test_a_second_run_posts_nothing(job, image_path):
    with Cmak() as cmak:
        first = run_job(job, cmak, image_path)
        second = run_job(job, cmak, image_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert len(cmak.posts) == 1


def test_the_name_is_matched_by_structure_not_as_text(job, image_path):
    """Another cluster whose ZooKeeper string or name merely contains "kafka" is not ours."""
    with Cmak() as cmak:
        cmak.register("kafka-old", "kafka:2181/kafka")
        result = run_job(job, cmak, image_path)
    assert result.returncode == 0, result.stderr
    assert len(cmak.posts) == 1
    assert sorted(cmak.names()) == ["kafka", "kafka-old"]


def test_a_registration_made_meanwhile_is_success(job, image_path):
    """CMAK refuses a duplicate ("Cluster already exists") before its list shows the cluster."""
    with Cmak() as cmak:
        # The Job reads the list twice before it posts (CMAK up? cluster listed?): both miss it.
        cmak.register("kafka", "kafka-zookeeper:2181", listed_from_read=3)
        result = run_job(job, cmak, image_path)
    assert result.returncode == 0, result.stderr
    assert len(cmak.posts) == 1
    assert "registered meanwhile" in result.stdout
    assert cmak.names() == ["kafka"]


def test_a_refusal_fails_the_job_and_says_why(job, image_path):
    with Cmak(refuse="Cluster is marked for deletion : kafka") as cmak:
        result = run_job(job, cmak, image_path)
    assert result.returncode != 0
    assert "Cluster is marked for deletion : kafka" in result.stderr
    assert len(cmak.posts) == 1


def test_the_stand_in_writes_jacksons_pretty_format():
    """What json4s' writePretty (Jackson's DefaultPrettyPrinter) makes of a small cluster list."""
    from cmak import jackson_pretty

    text = jackson_pretty({"clusters": {"active": [{"name": "kafka", "curatorConfig": {"zkConnect": "zk:2181"},
                                                    "enabled": True, "version": {}}], "pending": []}})
    assert text == (
        '{\n'
        '  "clusters" : {\n'
        '    "active" : [ {\n'
        '      "name" : "kafka",\n'
        '      "curatorConfig" : {\n'
        '        "zkConnect" : "zk:2181"\n'
        '      },\n'
        '      "enabled" : true,\n'
        '      "version" : { }\n'
        '    } ],\n'
        '    "pending" : [ ]\n'
        '  }\n'
        '}')
