"""The daemon: scheduled checks, HTTP endpoints, and faults it survives and recovers from by itself."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.error
import urllib.request

import pytest

from helpers import wait_for
from gitops_kafka.daemon import Daemon
from gitops_kafka.checking import Target, run_check


def get(daemon, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{daemon.port}{path}", timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(text, metric_name, **labels):
    """The value of one sample of the Prometheus text format, or None."""
    for line in text.splitlines():
        if line.startswith(metric_name + "{") or line.startswith(metric_name + " "):
            series, value = line.rsplit(" ", 1)
            if all(f'{k}="{v}"' in series for k, v in labels.items()):
                return float(value)
    return None


@pytest.fixture
def daemon(target):
    daemon = Daemon(target, interval=3600, host="127.0.0.1", port=0)
    yield daemon
    daemon.stop()


def test_endpoints_after_the_first_check(daemon):
    daemon.start()
    wait_for(lambda: get(daemon, "/readyz")[0] == 200)
    assert get(daemon, "/healthz") == (200, "ok\n")
    status, body = get(daemon, "/drift")
    report = json.loads(body)
    assert status == 200 and report["in_sync"] is True and report["stale"] is False
    assert len(report["revision"]) == 40 and report["counts"]["in_sync"] == len(report["objects"])
    status, text = get(daemon, "/metrics")
    assert metric(text, "gitops_kafka_check_success", environment="prod") == 1.0
    assert metric(text, "gitops_kafka_checks_total", environment="prod") == 1.0
    assert metric(text, "gitops_kafka_object_drift", kind="StatefulSet", name="kafka", state="in_sync") == 1.0
    assert metric(text, "gitops_kafka_object_health", kind="StatefulSet", name="kafka", status="healthy") == 1.0
    assert metric(text, "gitops_kafka_git_revision_info", revision=report["revision"]) == 1.0
    assert metric(text, "gitops_kafka_check_errors_total", source="kubernetes") == 0.0
    assert metric(text, "gitops_kafka_check_last_success_timestamp_seconds", environment="prod") > 1.7e9
    assert get(daemon, "/nope")[0] == 404


def test_not_ready_before_the_first_successful_check(target):
    gate = threading.Event()

    def slow_check(t):
        gate.wait(30)
        return run_check(t)

    daemon = Daemon(target, interval=3600, host="127.0.0.1", port=0, check=slow_check)
    daemon.start()
    try:
        assert get(daemon, "/healthz")[0] == 200
        assert get(daemon, "/readyz")[0] == 503
        assert json.loads(get(daemon, "/drift")[1])["status"] == "pending"
        gate.set()
        wait_for(lambda: get(daemon, "/readyz")[0] == 200)
    finally:
        gate.set()
        daemon.stop()


def test_drift_appears_and_disappears_with_the_cluster(daemon, api, desired):
    from kube import as_applied

    daemon.start()
    wait_for(lambda: get(daemon, "/readyz")[0] == 200)
    pdb = next(o for o in desired if o["kind"] == "PodDisruptionBudget")
    api.delete(pdb)
    daemon.run_once()
    text = get(daemon, "/metrics")[1]
    assert metric(text, "gitops_kafka_object_drift", kind="PodDisruptionBudget", name=pdb["metadata"]["name"],
                  state="missing") == 1.0
    assert metric(text, "gitops_kafka_objects", state="missing") == 1.0
    api.create(as_applied(pdb))
    daemon.run_once()
    text = get(daemon, "/metrics")[1]
    assert metric(text, "gitops_kafka_object_drift", kind="PodDisruptionBudget", state="missing") is None
    assert metric(text, "gitops_kafka_objects", state="missing") == 0.0


@pytest.mark.parametrize("fault, words", [
    (401, "unauthorized"), (403, "forbidden"), (500, "API server error (HTTP 500)"), (503, "HTTP 503"),
    ("slow", "timed out"), ("down", "unreachable"),
])
def test_kubernetes_faults_keep_the_last_good_report_and_recover(daemon, api, fault, words):
    daemon.start()
    wait_for(lambda: get(daemon, "/readyz")[0] == 200)
    good = json.loads(get(daemon, "/drift")[1])
    api.proxy.mode = fault
    report = daemon.run_once()
    assert report.stale and report.errors[0].source == "kubernetes" and words in report.errors[0].message
    document = json.loads(get(daemon, "/drift")[1])
    assert document["stale"] is True and document["objects"] == good["objects"]
    assert words in document["errors"][0]["message"]
    text = get(daemon, "/metrics")[1]
    assert metric(text, "gitops_kafka_check_success", environment="prod") == 0.0
    assert metric(text, "gitops_kafka_check_errors_total", source="kubernetes") == 1.0
    assert metric(text, "gitops_kafka_report_stale", environment="prod") == 1.0
    assert get(daemon, "/healthz")[0] == 200 and get(daemon, "/readyz")[0] == 200
    api.proxy.mode = None
    report = daemon.run_once()
    assert not report.stale and not report.errors
    text = get(daemon, "/metrics")[1]
    assert metric(text, "gitops_kafka_check_success", environment="prod") == 1.0
    assert metric(text, "gitops_kafka_report_stale", environment="prod") == 0.0


def test_git_remote_unreachable_then_back(gitops_repo, api, tmp_path):
    remote = tmp_path / "remote"
    subprocess.run(["git", "clone", "-q", "--bare", str(gitops_repo), str(remote)], check=True)
    target = Target("prod", str(remote), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0)
    daemon = Daemon(target, interval=3600)
    assert not daemon.run_once().stale
    shutil.move(remote, tmp_path / "gone")
    report = daemon.run_once()
    assert report.stale and report.errors[0].source == "git" and "cannot fetch" in report.errors[0].message
    assert daemon.state.errors == {"git": 1}
    shutil.move(tmp_path / "gone", remote)
    assert not daemon.run_once().stale


def test_credentials_in_the_git_url_never_reach_the_report(api, tmp_path):
    target = Target("prod", "http://deploy:s3cr3t-token@127.0.0.1:9/repo.git", "main", tmp_path / "cache",
                    str(api.kubeconfig), timeout=2.0)
    report = Daemon(target, interval=3600).run_once()
    assert report.errors[0].source == "git"
    assert "s3cr3t-token" not in json.dumps(report.to_dict()) and "***@127.0.0.1" in report.errors[0].message


def test_failing_kustomize_build_then_fixed(gitops_repo, api, tmp_path):
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(gitops_repo), str(work)], check=True)
    target = Target("prod", str(work), "main", tmp_path / "cache", str(api.kubeconfig), timeout=2.0)
    daemon = Daemon(target, interval=3600)
    assert not daemon.run_once().stale
    kustomization = work / "overlays" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace("- namespace.yaml", "- does-not-exist.yaml"))
    subprocess.run(["git", "-C", str(work), "commit", "-qam", "broken overlay"], check=True)
    report = daemon.run_once()
    assert report.stale and report.errors[0].source == "kustomize" and "does-not-exist.yaml" in report.errors[0].message
    subprocess.run(["git", "-C", str(work), "revert", "--no-edit", "HEAD"], check=True, capture_output=True)
    report = daemon.run_once()
    assert not report.stale and report.revision == subprocess.run(
        ["git", "-C", str(work), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()


def test_one_check_at_a_time_and_missed_runs_coalesced(target):
    running, peak, calls = [0], [0], []
    lock = threading.Lock()

    def slow_check(t):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        calls.append(time.monotonic())
        time.sleep(0.5)
        with lock:
            running[0] -= 1
        return run_check(t)

    daemon = Daemon(target, interval=0.1, host="127.0.0.1", port=0, check=slow_check)
    daemon.start()
    try:
        wait_for(lambda: len(calls) >= 4)
    finally:
        daemon.stop()
    assert peak[0] == 1


STATEFUL_SETS = "/apis/apps/v1/namespaces/kafka-prod/statefulsets"


@pytest.mark.parametrize("body, words", [
    (b'{"kind": "StatefulSetList", "items": [null]}', "malformed object (null)"),
    (b'{"kind": "StatefulSetList", "items": [{"metadata": {"labels": {}}}]}', "malformed object (no metadata.name)"),
    (b'{"kind": "StatefulSetList", "items": {"kafka": {}}}', "malformed items"),
    (b'[' * 100000 + b']' * 100000, "not JSON"),  # nested beyond the parser's recursion limit
])
def test_a_malformed_api_answer_is_a_failed_check_and_the_next_good_answer_recovers(daemon, api, body, words):
    assert not daemon.run_once().stale
    api.proxy.answers[STATEFUL_SETS] = body
    report = daemon.run_once()
    assert report.stale and report.errors[0].source == "kubernetes" and words in report.errors[0].message
    daemon.start()  # its first tick fails too, and the schedule still goes on
    wait_for(lambda: daemon.state.checks >= 2 and daemon._scheduler.get_job("check") is not None)
    text = get(daemon, "/metrics")[1]
    assert metric(text, "gitops_kafka_check_success", environment="prod") == 0.0
    assert metric(text, "gitops_kafka_report_stale", environment="prod") == 1.0
    assert metric(text, "gitops_kafka_check_errors_total", source="kubernetes") >= 2.0
    del api.proxy.answers[STATEFUL_SETS]
    report = daemon.run_once()
    assert not report.stale and not report.has_drift()
    assert metric(get(daemon, "/metrics")[1], "gitops_kafka_check_success", environment="prod") == 1.0


def test_a_bug_on_the_very_first_tick_fails_that_check_and_the_schedule_goes_on(target):
    calls = []

    def buggy_then_fine(t):
        calls.append(time.monotonic())
        if len(calls) == 1:
            raise RecursionError("maximum recursion depth exceeded while calling a Python object")
        if len(calls) == 2:
            raise KeyError("metadata")
        return run_check(t)

    daemon = Daemon(target, interval=0.2, host="127.0.0.1", port=0, check=buggy_then_fine)
    daemon.start()
    try:
        wait_for(lambda: daemon.state.checks >= 1)
        assert get(daemon, "/readyz")[0] == 503  # honest: nothing has been checked yet
        text = get(daemon, "/metrics")[1]
        assert metric(text, "gitops_kafka_check_success", environment="prod") == 0.0
        assert metric(text, "gitops_kafka_check_errors_total", source="internal") >= 1.0
        document = json.loads(get(daemon, "/drift")[1])
        assert document["stale"] is True and "unexpected RecursionError" in document["errors"][0]["message"]
        wait_for(lambda: get(daemon, "/readyz")[0] == 200)
        text = get(daemon, "/metrics")[1]
        assert metric(text, "gitops_kafka_check_errors_total", source="internal") == 2.0
        assert metric(text, "gitops_kafka_check_success", environment="prod") == 1.0
        assert set(daemon.state.errors) <= {"internal"}
    finally:
        daemon.stop()


def test_an_unexpected_error_inside_the_check_is_counted_as_internal(daemon, monkeypatch):
    from gitops_kafka.drift import check

    def broken(*args, **kwargs):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(check, "compare_object", broken)
    report = daemon.run_once()
    assert report.stale and report.errors[0].source == "internal"
    assert report.errors[0].message.startswith("unexpected TypeError: 'NoneType' object is not subscriptable")
    monkeypatch.undo()
    assert not daemon.run_once().stale and daemon.state.errors == {"internal": 1}


def test_each_check_publishes_a_new_immutable_state(tmp_path):
    """Readers take no lock: what one of them holds never changes under it; the next check replaces it whole."""
    import dataclasses

    from gitops_kafka.drift.report import DriftReport
    from gitops_kafka.errors import SourceError

    target = Target("prod", str(tmp_path), "main", tmp_path / "cache")
    answers = iter([DriftReport("prod", "abc", 1.0, 0.1), SourceError("git", "git: cannot fetch")])

    def check(_):
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return answer

    daemon = Daemon(target, interval=3600, check=check)
    before = daemon.state
    daemon.run_once()
    first = daemon.state
    assert first is not before and (before.checks, before.report) == (0, None)
    daemon.run_once()
    assert (first.checks, first.last_ok, dict(first.errors), first.report.stale) == (1, True, {}, False)
    assert (daemon.state.checks, daemon.state.last_ok, dict(daemon.state.errors)) == (2, False, {"git": 1})
    assert [e.source for e in daemon.state.report.errors] == ["git"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        daemon.state.checks = 0
    with pytest.raises(TypeError):
        daemon.state.errors["git"] = 0
