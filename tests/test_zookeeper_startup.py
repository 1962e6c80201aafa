"""The generated ZooKeeper start-up, run: three real members from the rendered StatefulSet.

Each member runs the StatefulSet's container command (`bash /scripts/run`) on the scripts
of the rendered ConfigMap, with the container's env. What differs from a pod, and why:
- paths: the volume mounts (/data, /conf, /logs, /scripts) are temporary folders;
- the downward API: POD_NAME and POD_NAMESPACE are given as the kubelet would;
- ports: the three members share one loopback, so each has its own client, server,
  election and metrics port (in a pod every member has the rendered ones on its own IP);
- zkServer.sh: the official image's launcher becomes a shim over Debian's jar that points
  each peer's DNS name (unresolvable here) at its loopback ports and leaves out the
  Prometheus metrics provider, which Debian's jar lacks.
The probes are the rendered exec commands, run with the member's env.
"""
from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import PROJECT
from gitops_kafka.config import load_environment
from gitops_kafka.render import zookeeper
from zookeeper_servers import CLASSPATH, MAIN, eventually, free_port, installed, mode

SHIM = """#!/bin/sh
# zkServer.sh start-foreground CONFIG on Debian's ZooKeeper jar, for members sharing one loopback.
[ "$1" = start-foreground ] || { echo "unexpected: zkServer.sh $*" >&2; exit 2; }
cfg="$2"
cp "$cfg" "$cfg.generated"
sed -i -e '/^metricsProvider\\./d' {rewrites} "$cfg"
exec java $SERVER_JVMFLAGS -cp {classpath} {main} "$cfg"
"""


