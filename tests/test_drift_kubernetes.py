"""Drift of live Kubernetes objects against git, through the official client and a kubeconfig,
against an API server seeded as a real one answers after Argo CD applied the rendered overlay."""
from __future__ import annotations

import copy
import re

import pytest

from gitops_kafka.checking import Target, run_check
from gitops_kafka.drift.report import EXTRA, IN_SYNC, MISSING, MODIFIED
from kube import as_applied

DISCOVERY_PATH = re.compile(r"^/(api|apis/[^/?]+)/[^/?]+/?$")  # /api/v1, /apis/apps/v1


def find(desired, kind, name=None):
    return next(o for o in desired if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def drifted(report):
    return {(o.kind, o.name): o for o in report.objects if o.state != IN_SYNC}


def test_no_drift_when_nothing_was_changed_by_hand(target, desired):
    report = run_check(target)
    assert report.revision and len(report.revision) == 40
    assert {(o.kind, o.name) for o in report.objects} == {(o["kind"], o["metadata"]["name"]) for o in desired}
    assert drifted(report) == {}
    kinds = {o.kind for o in report.objects}
    assert {"Namespace", "ConfigMap", "Service", "StatefulSet", "PodDisruptionBudget", "Deployment", "Job"} <= kinds
    assert all(o.health.status == "healthy" for o in report.objects), [(o.ref, o.health) for o in report.objects]


def only(report, kind, name):
    found = drifted(report)
    assert list(found) == [(kind, name)], {k: (o.state, o.fields) for k, o in found.items()}
    return found[(kind, name)]


CONTAINER = 'k:{"name":"kafka"}'


def test_image_edited(api, target, desired):
    kafka = find(desired, "StatefulSet", "kafka")

    def change(live):
        live["spec"]["template"]["spec"]["containers"][0]["image"] = "confluentinc/cp-kafka:7.9.6"

    api.edit(kafka, change, "kubectl-edit",
             {"f:spec": {"f:template": {"f:spec": {"f:containers": {CONTAINER: {"f:image": {}}}}}}})
    drift = only(run_check(target), "StatefulSet", "kafka")
    assert drift.state == MODIFIED
    [field] = drift.fields
    assert field.path == "spec.template.spec.containers[name=kafka].image"
    assert (field.desired, field.live) == ("confluentinc/cp-kafka:7.9.5", "confluentinc/cp-kafka:7.9.6")
    assert (field.manager, field.time) == ("kubectl-edit", "2026-11-24T10:15:00Z")


def test_replicas_scaled(api, target, desired):
    def change(live):
        live["spec"]["replicas"] = 5

    api.edit(find(desired, "StatefulSet", "kafka-zookeeper"), change, "kubectl-scale", {"f:spec": {"f:replicas": {}}})
    drift = only(run_check(target), "StatefulSet", "kafka-zookeeper")
    [field] = drift.fields
    assert (field.path, field.desired, field.live, field.manager) == ("spec.replicas", 3, 5, "kubectl-scale")


def test_replicas_owned_by_an_autoscaler_are_not_drift(api, target, desired):
    def change(live):
        live["spec"]["replicas"] = 2

    api.edit(find(desired, "Deployment"), change, "kube-controller-manager", {"f:spec": {"f:replicas": {}}})
    assert drifted(run_check(target)) == {}


def test_env_var_added(api, target, desired):
    def change(live):
        live["spec"]["template"]["spec"]["containers"][0]["env"].append({"name": "KAFKA_LOG4J_ROOT_LOGLEVEL",
                                                                         "value": "DEBUG"})

    api.edit(find(desired, "StatefulSet", "kafka"), change, "kubectl-set", {"f:spec": {"f:template": {"f:spec": {
        "f:containers": {CONTAINER: {"f:env": {'k:{"name":"KAFKA_LOG4J_ROOT_LOGLEVEL"}': {
            ".": {}, "f:name": {}, "f:value": {}}}}}}}}})
    drift = only(run_check(target), "StatefulSet", "kafka")
    [field] = drift.fields
    assert field.path == "spec.template.spec.containers[name=kafka].env[name=KAFKA_LOG4J_ROOT_LOGLEVEL]"
    assert field.desired is None and field.live == {"name": "KAFKA_LOG4J_ROOT_LOGLEVEL", "value": "DEBUG"}
    assert field.manager == "kubectl-set"


def test_label_added(api, target, desired):
    def change(live):
        live["metadata"]["labels"]["team"] = "payments"

    api.edit(find(desired, "Service", "kafka"), change, "kubectl-label", {"f:metadata": {"f:labels": {"f:team": {}}}})
    drift = only(run_check(target), "Service", "kafka")
    [field] = drift.fields
    assert (field.path, field.desired, field.live, field.manager) == ("metadata.labels.team", None, "payments",
                                                                       "kubectl-label")


def test_config_map_key_changed(api, target, desired):
    scripts = find(desired, "ConfigMap", "kafka-zookeeper-scripts")

    def change(live):
        live["data"]["ready"] = "#!/usr/bin/env bash\nexit 0\n"

    api.edit(scripts, change, "kubectl-edit", {"f:data": {"f:ready": {}}})
    drift = only(run_check(target), "ConfigMap", scripts["metadata"]["name"])
    [field] = drift.fields
    assert field.path == "data.ready" and field.live == "#!/usr/bin/env bash\nexit 0\n"
    assert field.desired == scripts["data"]["ready"] and field.manager == "kubectl-edit"


def test_object_deleted(api, target, desired):
    api.delete(find(desired, "PodDisruptionBudget", "kafka"))
    drift = only(run_check(target), "PodDisruptionBudget", "kafka")
    assert drift.state == MISSING and drift.fields == ()


def test_extra_labelled_object(api, target, desired):
    extra = copy.deepcopy(find(desired, "ConfigMap"))
    extra["metadata"]["name"] = "left-over"
    api.create(as_applied(extra))
    drift = only(run_check(target), "ConfigMap", "left-over")
    assert drift.state == EXTRA


def test_unlabelled_objects_are_not_ours(api, target, desired):
    other = copy.deepcopy(find(desired, "ConfigMap"))
    other["metadata"] = {"name": "someone-elses", "namespace": "kafka-prod", "labels": {"app": "other"}}
    api.create(as_applied(other))
    assert drifted(run_check(target)) == {}


def test_webhook_injected_sidecar_is_not_drift(api, target, desired):
    """A mutating webhook's additions are attributed to the applier that sent the request."""
    def change(live):
        live["spec"]["template"]["spec"]["containers"].append({"name": "istio-proxy", "image": "istio/proxyv2:1.24.0"})
        live["spec"]["template"]["metadata"].setdefault("annotations", {})["sidecar.istio.io/status"] = "{}"

    api.edit(find(desired, "Deployment"), change, "argocd-controller", {"f:spec": {"f:template": {"f:spec": {
        "f:containers": {'k:{"name":"istio-proxy"}': {".": {}, "f:name": {}, "f:image": {}}}}}}})
    assert drifted(run_check(target)) == {}


def test_ignore_rules_from_the_environment_file(gitops_repo, api, desired, tmp_path):
    import subprocess

    from gitops_kafka.generator import generate

    prod = gitops_repo / "environments" / "prod.yaml"
    original = prod.read_text()
    prod.write_text(original + "detector:\n  ignore:\n    - {kind: StatefulSet, name: kafka, pointer: /spec/replicas}\n")
    subprocess.run(["git", "-C", str(gitops_repo), "commit", "-qam", "ignore replicas"], check=True)
    generate(gitops_repo, ["prod"])
    try:
        def change(live):
            live["spec"]["replicas"] = 4

        api.edit(find(desired, "StatefulSet", "kafka"), change, "kubectl-scale", {"f:spec": {"f:replicas": {}}})
        api.edit(find(desired, "StatefulSet", "kafka-zookeeper"), change, "kubectl-scale", {"f:spec": {"f:replicas": {}}})
        target = Target(env="prod", source=str(gitops_repo), branch="main", cache=tmp_path / "c",
                        kubeconfig=str(api.kubeconfig), timeout=2.0)
        assert list(drifted(run_check(target))) == [("StatefulSet", "kafka-zookeeper")]
    finally:
        prod.write_text(original)
        subprocess.run(["git", "-C", str(gitops_repo), "commit", "-qam", "no ignore"], check=True)
        generate(gitops_repo, ["prod"])


def counted_clone(gitops_repo, tmp_path, monkeypatch):
    """A clone of the GitOps repository to track, and the lists each kustomize build and each parse of
    a build is counted in."""
    import subprocess

    from gitops_kafka import kustomize
    from gitops_kafka.drift import desired as desired_state

    clone = tmp_path / "repo"
    subprocess.run(["git", "clone", "--quiet", str(gitops_repo), str(clone)], check=True)
    builds, parses = [], []
    build, load = kustomize.build, desired_state.load
    monkeypatch.setattr(kustomize, "build", lambda directory, *rest: builds.append(directory) or build(directory, *rest))
    monkeypatch.setattr(desired_state, "load", lambda text: parses.append(text) or load(text))
    return clone, builds, parses


def test_a_daemon_builds_and_parses_a_revision_once_and_again_when_the_branch_moves(api, gitops_repo, tmp_path,
                                                                                      monkeypatch):
    """The Checker a daemon keeps holds the desired state with its revision and environment: a cycle at
    an unchanged revision neither builds nor parses (and reports what a fresh check reports); a commit
    on the tracked branch is read, built and parsed again."""
    import subprocess

    from gitops_kafka.checking import Checker
    from gitops_kafka.drift import desired as desired_state

    clone, builds, parses = counted_clone(gitops_repo, tmp_path, monkeypatch)
    fetches = []
    fetch = desired_state.gitrepo.fetch_branch
    monkeypatch.setattr(desired_state.gitrepo, "fetch_branch", lambda *args, **kw: fetches.append(1) or fetch(*args, **kw))
    target = Target(env="prod", source=str(clone), branch="main", cache=tmp_path / "cache",
                    kubeconfig=str(api.kubeconfig), timeout=2.0)
    checker = Checker()
    try:
        first = checker.run(target)
        second = checker.run(target)
        assert (len(builds), len(parses), len(fetches)) == (1, 1, 1)  # the tip was asked for, not fetched
        assert second.revision == first.revision and second.objects == first.objects and not drifted(second)
        fresh = run_check(Target(**{**target.__dict__, "cache": tmp_path / "other-cache"}))
        assert fresh.objects == second.objects

        namespace = clone / "overlays" / "prod" / "namespace.yaml"  # people edit overlays by hand too
        namespace.write_text(namespace.read_text().replace("enforce: baseline", "enforce: restricted", 1))
        subprocess.run(["git", "-C", str(clone), "-c", "user.email=dev@example.invalid", "-c", "user.name=dev",
                        "commit", "--quiet", "-am", "restricted"], check=True)
        third = checker.run(target)
        assert (len(builds), len(parses), len(fetches)) == (3, 3, 3)  # the fresh check's, and this one's
        assert third.revision != first.revision
        assert [f.path for f in only(third, "Namespace", "kafka-prod").fields] == \
            ["metadata.labels['pod-security.kubernetes.io/enforce']"]
        checker.run(target)
        assert (len(builds), len(parses), len(fetches)) == (3, 3, 3)
    finally:
        checker.close()
    kept = desired_state.load_desired(str(clone), "main", "prod", tmp_path / "cache")
    assert desired_state.load_desired(str(clone), "main", "prod", tmp_path / "cache", known=kept) is kept
    assert len(builds) == 3  # the third cycle's build, kept in the cache clone
    staging = desired_state.load_desired(str(clone), "main", "staging", tmp_path / "cache", known=kept)
    assert staging.config.name == "staging" and len(builds) == 4  # same revision, another environment


def test_a_check_run_again_at_the_same_revision_reads_the_kept_build(api, gitops_repo, tmp_path, monkeypatch):
    """A `check` started again (cron, CI) on an unchanged branch reads the revision's built objects
    back from its cache, and reports the same; another kustomize, an unreadable record or a tree
    whose kustomizations may name a remote base builds again."""
    import json
    import subprocess

    from gitops_kafka import kustomize
    from gitops_kafka.drift import desired as desired_state
    from gitops_kafka.drift.report import format_text
    from gitops_kafka.kube import objects

    clone, builds, parses = counted_clone(gitops_repo, tmp_path, monkeypatch)
    target = Target(env="prod", source=str(clone), branch="main", cache=tmp_path / "cache",
                    kubeconfig=str(api.kubeconfig), timeout=2.0)
    first = run_check(target)
    kept = list((tmp_path / "cache" / ".git" / desired_state.MANIFESTS).glob("*.json"))
    assert (len(builds), len(parses), len(kept)) == (1, 1, 1)
    second = run_check(target)
    assert (len(builds), len(parses)) == (1, 1)
    assert second.objects == first.objects and format_text(second) == format_text(first)
    built = subprocess.run([str(kustomize.kubectl_path()), "kustomize", str(clone / "overlays" / "prod")], check=True,
                           capture_output=True, text=True).stdout
    assert json.loads(kept[0].read_text()) == objects.load(built)
    assert not any((tmp_path / "cache").glob(desired_state.MANIFESTS))  # beside the tree, never in it

    identity = kustomize.identity()
    monkeypatch.setattr(kustomize, "identity", lambda: identity + " upgraded")
    run_check(target)
    assert len(builds) == 2  # another kustomize may build otherwise

    for record in (tmp_path / "cache" / ".git" / desired_state.MANIFESTS).glob("*.json"):
        record.write_text('[{"kind": "Trunc')
    assert run_check(target).objects == first.objects and len(builds) == 3  # unreadable: built again, and kept
    run_check(target)
    assert len(builds) == 3

    kustomization = clone / "overlays" / "prod" / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text() + "# base: https://example.invalid/kafka//overlay?ref=v1\n")
    subprocess.run(["git", "-C", str(clone), "-c", "user.email=dev@example.invalid", "-c", "user.name=dev",
                    "commit", "--quiet", "-am", "a remote base, in a comment"], check=True)
    run_check(target)
    run_check(target)
    assert len(builds) == 5  # what a remote base holds is not the commit's: built every time


