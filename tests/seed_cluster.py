"""A cluster deployed the seed's way, as the API server answers for it, and a first sync simulated over it.

`seed_objects` are the seed's manifests (tests/fixtures/seed-manifests.yaml, verbatim) as
GET returns them after `kubectl apply -f`: server defaults and status (kube.server_defaults),
uid/resourceVersion/generation, and managedFields. The Kafka and CMAK objects were applied
with `kubectl apply` (manager `kubectl-client-side-apply`, the last-applied-configuration
annotation); the ZooKeeper objects carry the Helm chart's labels and were installed by
`helm` (manager `helm`, no last-applied annotation). What the API server changes:
- the PodDisruptionBudget is stored and served as policy/v1 (policy/v1beta1 is gone);
- the Kafka readiness probe's `tcpaSocket` is an unknown field the server drops, after which
  it refuses a probe without a handler; the running cluster therefore carries the hand fix
  `tcpSocket` (the seed's team had to make it to get the StatefulSet accepted).

`first_sync` approximates what Argo CD's (client-side) apply does to a live object: a
three-way strategic merge. Fields the rendered object declares are set (maps merged key
by key; containers, env, volumes, ports... merged by their merge key; other lists replaced);
fields the last-applied-configuration declared and the rendered object no longer does are
removed; an object without that annotation keeps everything undeclared. managedFields are
updated as the API server does: the applier owns what it declared, other managers lose the
fields that were removed or taken over. It is an approximation (no $patch directives, no
retainKeys), enough to check identities: names, selectors, claim templates, immutables.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import yaml

from kube import APPLIED_AT, fields_v1, omit_empty, server_defaults, stored

NAMESPACE = "kafka"
FIXTURE = Path(__file__).parent / "fixtures" / "seed-manifests.yaml"
APPLIED_BY_HAND = "2021-12-30T09:00:00Z"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "ports": "containerPort", "volumeClaimTemplates": None,
              "topologySpreadConstraints": "topologyKey"}
IMMUTABLE = {"StatefulSet": ("selector", "serviceName", "volumeClaimTemplates", "podManagementPolicy"),
             "Deployment": ("selector",), "Service": ("clusterIP",)}


def seed_manifests() -> list[dict]:
    text = FIXTURE.read_text().replace("<your-namespace>", NAMESPACE)
    return [d for d in yaml.safe_load_all(text) if d]


def _fix_as_served(obj: dict) -> dict:
    obj = copy.deepcopy(obj)
    if obj["kind"] == "PodDisruptionBudget":
        obj["apiVersion"] = "policy/v1"
    for container in obj.get("spec", {}).get("template", {}).get("spec", {}).get("containers", []):
        probe = container.get("readinessProbe") or {}
        if "tcpaSocket" in probe:
            probe["tcpSocket"] = probe.pop("tcpaSocket")
    return obj


def live_object(applied: dict, manager: str) -> dict:
    """What GET returns for an object `manager` created from `applied`."""
    applied = _fix_as_served(applied)
    live = omit_empty(copy.deepcopy(applied))
    fields = fields_v1({k: v for k, v in applied.items() if k not in ("apiVersion", "kind")})
    if manager == "kubectl-client-side-apply":
        live["metadata"].setdefault("annotations", {})[LAST_APPLIED] = json.dumps(applied, separators=(",", ":"),
                                                                                sort_keys=True)
        fields.setdefault("f:metadata", {}).setdefault("f:annotations", {})[f"f:{LAST_APPLIED}"] = {}
    server_defaults(live)
    if live["kind"] == "PodDisruptionBudget":
        live["spec"].setdefault("unhealthyPodEvictionPolicy", "IfHealthyBudget")
    return stored(applied, live, manager=manager, operation="Update", at=APPLIED_BY_HAND, first_version=4000,
                  generated_kinds=("StatefulSet", "Deployment", "PodDisruptionBudget"), fields=fields)


def seed_objects() -> list[dict]:
    """The seed's cluster as the API server serves it."""
    out = []
    for obj in seed_manifests():
        helm = obj["metadata"].get("labels", {}).get("heritage") == "Helm"
        out.append(live_object(obj, "helm" if helm else "kubectl-client-side-apply"))
    return out


# ---------------------------------------------------------------- the first sync

def _merge(live: Any, want: Any, applied: Any, field: str = "") -> Any:
    """Three-way strategic merge of `want` over `live`, removing what only `applied` (last applied) declared."""
    if isinstance(want, dict) and isinstance(live, dict):
        out = dict(live)
        for key in list(out):
            if isinstance(applied, dict) and key in applied and key not in want:
                del out[key]
        for key, value in want.items():
            out[key] = _merge(live.get(key), value, applied.get(key) if isinstance(applied, dict) else None, key)
        return out
    key = MERGE_KEYS.get(field)
    if key and isinstance(want, list) and isinstance(live, list) and all(isinstance(i, dict) for i in want + live):
        by_key = {i.get(key): i for i in live}
        previously = {i.get(key) for i in applied} if isinstance(applied, list) else set()
        applied_by_key = {i.get(key): i for i in applied} if isinstance(applied, list) else {}
        out = [_merge(by_key.get(i.get(key)), i, applied_by_key.get(i.get(key)), "") if i.get(key) in by_key
               else copy.deepcopy(i) for i in want]
        wanted = {i.get(key) for i in want}
        out += [i for i in live if i.get(key) not in wanted and i.get(key) not in previously]
        return out
    return copy.deepcopy(want)