@dataclass
class Pod:
    ordinal: int
    env: dict[str, str]
    command: list[str]
    process: subprocess.Popen | None = None

    @property
    def client_port(self) -> int:
        return int(self.env["ZK_CLIENT_PORT"])

    def start(self, log: Path) -> None:
        with open(log, "ab") as out:
            self.process = subprocess.Popen(self.command, env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def probe(self, probe: dict) -> int:
        return subprocess.run(probe, env=self.env, capture_output=True, timeout=30).returncode


def local_path(path: str, mounts: dict[str, Path]) -> str:
    for mount, folder in mounts.items():
        if path == mount or path.startswith(mount + "/"):
            return str(folder) + path[len(mount):]
    return path


@pytest.fixture(scope="module")
def ensemble(tmp_path_factory):
    if not installed():
        pytest.fail("ZooKeeper is not installed: apt-get install -y zookeeper (see .ci/run)")
    config = load_environment(PROJECT, "prod")
    objects = {(o["kind"], o["metadata"]["name"]): o for o in zookeeper.render(config)}
    stateful_set = objects[("StatefulSet", zookeeper.base_name(config))]
    scripts = objects[("ConfigMap", f"{zookeeper.base_name(config)}-scripts")]
    pod_spec = stateful_set["spec"]["template"]["spec"]
    container = pod_spec["containers"][0]
    replicas = stateful_set["spec"]["replicas"]
    assert replicas == 3

    root = tmp_path_factory.mktemp("zk-pods")
    ports = [{"ZK_CLIENT_PORT": free_port(), "ZK_SERVER_PORT": free_port(), "ZK_ELECTION_PORT": free_port(),
              "ZK_METRICS_PORT": free_port()} for _ in range(replicas)]
    shim_dir = root / "image-bin"
    shim_dir.mkdir()
    rewrites = " ".join(f"-e 's|^server\\.{i + 1}=.*|server.{i + 1}=127.0.0.1:{p['ZK_SERVER_PORT']}:{p['ZK_ELECTION_PORT']}|'"
                        for i, p in enumerate(ports))
    (shim_dir / "zkServer.sh").write_text(SHIM.replace("{rewrites}", rewrites).replace("{classpath}", CLASSPATH)
                                          .replace("{main}", MAIN))
    (shim_dir / "zkServer.sh").chmod(0o755)

    pods = []
    for ordinal in range(replicas):
        folder = root / f"{stateful_set['metadata']['name']}-{ordinal}"
        mounts = {m["mountPath"]: folder / m["name"] for m in container["volumeMounts"]}
        for path in mounts.values():
            path.mkdir(parents=True)
        for key, text in scripts["data"].items():
            (mounts[zookeeper.SCRIPTS_DIR] / key).write_text(text)
        env = {}
        for item in container["env"]:
            if "value" in item:
                env[item["name"]] = local_path(item["value"], mounts)
            else:
                field = item["valueFrom"]["fieldRef"]["fieldPath"]
                env[item["name"]] = {"metadata.name": f"{stateful_set['metadata']['name']}-{ordinal}",
                                     "metadata.namespace": config.namespace}[field]
        env.update({k: str(v) for k, v in ports[ordinal].items()})
        env["PATH"] = f"{shim_dir}:{os.environ['PATH']}"
        env["HOME"] = str(folder)
        pod = Pod(ordinal, env, [local_path(part, mounts) for part in container["command"]])
        pod.mounts = mounts
        pods.append(pod)
    for pod in pods:
        pod.start(root / f"pod-{pod.ordinal}.log")
    try:
        yield {"pods": pods, "container": container, "root": root, "config": config}
    finally:
        for pod in pods:
            pod.stop()


def probe_command(ensemble, pod: Pod, name: str) -> list[str]:
    return [local_path(part, pod.mounts) for part in ensemble["container"][name]["exec"]["command"]]


def logs(ensemble) -> str:
    return "\n".join(p.read_text()[-1500:] for p in sorted(ensemble["root"].glob("pod-*.log")))


def test_three_members_elect_one_leader(ensemble):
    pods = ensemble["pods"]
    modes = eventually(lambda: (lambda m: m if all(m) else None)([mode(p.client_port) for p in pods]), timeout=90)
    assert sorted(modes) == ["follower", "follower", "leader"], logs(ensemble)
    for pod in pods:
        data = Path(pod.env["ZK_DATA_DIR"])
        assert (data / "myid").read_text() == f"{pod.ordinal + 1}\n"
        generated = (Path(pod.env["ZOOCFGDIR"]) / "zoo.cfg.generated").read_text()
        domain = f"kafka-zookeeper-headless.{ensemble['config'].namespace}.svc.cluster.local"
        assert re.findall(r"^server\.(\d)=kafka-zookeeper-(\d)\." + re.escape(domain) + ":", generated, re.M) == \
            [("1", "0"), ("2", "1"), ("3", "2")]
        # The provider class of ZooKeeper's zookeeper-prometheus-metrics jar, which the official image's
        # lib/ holds (Debian's package has no such jar, hence the shim); there is no "...Factory" class.
        assert "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider\n" \
            in generated


def test_probes_pass_in_quorum_and_readiness_fails_without(ensemble):
    pods = ensemble["pods"]
    eventually(lambda: all(mode(p.client_port) for p in pods), timeout=90)
    for pod in pods:
        assert pod.probe(probe_command(ensemble, pod, "readinessProbe")) == 0
        assert pod.probe(probe_command(ensemble, pod, "livenessProbe")) == 0
        assert pod.probe(probe_command(ensemble, pod, "startupProbe")) == 0
    survivor, *others = pods
    for pod in others:
        pod.stop()
    eventually(lambda: mode(survivor.client_port) is None, timeout=60)
    assert survivor.probe(probe_command(ensemble, survivor, "readinessProbe")) != 0
    # Quorum loss is not a reason to restart: the survivor still answers ruok.
    assert survivor.probe(probe_command(ensemble, survivor, "livenessProbe")) == 0
    for pod in others:
        pod.start(ensemble["root"] / f"pod-{pod.ordinal}.log")
    eventually(lambda: all(mode(p.client_port) for p in pods), timeout=90)
    assert survivor.probe(probe_command(ensemble, survivor, "readinessProbe")) == 0
