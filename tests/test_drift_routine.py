"""Routine operations and the GitOps tools' own marks are not drift (issue: a detector that cries wolf gets muted).

Each test writes what the real operation leaves on the live objects, managedFields
included, and checks the whole environment through the generated RBAC.
"""
from __future__ import annotations

import copy

from gitops_kafka.checking import run_check
from gitops_kafka.drift.report import IN_SYNC, MODIFIED
from kube import APPLIER, APPLIED_AT, as_applied, bound_claim

RESTARTED = "2026-11-24T09:30:12Z"


def find(desired, kind, name=None):
    return next(o for o in desired if o["kind"] == kind and (name is None or o["metadata"]["name"] == name))


def drifted(report):
    return {(o.kind, o.name): o for o in report.objects if o.state != IN_SYNC}


def rollout_restart(api, obj):
    """What `kubectl rollout restart` does: patch the pod template's restartedAt annotation (manager kubectl-rollout)."""
    def change(live):
        live["spec"]["template"]["metadata"].setdefault("annotations", {})[
            "kubectl.kubernetes.io/restartedAt"] = RESTARTED

    api.edit(obj, change, "kubectl-rollout", {"f:spec": {"f:template": {"f:metadata": {"f:annotations": {
        ".": {}, "f:kubectl.kubernetes.io/restartedAt": {}}}}}})


def test_rollout_restart_is_not_drift(api, target, desired):
    rollout_restart(api, find(desired, "StatefulSet", "kafka"))
    rollout_restart(api, find(desired, "Deployment"))
    assert drifted(run_check(target)) == {}


def test_a_hand_added_template_annotation_is_reported_by_its_key_not_as_the_whole_map(api, target, desired):
    kafka = find(desired, "StatefulSet", "kafka")
    rollout_restart(api, kafka)

    def change(live):
        live["spec"]["template"]["metadata"]["annotations"]["example.com/owner"] = "team-a"

    api.edit(kafka, change, "kubectl-annotate", {"f:spec": {"f:template": {"f:metadata": {"f:annotations": {
        ".": {}, "f:example.com/owner": {}}}}}}, when="2026-11-24T11:00:00Z")
    drift = drifted(run_check(target))[("StatefulSet", "kafka")]
    assert [(f.path, f.desired, f.live, f.manager) for f in drift.fields] == [
        ("spec.template.metadata.annotations['example.com/owner']", None, "team-a", "kubectl-annotate")]


def test_kubectl_scale_back_to_gits_value_is_not_drift(api, target, desired):
    zookeeper = find(desired, "StatefulSet", "kafka-zookeeper")
    declared = zookeeper["spec"]["replicas"]

    def scale(count):
        def change(live):
            live["spec"]["replicas"] = count
        return change

    api.edit(zookeeper, scale(declared + 2), "kubectl", {"f:spec": {"f:replicas": {}}}, subresource="scale")
    assert list(drifted(run_check(target))) == [("StatefulSet", "kafka-zookeeper")]
    api.edit(zookeeper, scale(declared), "kubectl", {"f:spec": {"f:replicas": {}}}, subresource="scale",
             when="2026-11-24T12:00:00Z")
    assert drifted(run_check(target)) == {}


def test_bound_claims_are_not_drift_and_are_healthy(api, target, desired):
    for stateful_set in (o for o in desired if o["kind"] == "StatefulSet"):
        for template in stateful_set["spec"].get("volumeClaimTemplates", []):
            for ordinal in range(stateful_set["spec"]["replicas"]):
                api.create(bound_claim(stateful_set, template, ordinal))
    report = run_check(target)
    assert drifted(report) == {}
    assert {o.kind for o in report.objects} == {o["kind"] for o in desired}  # claims are not extras
    assert all(o.health.status == "healthy" for o in report.objects if o.kind == "StatefulSet")


def test_one_claim_list_per_selector_and_each_stateful_set_gets_only_its_claims(api, target, desired):
    """Claims are listed once per namespace and selector, then matched by name: a claim carrying kafka's
    labels but named for another StatefulSet (a deleted `kafka-old`, kept by its retention policy) is not
    kafka's, even when it is Pending."""
    kafka, zookeeper = find(desired, "StatefulSet", "kafka"), find(desired, "StatefulSet", "kafka-zookeeper")
    for stateful_set in (kafka, zookeeper):
        for ordinal in range(stateful_set["spec"]["replicas"]):
            api.create(bound_claim(stateful_set, stateful_set["spec"]["volumeClaimTemplates"][0], ordinal))
    old = copy.deepcopy(kafka)
    old["metadata"]["name"] = "kafka-old"
    stray = bound_claim(old, old["spec"]["volumeClaimTemplates"][0], 0)
    stray["status"]["phase"] = "Lost"
    api.create(stray)
    pending = bound_claim(zookeeper, zookeeper["spec"]["volumeClaimTemplates"][0], 3)  # not bound yet
    pending["status"] = {"phase": "Pending"}
    api.create(pending)
    api.proxy.paths.clear()
    report = run_check(target)
    health = {o.name: o.health.status for o in report.objects if o.kind == "StatefulSet"}
    assert health == {"kafka": "healthy", "kafka-zookeeper": "progressing"}
    claim_lists = [p for p in api.proxy.paths if p.split("?")[0].endswith("/persistentvolumeclaims")]
    assert len(claim_lists) == 2  # one per selector (the two StatefulSets here have one each)