def test_only_what_json_holds_exactly_is_kept(tmp_path):
    import datetime
    import os

    from gitops_kafka.drift.desired import KEEP, keep_objects, kept_objects

    plain = ({"kind": "ConfigMap", "data": {"a": "1"}, "n": 1.5, "b": True, "z": None},)
    for odd in ({"kind": "X", "at": datetime.date(2026, 11, 25)}, {"kind": "X", 1: "int key"},
                {"kind": "X", "n": float("nan")}):
        keep_objects(tmp_path / "odd.json", plain + (odd,))
        assert not (tmp_path / "odd.json").exists()
    for index in range(KEEP + 2):
        keep_objects(tmp_path / f"{index}.json", plain)
        os.utime(tmp_path / f"{index}.json", (index, index))  # written cycles apart, as in use
    assert kept_objects(tmp_path / f"{KEEP + 1}.json") == plain
    assert len(list(tmp_path.glob("*.json"))) == KEEP and not list(tmp_path.glob(".*"))


def test_a_daemon_asks_api_discovery_once_not_every_cycle(api, target):
    """Successive checks of one Checker share discovery's answers: the second cycle sends only its reads."""
    from gitops_kafka.checking import Checker

    checker = Checker()
    try:
        api.proxy.paths.clear()
        first = checker.run(target)
        discovery = [p for p in api.proxy.paths if DISCOVERY_PATH.match(p)]
        assert discovery, "the first cycle discovers the group versions it reads"
        api.proxy.paths.clear()
        second = checker.run(target)
        assert [p for p in api.proxy.paths if DISCOVERY_PATH.match(p)] == []
        assert api.proxy.paths and second.objects == first.objects
    finally:
        checker.close()
    api.proxy.paths.clear()
    run_check(target)  # a one-off check starts from nothing
    assert [p for p in api.proxy.paths if DISCOVERY_PATH.match(p)] == discovery


