"""The daemon stops on SIGTERM (what Kubernetes sends) and SIGINT (Ctrl-C), cleanly and with exit 0.

Before, its main thread waited on an Event without a timeout, which no signal interrupts
(Ctrl-C hung; SIGTERM killed it mid-check), and stopping during the first check deadlocked
in the scheduler's shutdown."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from helpers import run_cli


KUBECONFIG = """apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {{server: "http://127.0.0.1:{port}"}}
users:
- name: nobody
  user: {{token: not-a-secret}}
contexts:
- name: nowhere
  context: {{cluster: nowhere, user: nobody}}
current-context: nowhere
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_daemon_stops_on_a_signal(repo, tmp_path, sig):
    assert run_cli("generate", "--all", cwd=repo).returncode == 0
    port = free_port()
    env = {**os.environ, "HOME": str(tmp_path), "GITOPS_KAFKA_ZOOKEEPER": f"127.0.0.1:{free_port()}"}
    kubeconfig = tmp_path / "kubeconfig"  # an API server address where nothing listens: every check fails
    kubeconfig.write_text(KUBECONFIG.format(port=free_port()))
    process = subprocess.Popen([sys.executable, "-m", "gitops_kafka", "daemon", "--env", "prod", "--kubeconfig",
                                str(kubeconfig), "--listen", f"127.0.0.1:{port}", "--timeout", "1"], cwd=repo, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(600):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                assert process.poll() is None, process.communicate()
                time.sleep(0.1)
        process.send_signal(sig)
        stdout, stderr = process.communicate(timeout=120)  # a hang guard, not a timing claim
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr and "stopping" in stderr