def test_stateful_sets_sharing_a_selector_share_one_claim_list():
    """Two StatefulSets with one selector (a copy under a new name): one list, each its own claims."""
    from gitops_kafka.drift.check import claims_of

    selector = {"app.kubernetes.io/name": "kafka"}

    def stateful_set(name, templates=("data",)):
        return {"metadata": {"name": name}, "spec": {"selector": {"matchLabels": selector},
                                                     "volumeClaimTemplates": [{"metadata": {"name": t}}
                                                                              for t in templates]}}

    def claim(name, labels=selector):
        return {"metadata": {"name": name, "labels": dict(labels)}, "status": {"phase": "Bound"}}

    class Cluster:  # answers a labelled list as the API server does
        def __init__(self, claims):
            self.claims, self.lists = claims, []

        def list_labelled(self, api_version, kind, namespace, labels):
            self.lists.append((kind, namespace, labels))
            return [c for c in self.claims if all(c["metadata"]["labels"].get(k) == v for k, v in labels.items())]

    cluster = Cluster([claim("data-kafka-0"), claim("data-kafka-1"), claim("data-kafka-b-0"), claim("logs-kafka-b-0"),
                       claim("data-kafka-backup-0"), claim("data-kafka-x"), claim("data-kafka-2", {"other": "x"})])
    found = claims_of([(stateful_set("kafka"), "ns"), (stateful_set("kafka-b", ("data", "logs")), "ns")], cluster)
    names = {key: sorted(c["metadata"]["name"] for c in claims) for key, claims in found.items()}
    assert names == {("ns", "kafka"): ["data-kafka-0", "data-kafka-1"],
                     ("ns", "kafka-b"): ["data-kafka-b-0", "logs-kafka-b-0"]}
    assert cluster.lists == [("PersistentVolumeClaim", "ns", selector)]


def test_a_declared_claim_once_bound_is_in_sync():
    from gitops_kafka.drift.compare import compare_object

    declared = {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "backup", "namespace": "kafka-prod", "labels": {"app": "backup"}},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}}}}
    stateful_set = {"metadata": {"name": "x", "namespace": "kafka-prod"},
                    "spec": {"selector": {"matchLabels": {}}}}
    live = bound_claim(stateful_set, declared, 0)
    live["metadata"]["name"] = "backup"
    live["metadata"]["managedFields"].insert(0, {
        "manager": APPLIER, "operation": "Apply", "apiVersion": "v1", "time": APPLIED_AT, "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {"f:app": {}}},
                     "f:spec": {"f:accessModes": {}, "f:resources": {"f:requests": {"f:storage": {}}}}}})
    assert compare_object(declared, live) == (IN_SYNC, ())


def reapply(api, desired, change):
    """Every object as the GitOps tool applied it, with `change(live)` for its own marks."""
    for obj in desired:
        live = as_applied(obj)
        change(live)
        api.replace(live)


def test_argo_cd_label_tracking_rewrites_the_instance_label_and_that_is_not_drift(api, target, desired):
    def label_tracking(live):  # Argo CD 2.x: application.instanceLabelKey = app.kubernetes.io/instance
        live["metadata"]["annotations"].pop("argocd.argoproj.io/tracking-id")
        live["metadata"].setdefault("labels", {})["app.kubernetes.io/instance"] = "kafka-prod"

    reapply(api, desired, label_tracking)
    assert drifted(run_check(target)) == {}


def test_an_instance_label_changed_by_hand_is_still_drift(api, target, desired):
    service = find(desired, "Service", "kafka")

    def change(live):
        live["metadata"]["labels"]["app.kubernetes.io/instance"] = "kafka-blue"

    api.edit(service, change, "kubectl-label", {"f:metadata": {"f:labels": {"f:app.kubernetes.io/instance": {}}}})
    drift = drifted(run_check(target))
    assert list(drift) == [("Service", "kafka")] and drift[("Service", "kafka")].state == MODIFIED
    assert [(f.path, f.desired, f.live) for f in drift[("Service", "kafka")].fields] == [
        ("metadata.labels['app.kubernetes.io/instance']", "kafka", "kafka-blue")]


def test_argo_cd_annotation_tracking_is_not_drift(api, target, desired):
    assert all("argocd.argoproj.io/tracking-id" in api.read(o)["metadata"]["annotations"]
               for o in desired if o["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding"))
    assert drifted(run_check(target)) == {}


def test_flux_kustomize_controller_labels_are_not_drift(api, target, desired):
    def flux(live):
        live["metadata"]["annotations"].pop("argocd.argoproj.io/tracking-id")
        live["metadata"].setdefault("labels", {}).update({"kustomize.toolkit.fluxcd.io/name": "kafka-prod",
                                                          "kustomize.toolkit.fluxcd.io/namespace": "flux-system"})
        for entry in live["metadata"]["managedFields"]:
            if entry["manager"] == APPLIER:
                entry["manager"] = "kustomize-controller"
                entry["fieldsV1"]["f:metadata"]["f:labels"].update(
                    {"f:kustomize.toolkit.fluxcd.io/name": {}, "f:kustomize.toolkit.fluxcd.io/namespace": {}})
                del entry["fieldsV1"]["f:metadata"]["f:annotations"]["f:argocd.argoproj.io/tracking-id"]

    reapply(api, desired, flux)
    assert drifted(run_check(target)) == {}