def test_discovery_asks_again_for_a_kind_it_has_not_seen_and_after_its_ttl():
    """A cached answer never hides a kind served since (a CRD installed later)."""
    from gitops_kafka.kube.cluster import Discovery

    now = [0.0]
    discovery = Discovery(ttl=600, clock=lambda: now[0])
    discovery.remember("apps/v1", {"StatefulSet": ("statefulsets", True)})
    assert discovery.lookup("apps/v1", "StatefulSet") == ("statefulsets", True)
    assert discovery.lookup("apps/v1", "Deployment") is None  # not listed: ask the server again
    assert discovery.lookup("v1", "ConfigMap") is None
    now[0] = 601
    assert discovery.lookup("apps/v1", "StatefulSet") is None


def test_a_daemon_compares_again_only_what_changed_since_its_last_cycle(api, target, desired, monkeypatch):
    """Kept comparisons go by the live object's resourceVersion: an edit between cycles is found,
    and the objects nobody wrote are not compared again."""
    from gitops_kafka.checking import Checker
    from gitops_kafka.drift import check as drift_check

    compared = []
    real = drift_check.compare_object
    monkeypatch.setattr(drift_check, "compare_object",
                        lambda obj, *rest: compared.append(obj["metadata"]["name"]) or real(obj, *rest))
    checker = Checker()
    try:
        first = checker.run(target)
        assert not drifted(first) and len(compared) == len(first.objects)
        compared.clear()
        assert not drifted(checker.run(target)) and compared == []
        kafka = find(desired, "StatefulSet", "kafka")

        def change(live):
            live["spec"]["template"]["spec"]["containers"][0]["image"] = "confluentinc/cp-kafka:6.0.0"
        api.edit(kafka, change, "kubectl-edit", {"f:spec": {"f:template": {"f:spec": {"f:containers": {}}}}})
        third = checker.run(target)
        assert compared == ["kafka"]
        assert list(drifted(third)) == [("StatefulSet", "kafka")]
        assert third.objects == run_check(target).objects  # what a fresh check reports
    finally:
        checker.close()


