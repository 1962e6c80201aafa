"""One drift check of Kubernetes: desired (git + kustomize) against live objects, object by object.

`gitops_kafka.checking` runs it in a cycle with the Kafka check and turns both into a DriftReport.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping, Protocol

from gitops_kafka.drift import health as health_checks
from gitops_kafka.drift import sync
from gitops_kafka.drift.compare import IgnoredPath, compare_object
from gitops_kafka.drift.desired import Desired
from gitops_kafka.drift.report import EXTRA, ObjectDrift
from gitops_kafka.kube.objects import CLUSTER_SCOPED, ENVIRONMENT_LABEL, MANAGED_BY, MANAGED_LABEL

# Kinds searched for labelled objects git no longer declares, besides the kinds it declares.
EXTRA_KINDS = (("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"),
               ("batch/v1", "Job"), ("policy/v1", "PodDisruptionBudget"))


class Cluster(Protocol):
    """What a check needs of a cluster: `kube.cluster.KubernetesCluster`, or a test's stand-in at the same seam."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""

    def list_labelled(self, api_version: str, kind: str, namespace: str | None,
                      labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """The objects of a kind carrying all these labels."""

    def close(self) -> None: ...


def with_causes(objects: list[ObjectDrift], section: "sync.SyncSection") -> list[ObjectDrift]:
    """Each drifted object with its cause's name (the bounded label); the details stay in the section."""
    causes = {(kind, name): cause.cause for kind, name, cause in section.causes}
    return [replace(o, cause=causes.get((o.kind, o.name))) if o.has_drift() else o for o in objects]


class Comparisons:
    """Each object's verdict (state, drifted fields, health), kept with the versions it was made from.

    The API server changes an object's resourceVersion with every write, its status included, so
    an object whose (uid, resourceVersion) is unchanged compares, and is as healthy, as it was
    against the same desired state; a StatefulSet's health also depends on its claims, so their
    (uid, resourceVersion) are part of its key. A daemon's cycle at an unchanged revision then
    costs its reads. Kept for one desired state only (a new revision or environment starts afresh);
    an object or claim without uid and resourceVersion is judged afresh every time.
    """

    def __init__(self) -> None:
        self._desired: Desired | None = None
        self._kept: dict[tuple, tuple[tuple, ObjectDrift]] = {}

    def verdict(self, desired: Desired, obj: dict[str, Any], live: dict[str, Any] | None, namespace: str | None,
                claims: list[dict[str, Any]], rules, tracking) -> ObjectDrift:
        if desired is not self._desired:
            self._desired, self._kept = desired, {}
        versions = _versions([live, *claims]) if live is not None else None
        if versions is None:
            return judge(obj, live, namespace, claims, rules, tracking)
        key = (obj["apiVersion"], obj["kind"], namespace, obj["metadata"]["name"])
        kept = self._kept.get(key)
        if kept is not None and kept[0] == versions:
            return kept[1]
        drift = judge(obj, live, namespace, claims, rules, tracking)
        self._kept[key] = (versions, drift)
        return drift


def _versions(objects: list[dict[str, Any]]) -> tuple[tuple[str, str], ...] | None:
    """(uid, resourceVersion) of each object; None when one lacks either (it cannot be recognised again)."""
    out = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        version = (meta.get("uid"), meta.get("resourceVersion"))
        if None in version:
            return None
        out.append(version)
    return tuple(out)


def judge(obj: dict[str, Any], live: dict[str, Any] | None, namespace: str | None, claims: list[dict[str, Any]],
          rules, tracking) -> ObjectDrift:
    """One declared object against its live copy: state, drifted fields, and its health (with its claims')."""
    state, fields = compare_object(obj, live, rules, tracking)
    health = health_checks.health(live)
    if claims:
        health = health_checks.worst([health, *map(health_checks.persistent_volume_claim, claims)])
    return ObjectDrift(obj["apiVersion"], obj["kind"], obj["metadata"]["name"], namespace, state, fields, health)


def compare_cluster(desired: Desired, cluster: Cluster, comparisons: Comparisons | None = None) -> list[ObjectDrift]:
    """Compare every declared object; one list request per kind, a GET only for what the list lacks.

    `comparisons`, kept by a daemon between cycles, keeps the verdict of objects (and claims)
    unchanged since the last one."""
    config = desired.config
    rules = [IgnoredPath.parse(r.kind, r.name, r.pointer) for r in config.detector.ignore]
    listed = list_managed(desired, cluster)
    tracking = tracking_labels(config)
    found, declared = [], set()
    for obj in desired.objects:
        meta = obj.get("metadata", {})
        namespace = None if obj["kind"] in CLUSTER_SCOPED else meta.get("namespace") or config.namespace
        declared.add((obj["apiVersion"], obj["kind"], meta["name"]))
        live = listed.get((obj["apiVersion"], obj["kind"]), {}).get(meta["name"])
        if live is None:  # not labelled as ours (any more), or cluster-scoped: ask for it by name
            live = cluster.get(obj["apiVersion"], obj["kind"], meta["name"], namespace)
        found.append((obj, live, namespace))
    claims = claims_of([(live, namespace) for obj, live, namespace in found
                        if live is not None and obj["kind"] == "StatefulSet"], cluster)
    comparisons = comparisons or Comparisons()
    results = [comparisons.verdict(desired, obj, live, namespace,
                                   claims.get((namespace, live["metadata"]["name"]), [])
                                   if live is not None and obj["kind"] == "StatefulSet" else [], rules, tracking)
               for obj, live, namespace in found]
    results.extend(find_extras(desired, listed, declared))
    return results


def tracking_labels(config) -> dict[str, str]:
    """The label Argo CD's label tracking (its 2.x default) writes on every object: the instance label,
    set to the Application's name. Flux's labels and Argo CD's annotation are dropped by name in compare."""
    from gitops_kafka.topology import sync_name

    return {} if config.gitops.tool == "flux" else {"app.kubernetes.io/instance": sync_name(config)}


def list_managed(desired: Desired, cluster: Cluster) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """This environment's labelled objects, by (apiVersion, kind) and name: the kinds git declares and EXTRA_KINDS."""
    config = desired.config
    labels = {MANAGED_LABEL: MANAGED_BY, ENVIRONMENT_LABEL: config.name}
    kinds = sorted({(o["apiVersion"], o["kind"]) for o in desired.objects if o["kind"] not in CLUSTER_SCOPED}
                   | set(EXTRA_KINDS))
    return {(api_version, kind): {item["metadata"]["name"]: item for item in
                                  cluster.list_labelled(api_version, kind, config.namespace, labels)}
            for api_version, kind in kinds}


def claims_of(stateful_sets: list[tuple[dict[str, Any], str]], cluster: Cluster) -> dict[tuple[str, str], list[dict]]:
    """The claims each StatefulSet's pods use, by (namespace, name): one PVC list per namespace and selector.

    A list per StatefulSet cost one round trip each (hundreds in a large environment).
    Claims carry the selector's labels, which StatefulSets may share, so a claim is one
    StatefulSet's only if it is also named as its controller names claims:
    `<claim template>-<StatefulSet>-<ordinal>`.
    """
    listed: dict[tuple[str, tuple[tuple[str, str], ...]], dict[str, list[dict[str, Any]]]] = {}
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for stateful_set, namespace in stateful_sets:
        spec = stateful_set.get("spec") or {}
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        if not selector:
            continue
        key = (namespace, tuple(sorted(selector.items())))
        if key not in listed:
            listed[key] = by_prefix(cluster.list_labelled("v1", "PersistentVolumeClaim", namespace, selector))
        name = stateful_set["metadata"]["name"]
        out[(namespace, name)] = [claim for template in spec.get("volumeClaimTemplates") or []
                                  for claim in listed[key].get(f"{(template.get('metadata') or {}).get('name')}-{name}", [])]
    return out


def by_prefix(claims: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Claims named `<prefix>-<ordinal>` by their prefix (`<template>-<StatefulSet>`); others are no StatefulSet's."""
    out: dict[str, list[dict[str, Any]]] = {}
    for claim in claims:
        prefix, _, ordinal = claim["metadata"]["name"].rpartition("-")
        if prefix and ordinal.isascii() and ordinal.isdigit():
            out.setdefault(prefix, []).append(claim)
    return out


def find_extras(desired: Desired, listed: dict, declared: set[tuple[str, str, str]]) -> list[ObjectDrift]:
    """Objects labelled as this environment's that git no longer declares (never deleted, only reported)."""
    extras = []
    for (api_version, kind), items in sorted(listed.items()):
        for name, item in sorted(items.items()):
            if (api_version, kind, name) not in declared:
                extras.append(ObjectDrift(api_version, kind, name, desired.config.namespace, EXTRA, (),
                                          health_checks.health(item)))
    return extras
