"""Sync-aware causes: the environment's Argo CD Application or Flux Kustomization, read through the
generated RBAC, classifies each drift as pending-sync, out-of-band, sync-failing or unknown.

The sync objects are seeded as Argo CD (2.x/3.x) and Flux's kustomize-controller (v1) write their
status: Argo CD's `status.sync` (the revision compared), `status.operationState` (the last operation,
its phase, message and syncResult), `status.history`; Flux's lastAppliedRevision /
lastAttemptedRevision (`<branch>@sha1:<sha>`) and the Ready condition.
"""
from __future__ import annotations

import copy

import pytest

from helpers import git, load_documents
from gitops_kafka import kustomize
from gitops_kafka.drift import sync
from gitops_kafka.checking import Target, run_check
from gitops_kafka.drift.report import format_text
from kube import KubeAPI, as_applied

FAILED_APPLY = ("one or more objects failed to apply, reason: StatefulSet.apps \"kafka\" is invalid: spec: Forbidden: "
                "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', "
                "'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")


def sync_objects(gitops_repo, env):
    """clusters/<env>/: the sync object and the detector's grant to read it, as generated."""
    return [d for path in sorted((gitops_repo / "clusters" / env).glob("*.yaml"))
            for d in load_documents(path.read_text())]


def find(objects, kind, name=None):
    return next(o for o in objects if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def revisions(gitops_repo):
    return git(gitops_repo, "rev-parse", "main").strip(), git(gitops_repo, "rev-parse", "main~1").strip()


def application(spec_object, applied, compared, phase="Succeeded", message="successfully synced (all tasks run)"):
    """An Application as Argo CD's controller leaves it after an (automated) sync operation."""
    app = copy.deepcopy(spec_object)
    app["metadata"].update(uid="5f0b9a2e-8f0e-4a59-9a53-0b6f1c1e2d3a", resourceVersion="48213", generation=27,
                           creationTimestamp="2026-10-01T08:00:00Z", managedFields=[
                               {"manager": "argocd-controller", "operation": "Update", "apiVersion": "argoproj.io/v1alpha1",
                                "time": "2026-11-24T10:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}])
    source, destination = app["spec"]["source"], app["spec"]["destination"]
    attempted = compared if phase != "Succeeded" else applied
    app["status"] = {
        "sync": {"status": "Synced" if applied == compared and phase == "Succeeded" else "OutOfSync",
                 "revision": compared, "comparedTo": {"source": source, "destination": destination}},
        "health": {"status": "Healthy" if phase == "Succeeded" else "Degraded",
                   "lastTransitionTime": "2026-11-24T10:00:05Z"},
        "operationState": {
            "operation": {"sync": {"revision": attempted, "prune": True, "syncOptions": ["PruneLast=true"],
                                   "syncStrategy": {"hook": {}}},
                          "initiatedBy": {"automated": True},
                          "retry": {"limit": 5, "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"}}},
            "phase": phase, "message": message,
            "startedAt": "2026-11-24T09:59:50Z", "finishedAt": "2026-11-24T10:00:00Z",
            **({"retryCount": 5} if phase == "Failed" else {}),
            "syncResult": {"revision": attempted, "source": source, "resources": [
                {"group": "apps", "version": "v1", "kind": "StatefulSet", "namespace": destination["namespace"],
                 "name": "kafka", "status": "Synced" if phase == "Succeeded" else "SyncFailed",
                 "message": "statefulset.apps/kafka configured" if phase == "Succeeded" else message,
                 "hookPhase": "Running" if phase == "Succeeded" else "Failed", "syncPhase": "Sync"}]}},
        "history": [{"revision": applied, "deployedAt": "2026-11-24T10:00:00Z", "deployStartedAt": "2026-11-24T09:59:50Z",
                     "id": 12, "source": source, "initiatedBy": {"automated": True}}],
        "reconciledAt": "2026-11-24T10:20:00Z", "sourceType": "Kustomize", "controllerNamespace": "argocd",
    }
    return app


def kustomization(spec_object, applied, attempted, ready="True", reason="ReconciliationSucceeded", message=None):
    """A Kustomization as Flux's kustomize-controller (v1) writes its status."""
    obj = copy.deepcopy(spec_object)
    obj["metadata"].update(uid="0c5e3f1a-2b4d-4e6f-8a9b-1c2d3e4f5a6b", resourceVersion="9120", generation=3,
                           creationTimestamp="2026-10-01T08:00:00Z", finalizers=["finalizers.fluxcd.io"])
    conditions = [{"type": "Ready", "status": ready, "reason": reason, "observedGeneration": 3,
                   "lastTransitionTime": "2026-11-24T10:00:00Z",
                   "message": message or f"Applied revision: main@sha1:{applied}"}]
    if ready == "False":
        conditions.insert(0, {"type": "Reconciling", "status": "True", "reason": "ProgressingWithRetry",
                              "observedGeneration": 3, "lastTransitionTime": "2026-11-24T10:00:00Z",
                              "message": f"Detecting drift for revision main@sha1:{attempted} with a timeout of 10m0s"})
    obj["status"] = {"conditions": conditions, "observedGeneration": 3,
                     "lastAppliedRevision": f"main@sha1:{applied}", "lastAttemptedRevision": f"main@sha1:{attempted}",
                     "lastHandledReconcileAt": "2026-11-24T09:59:00Z",
                     "inventory": {"entries": [{"id": "kafka-staging_kafka_apps_StatefulSet", "v": "v1"}]}}
    return obj


@pytest.fixture
def argocd(tmp_path, desired, gitops_repo):
    """The prod cluster with Argo CD: the overlay as applied, the Application, and the detector's grant to read it."""
    cluster = sync_objects(gitops_repo, "prod")
    server = KubeAPI(tmp_path, desired + cluster)
    for obj in desired:
        server.create(as_applied(obj))
    server.cluster = cluster
    yield server
    server.close()


def check(api, gitops_repo, tmp_path, env="prod"):
    return run_check(Target(env=env, source=str(gitops_repo), branch="main", cache=tmp_path / "cache",
                            kubeconfig=str(api.kubeconfig), timeout=2.0))


def scale(api, desired, manager, when="2026-11-24T10:15:00Z", name="kafka"):
    api.edit(find(desired, "StatefulSet", name), lambda live: live["spec"].update(replicas=4), manager,
             {"f:spec": {"f:replicas": {}}}, when)


def causes(report):
    return {(k, n): c for k, n, c in report.sync.causes}


def test_hand_edit_after_a_sync_of_the_tracked_revision_is_out_of_band(argocd, desired, gitops_repo, tmp_path):
    head, _ = revisions(gitops_repo)
    argocd.create(application(find(argocd.cluster, "Application"), head, head))
    scale(argocd, desired, "kubectl-scale")
    report = check(argocd, gitops_repo, tmp_path)
    [obj] = report.drifted()
    assert obj.cause == "out-of-band"
    cause = causes(report)[("StatefulSet", "kafka")]
    assert (cause.cause, cause.manager, cause.time) == ("out-of-band", "kubectl-scale", "2026-11-24T10:15:00Z")
    document = report.to_dict()
    assert [o["cause"] for o in document["objects"] if o["state"] != "in_sync"] == ["out-of-band"]
    assert document["sync"]["status"]["applied"] == head
    assert "out-of-band" in format_text(report) and "kubectl-scale" in format_text(report)
    [family] = [f for f in report.sync.metric_families("prod") if f.name == "gitops_kafka_drift_cause"]
    assert [s.labels for s in family.samples] == [
        {"environment": "prod", "kind": "StatefulSet", "name": "kafka", "cause": "out-of-band"}]


def test_git_ahead_of_the_applied_revision_is_pending_sync(argocd, desired, gitops_repo, tmp_path):
    head, older = revisions(gitops_repo)
    argocd.create(application(find(argocd.cluster, "Application"), older, head))
    scale(argocd, desired, "argocd-controller", when="2026-11-24T09:59:55Z")  # the older revision's value, as applied
    report = check(argocd, gitops_repo, tmp_path)
    assert [o.cause for o in report.drifted()] == ["pending-sync"]
    assert "git is at " + head[:12] in causes(report)[("StatefulSet", "kafka")].message


def test_a_hand_edit_while_git_is_ahead_is_still_out_of_band(argocd, desired, gitops_repo, tmp_path):
    head, older = revisions(gitops_repo)
    argocd.create(application(find(argocd.cluster, "Application"), older, head))
    scale(argocd, desired, "kubectl-edit", when="2026-11-24T10:30:00Z")
    assert [o.cause for o in check(argocd, gitops_repo, tmp_path).drifted()] == ["out-of-band"]


def test_a_failed_sync_operation_is_sync_failing_with_its_message(argocd, desired, gitops_repo, tmp_path):
    head, older = revisions(gitops_repo)
    argocd.create(application(find(argocd.cluster, "Application"), older, head, phase="Failed", message=FAILED_APPLY))
    scale(argocd, desired, "argocd-controller", when="2026-11-24T09:00:00Z")
    report = check(argocd, gitops_repo, tmp_path)
    assert [o.cause for o in report.drifted()] == ["sync-failing"]
    assert causes(report)[("StatefulSet", "kafka")].message == FAILED_APPLY
    assert "FAILING: one or more objects failed to apply" in format_text(report)


def test_without_the_sync_object_the_cause_is_unknown(api, desired, gitops_repo, tmp_path):
    """The plain fixture's server grants only the overlay's RBAC: the Application cannot be read."""
    scale(api, desired, "kubectl-scale")
    report = check(api, gitops_repo, tmp_path)
    assert report.ok and [o.cause for o in report.drifted()] == ["unknown"]
    status = report.sync.status
    assert not status.readable and "forbidden" in status.error


def test_the_generated_grant_reads_only_this_environments_application(argocd, gitops_repo):
    other = copy.deepcopy(find(argocd.cluster, "Application"))
    other["metadata"]["name"] = "someone-else"
    authorizer = argocd.authorizer
    assert authorizer.allows("get", "argoproj.io", "applications", "argocd", "kafka-prod")
    assert not authorizer.allows("get", "argoproj.io", "applications", "argocd", "someone-else")
    assert not authorizer.allows("update", "argoproj.io", "applications", "argocd", "kafka-prod")
    assert not authorizer.allows("list", "argoproj.io", "applications", "argocd", None)


# ---------------------------------------------------------------- Flux

@pytest.fixture
def flux(tmp_path, gitops_repo):
    desired = load_documents(kustomize.build(gitops_repo / "overlays" / "staging"))
    cluster = sync_objects(gitops_repo, "staging")
    server = KubeAPI(tmp_path, desired + cluster)
    for obj in desired:
        server.create(as_applied(obj))
    server.cluster, server.desired = cluster, desired
    yield server
    server.close()


def test_flux_ready_false_is_sync_failing_with_reason_and_message(flux, gitops_repo, tmp_path):
    head, older = revisions(gitops_repo)
    flux.create(kustomization(find(flux.cluster, "Kustomization"), older, head, ready="False",
                              reason="ReconciliationFailed", message="StatefulSet/kafka-staging/kafka dry-run failed"))
    scale(flux, flux.desired, "kustomize-controller", when="2026-11-24T09:00:00Z")
    report = check(flux, gitops_repo, tmp_path, env="staging")
    assert [o.cause for o in report.drifted()] == ["sync-failing"]
    assert causes(report)[("StatefulSet", "kafka")].message == \
        "ReconciliationFailed: StatefulSet/kafka-staging/kafka dry-run failed"


def test_flux_applied_the_tracked_revision_so_a_hand_edit_is_out_of_band(flux, gitops_repo, tmp_path):
    head, older = revisions(gitops_repo)
    flux.create(kustomization(find(flux.cluster, "Kustomization"), head, head))
    scale(flux, flux.desired, "kubectl-scale")
    assert [o.cause for o in check(flux, gitops_repo, tmp_path, env="staging").drifted()] == ["out-of-band"]


def test_flux_behind_git_is_pending_sync(flux, gitops_repo, tmp_path):
    head, older = revisions(gitops_repo)
    flux.create(kustomization(find(flux.cluster, "Kustomization"), older, older))
    scale(flux, flux.desired, "kustomize-controller", when="2026-11-24T09:00:00Z")
    assert [o.cause for o in check(flux, gitops_repo, tmp_path, env="staging").drifted()] == ["pending-sync"]


# ---------------------------------------------------------------- pure

def test_revisions_as_each_tool_writes_them():
    sha = "4f2b1c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c"
    assert sync.revision(sha) == sync.revision(f"main@sha1:{sha}") == sync.revision(f"main/{sha}") == sha
    assert sync.revision("main") is None and sync.revision(None) is None


def test_topics_get_causes_too():
    from gitops_kafka.kafka.metadata import KafkaMetadataReport, TopicStatus

    class Kafka:
        metadata = KafkaMetadataReport(readable=True, topics=(TopicStatus("a", "drift", ("partitions",)),
                                                              TopicStatus("b", "in-sync")), extra_topics=("c",))

    status = sync.SyncStatus("argocd", "kafka-prod", applied="a" * 40)
    section = sync.section(status, "a" * 40, [], Kafka())
    assert [(k, n, c.cause) for k, n, c in section.causes] == [("Topic", "a", "out-of-band"), ("Topic", "c", "out-of-band")]
    assert [c.cause for _, _, c in sync.section(status, "b" * 40, [], Kafka()).causes] == ["pending-sync"] * 2