def test_a_daemon_judges_again_only_objects_whose_version_or_claims_changed(api, target, desired, monkeypatch):
    """Each verdict (state, fields, health) is kept by the live object's uid and resourceVersion, and a
    StatefulSet's by its claims' too: a status-only write, a claim that lost its volume and a claim that
    is gone are each seen in the next cycle, as a fresh check sees them; nothing else is judged again."""
    from gitops_kafka.checking import Checker
    from gitops_kafka.drift import check as drift_check
    from kube import bound_claim

    kafka = find(desired, "StatefulSet", "kafka")
    claims = [bound_claim(kafka, template, ordinal) for template in kafka["spec"]["volumeClaimTemplates"]
              for ordinal in range(kafka["spec"]["replicas"])]
    for claim in claims:
        claim["metadata"].pop("finalizers")  # kmock keeps an object with finalizers on delete, and edits replace
        api.create(claim)
    judged = []
    real = drift_check.judge
    monkeypatch.setattr(drift_check, "judge", lambda obj, *rest: judged.append(obj["metadata"]["name"]) or real(obj, *rest))
    health = {}

    def cycle():
        judged.clear()
        report = checker.run(target)
        again = sorted(judged)
        assert report.objects == run_check(target).objects  # what a fresh check reports
        health.update({(o.kind, o.name): o.health for o in report.objects})
        return again

    checker = Checker()
    try:
        assert len(cycle()) == len(desired) and health[("StatefulSet", "kafka")].status == "healthy"
        assert cycle() == []

        def lost(live):
            live["status"]["phase"] = "Lost"
        api.edit(claims[0], lost, "kube-controller-manager", {"f:status": {"f:phase": {}}}, subresource="status")
        assert cycle() == ["kafka"]
        assert health[("StatefulSet", "kafka")].message == "the bound volume is lost"

        api.delete(claims[0])
        assert cycle() == ["kafka"] and health[("StatefulSet", "kafka")].status == "healthy"

        manager = find(desired, "Deployment", "kafka-manager")

        def unavailable(live):
            live["status"]["availableReplicas"] = 0
        api.edit(manager, unavailable, "kube-controller-manager", {"f:status": {"f:availableReplicas": {}}},
                 subresource="status")
        assert cycle() == ["kafka-manager"] and health[("Deployment", "kafka-manager")].status == "degraded"
        assert not drifted(checker.run(target))
    finally:
        checker.close()