def _prune(fields: dict, node: Any) -> dict:
    """managedFields' fieldsV1 restricted to what still exists in node."""
    out: dict = {}
    for name, sub in fields.items():
        if name == ".":
            out[name] = sub
        elif name.startswith("f:") and isinstance(node, dict) and name[2:] in node:
            out[name] = _prune(sub, node[name[2:]])
        elif name.startswith("k:") and isinstance(node, list):
            key = json.loads(name[2:])
            item = next((i for i in node if isinstance(i, dict) and all(i.get(k) == v for k, v in key.items())), None)
            if item is not None:
                out[name] = _prune(sub, item)
    return out


def first_sync(live: dict | None, rendered: dict, applier: str = "argocd-controller") -> dict:
    """The live object after the sync applied `rendered` (a new object if live is None)."""
    if live is None:
        from kube import as_applied
        return as_applied(rendered)
    annotations = (live.get("metadata") or {}).get("annotations") or {}
    applied = json.loads(annotations[LAST_APPLIED]) if LAST_APPLIED in annotations else {}
    applied = _fix_as_served(applied) if applied else {}
    ignored = {"metadata": {"managedFields", "resourceVersion", "uid", "creationTimestamp", "generation"}}
    merged = _merge(live, rendered, {k: v for k, v in applied.items() if k not in ("status",)})
    for key in ignored["metadata"]:
        if key in live["metadata"]:
            merged["metadata"][key] = live["metadata"][key]
    merged["metadata"].setdefault("annotations", {})[LAST_APPLIED] = json.dumps(rendered, separators=(",", ":"), sort_keys=True)
    merged["metadata"]["annotations"]["argocd.argoproj.io/tracking-id"] = \
        f"kafka-prod:{rendered['apiVersion'].split('/')[0] if '/' in rendered['apiVersion'] else ''}/" \
        f"{rendered['kind']}:{NAMESPACE}/{rendered['metadata']['name']}"
    merged = omit_empty(merged)
    server_defaults(merged)
    declared = fields_v1({k: v for k, v in rendered.items() if k not in ("apiVersion", "kind")})
    managed = []
    for entry in live["metadata"].get("managedFields", []):
        if entry.get("subresource") == "status":
            managed.append(entry)
            continue
        kept = _prune(_without(entry["fieldsV1"], declared), merged)
        if kept:
            managed.append({**entry, "fieldsV1": kept})
    managed.append({"manager": applier, "operation": "Update", "apiVersion": rendered["apiVersion"], "time": APPLIED_AT,
                    "fieldsType": "FieldsV1", "fieldsV1": declared})
    merged["metadata"]["managedFields"] = managed
    if "generation" in merged["metadata"] and merged.get("spec") != live.get("spec"):
        merged["metadata"]["generation"] += 1
    return merged


def _without(fields: dict, taken: dict) -> dict:
    """fields minus the leaves another manager took over."""
    out = {}
    for name, sub in fields.items():
        if name in taken:
            rest = _without(sub, taken[name]) if sub and taken[name] else {}
            if rest:
                out[name] = rest
        else:
            out[name] = sub
    return out


def immutable_changes(before: dict, after: dict) -> list[str]:
    """The immutable fields a sync changed (the real API server would have refused the whole apply)."""
    out = []
    for field in IMMUTABLE.get(before["kind"], ()):
        old, new = (before.get("spec") or {}).get(field), (after.get("spec") or {}).get(field)
        if field == "volumeClaimTemplates":
            old = [{"name": c["metadata"]["name"], **{k: v for k, v in c["spec"].items()}} for c in old or []]
            new = [{"name": c["metadata"]["name"], **{k: v for k, v in c["spec"].items()}} for c in new or []]
        if old != new:
            out.append(f"{before['kind']}/{before['metadata']['name']} spec.{field}: {old!r} -> {new!r}")
    return out


def pvc_names(stateful_set: dict) -> set[str]:
    """The PersistentVolumeClaims a StatefulSet's pods mount: <claim template>-<statefulset>-<ordinal>."""
    spec = stateful_set["spec"]
    return {f"{c['metadata']['name']}-{stateful_set['metadata']['name']}-{i}"
            for c in spec.get("volumeClaimTemplates") or [] for i in range(spec.get("replicas", 1))}