def test_an_object_without_uid_or_resource_version_is_judged_every_cycle():
    """Without both, a later object cannot be told from the one judged: nothing is kept for it, or its claims."""
    from gitops_kafka.drift.check import Comparisons
    from gitops_kafka.drift.desired import Desired

    desired_state = Desired("0" * 40, None, ())
    obj = {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "kafka", "namespace": "kafka"},
           "spec": {"replicas": 1}}
    live = {**obj, "metadata": {**obj["metadata"], "uid": "u1", "resourceVersion": "7"},
            "status": {"readyReplicas": 1, "updatedReplicas": 1}}
    claim = {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "data-kafka-0", "uid": "c1"},
             "status": {"phase": "Bound"}}
    comparisons = Comparisons()
    assert comparisons.verdict(desired_state, obj, live, "kafka", [claim], [], {}).health.status == "healthy"
    claim["status"]["phase"] = "Lost"  # written, but no resourceVersion tells
    assert comparisons.verdict(desired_state, obj, live, "kafka", [claim], [], {}).health.status == "degraded"
    claim["metadata"]["resourceVersion"] = "3"
    assert comparisons.verdict(desired_state, obj, live, "kafka", [claim], [], {}).health.status == "degraded"
    claim["status"]["phase"] = "Bound"
    claim["metadata"]["resourceVersion"] = "4"
    assert comparisons.verdict(desired_state, obj, live, "kafka", [claim], [], {}).health.status == "healthy"


def test_a_cycle_reads_and_compares_the_live_objects_with_the_cyclic_collector_paused(api, target, monkeypatch):
    """The LISTs' objects die by reference counting: while they are read and compared no collection
    runs (the collector walks the whole heap), the collector is on again afterwards, also when the
    cluster fails; one someone else turned off stays off."""
    import gc

    from gitops_kafka import checking
    from gitops_kafka.errors import SourceError

    states, collections = [], []
    real = checking.compare_cluster

    def counted(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    def compare(*args):
        states.append(gc.isenabled())
        gc.callbacks.append(counted)
        try:
            return real(*args)
        finally:
            gc.callbacks.remove(counted)
    monkeypatch.setattr(checking, "compare_cluster", compare)
    assert gc.isenabled()
    assert not run_check(target).has_drift()
    assert states == [False] and collections == [] and gc.isenabled()

    def failing(*args):
        raise SourceError("kubernetes", "API server unreachable: timed out")
    monkeypatch.setattr(checking, "compare_cluster", failing)
    with pytest.raises(SourceError):
        run_check(target)
    assert gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(SourceError):
            run_check(target)
        assert not gc.isenabled()
    finally:
        gc.enable()
