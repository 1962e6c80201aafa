"""Pure: what the first Argo CD or Flux sync does to each live object, by severity, and what comes after.

The rendered objects are compared with the live ones the way an apply changes them:
every field the rendered object declares that differs from the live value is set, and
every field the last `kubectl apply` declared (its last-applied-configuration) that the
rendered object no longer declares is removed (the three-way merge of a client-side
apply; Flux and Argo CD's server-side apply take over kubectl's fields the same way).

CRITICAL: the sync would fail (an immutable field) or lose data (a new PVC name, a
smaller volume, fewer replicas); `import` refuses to write a file that causes one.
WARNING: pods restart. INFO: patched in place, nothing restarts.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from gitops_kafka.drift.normalize import Keyed, prepare
from gitops_kafka.mask import mask_object
from gitops_kafka.terminal import printable
from gitops_kafka.quantity import parse_quantity

CRITICAL, WARNING, INFO = "CRITICAL", "WARNING", "INFO"
ORDER = {CRITICAL: 0, WARNING: 1, INFO: 2}
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Fields the API server refuses to change (the sync fails on them).
IMMUTABLE = {
    "StatefulSet": ("spec.selector", "spec.serviceName", "spec.volumeClaimTemplates", "spec.podManagementPolicy"),
    "Deployment": ("spec.selector",),
    "Job": ("spec.selector", "spec.template"),
    "Service": ("spec.clusterIP",),
    "PersistentVolumeClaim": ("spec.storageClassName", "spec.accessModes", "spec.volumeName"),
}
SHOWN_CHANGES = 15  # per step in the text form; JSON has them all
ATOMIC_NAMED_LISTS = (("spec", "volumeClaimTemplates"),)
# Seed defects the first sync fixes in place, by the pod-template field that carries the fix.
FIXES = {
    "readinessProbe": "readiness probe (the seed's Kafka probe was the invalid `tcpaSocket`; ZooKeeper's now means in a quorum)",
    "livenessProbe": "liveness probe",
    "startupProbe": "a startup probe for long log recovery",
    "topologySpreadConstraints": "pods spread over nodes and zones",
    "securityContext": "restricted security contexts",
}


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Step:
    severity: str
    object: str
    action: str  # create, patch, keep (left in place, no longer declared)
    summary: str
    restarts: str = ""
    changes: tuple[Change, ...] = ()


@dataclass(frozen=True)
class FollowUp:
    title: str
    how: str
    restarts: str


@dataclass
class Plan:
    layout: str
    steps: list[Step] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)
    unmapped: list[Any] = field(default_factory=list)
    fixes: list[str] = field(default_factory=list)

    @property
    def critical(self) -> list[Step]:
        return [s for s in self.steps if s.severity == CRITICAL]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form: each step, change, follow-up and unmapped field as its fields, in their order."""
        return {"layout": self.layout, "safe": not self.critical,
                "steps": [{**asdict(s), "changes": [asdict(c) for c in s.changes]} for s in self.steps],
                "follow_ups": [{"order": i, **asdict(f)} for i, f in enumerate(self.follow_ups, 1)],
                "fixed_in_place": list(self.fixes),
                "not_mapped": [asdict(u) for u in self.unmapped]}


# ---------------------------------------------------------------- field changes

_ABSENT = object()


def _leaves(node: Any, path: tuple = ()) -> dict[tuple, Any]:
    if isinstance(node, dict) and node:
        out: dict[tuple, Any] = {}
        for key, value in node.items():
            out.update(_leaves(value, (*path, key)))
        return out
    return {path: node}


def _at(node: Any, path: tuple) -> Any:
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return _ABSENT
        node = node[part]
    return node


def _shown(value: Any) -> Any:
    if value is _ABSENT:
        return None
    if isinstance(value, Keyed):
        return dict(value)
    return value


def _format(path: tuple) -> str:
    return ".".join(str(p) for p in path)


def _relevant(path: tuple) -> bool:
    head = path[:2]
    return path[:1] not in (("status",),) and head not in (("metadata", "managedFields"), ("metadata", "resourceVersion"),
                                                            ("metadata", "uid"), ("metadata", "creationTimestamp"),
                                                            ("metadata", "generation"), ("metadata", "namespace")) \
        and path != ("metadata", "annotations", LAST_APPLIED) and path[:1] not in (("apiVersion",), ("kind",))


def changes(live: dict, rendered: dict) -> list[Change]:
    """The fields an apply of `rendered` sets or removes on `live`."""
    have, want = prepare(live), prepare(rendered)
    # Compared canonically (1000m = 1, 1Gi = 1024Mi), shown as written.
    have_raw, want_raw = prepare(live, canonical=False), prepare(rendered, canonical=False)
    out = []
    for path, value in _leaves(want).items():
        if not _relevant(path):
            continue
        current = _at(have, path)
        if current != value:
            out.append(Change(_format(path), _shown(_at(have_raw, path)), _shown(_at(want_raw, path))))
    # A list without a merge key in the strategic-merge schema is replaced whole: its other items go.
    for path in ATOMIC_NAMED_LISTS:
        have_items, want_items = _at(have, path), _at(want, path)
        if isinstance(have_items, dict) and isinstance(want_items, dict):
            out.extend(Change(_format((*path, key)), _shown(_at(have_raw, (*path, key))), None)
                       for key in have_items if key not in want_items)
    annotation = ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED)
    if annotation:
        try:
            applied = prepare(json.loads(annotation))
        except ValueError:
            applied = {}
        for path in _leaves(applied):
            if _relevant(path) and _at(want, path) is _ABSENT and _at(have, path) is not _ABSENT \
                    and not any(path[:len(p)] == p for p in _leaves(want)):
                out.append(Change(_format(path), _shown(_at(have_raw, path)), None))
    return out


def _immutable(kind: str, change: Change) -> bool:
    return any(change.path == p or change.path.startswith(p + ".") for p in IMMUTABLE.get(kind, ()))


# ---------------------------------------------------------------- one object

def _name(obj: dict) -> str:
    return f"{obj['kind']}/{obj['metadata']['name']}"


def _key(obj: dict) -> tuple[str, str]:
    return obj["kind"], obj["metadata"]["name"]


def _rollout(obj: dict) -> str:
    kind, spec = obj["kind"], obj.get("spec") or {}
    if kind == "StatefulSet":
        if (spec.get("updateStrategy") or {}).get("type") == "OnDelete":
            return f"nothing now (OnDelete): each pod of {obj['metadata']['name']} takes the change when it is deleted"
        return f"every pod of {obj['metadata']['name']}, one at a time from the highest ordinal"
    if kind == "Deployment":
        return f"the pods of {obj['metadata']['name']} (replaced)"
    return ""


def object_steps(live: dict, rendered: dict) -> list[Step]:
    kind, name = rendered["kind"], _name(rendered)
    found = changes(live, rendered)
    steps: list[Step] = []
    immutable = [c for c in found if _immutable(kind, c)]
    if immutable:
        steps.append(Step(CRITICAL, name, "patch", "changes immutable fields: the sync fails (and deleting the object "
                                                   "to force it would start the pods on new, empty volumes)",
                          changes=tuple(immutable)))
    if kind == "StatefulSet":
        before, after = (live.get("spec") or {}).get("replicas", 1), (rendered.get("spec") or {}).get("replicas", 1)
        if after < before:
            steps.append(Step(CRITICAL, name, "patch", f"fewer replicas ({before} -> {after}): members and their data go",
                              changes=(Change("spec.replicas", before, after),)))
        live_claims = {c["metadata"]["name"]: c for c in (live.get("spec") or {}).get("volumeClaimTemplates") or []}
        for claim in (rendered.get("spec") or {}).get("volumeClaimTemplates") or []:
            claim_name = claim["metadata"]["name"]
            if claim_name not in live_claims:
                steps.append(Step(CRITICAL, name, "patch", f"new PVC name {claim_name}-{rendered['metadata']['name']}-N: "
                                                           "the pods would mount new, empty volumes"))
                continue
            have = prepare(live_claims[claim_name]).get("spec", {}).get("resources", {}).get("requests", {}).get("storage")
            want = prepare(claim).get("spec", {}).get("resources", {}).get("requests", {}).get("storage")
            if have is not None and want is not None and parse_quantity(want) < parse_quantity(have):
                steps.append(Step(CRITICAL, name, "patch", f"smaller volume ({have} -> {want} bytes): volumes never shrink"))
    entries = [e for e in (live.get("metadata") or {}).get("managedFields") or [] if e.get("subresource") != "status"]
    if not ((live.get("metadata") or {}).get("annotations") or {}).get(LAST_APPLIED) \
            and not any(e.get("operation") == "Apply" for e in entries):
        managers = sorted({e.get("manager", "?") for e in entries})
        steps.append(Step(INFO, name, "keep", f"no last-applied record (managed by {', '.join(managers) or 'nobody'}): "
                                              "fields the rendered object does not declare stay as they are"))
    template = [c for c in found if c.path.startswith("spec.template.") and not _immutable(kind, c)]
    if template:
        fixed = sorted({text for c in template for key, text in FIXES.items() if f".{key}" in c.path})
        summary = f"pod template: {len(template)} field(s)" + (f"; fixes: {', '.join(fixed)}" if fixed else "")
        steps.append(Step(WARNING if "nothing now" not in _rollout(live) else INFO, name, "patch", summary,
                          _rollout(live), tuple(template)))
    rest = [c for c in found if c not in immutable and c not in template]
    if rest:
        what = "apiVersion policy/v1 (the seed's policy/v1beta1 is gone since Kubernetes 1.25)" \
            if kind == "PodDisruptionBudget" else "labels, annotations and settings"
        steps.append(Step(INFO, name, "patch", f"{what}: {len(rest)} field(s), patched in place", changes=tuple(rest)))
    return steps


# ---------------------------------------------------------------- the whole plan

def build_plan(live_objects: list[dict], rendered: list[dict], mapping: Any,
               read_kinds: frozenset[tuple[str, str]] = frozenset()) -> Plan:
    """Steps for every rendered object (create or patch) and every live workload object left undeclared.

    read_kinds: the (apiVersion, kind) pairs that were read, so a rendered object of one of them that
    is not live is new; of any other kind it may exist.
    """
    plan = Plan(layout=mapping.layout, unmapped=list(mapping.unmapped), fixes=list(mapping.fixes))
    live = {_key(o): mask_object(o) for o in live_objects}
    rendered = [mask_object(o) for o in rendered]
    declared = {_key(o) for o in rendered}
    for obj in rendered:
        current = live.get(_key(obj))
        if obj["kind"] == "Namespace" and obj["metadata"]["name"] == mapping.environment.get("namespace"):
            plan.steps.append(Step(INFO, _name(obj), "patch", "exists (not read: cluster-scoped); gains the generated "
                                   "labels (Pod Security enforced at baseline) and the never-prune annotations"))
        elif current is None and (obj["apiVersion"], obj["kind"]) in read_kinds:
            plan.steps.append(Step(INFO, _name(obj), "create", "new object"))
        elif current is None:
            plan.steps.append(Step(INFO, _name(obj), "create", "created, or patched if it exists (import does not read "
                                                              f"{obj['kind']} objects)"))
        else:
            plan.steps.extend(object_steps(current, obj))
    workloads = {_key(o) for o in mapping.workloads.values()}
    for key, obj in sorted(live.items()):
        if key in declared:
            continue
        if key in workloads:
            plan.steps.append(Step(CRITICAL, _name(obj), "keep", "a running workload the rendered objects do not "
                                   "declare: a second copy would start beside it on new volumes"))
        else:
            plan.steps.append(Step(INFO, _name(obj), "keep", "no longer declared: left in place (not tracked by the "
                                   "sync, never pruned); delete it by hand once nothing uses it"))
    plan.steps.sort(key=lambda s: ORDER[s.severity])
    plan.follow_ups.extend(follow_ups(mapping))
    return plan


def follow_ups(mapping: Any) -> list[FollowUp]:
    """The seed's defects that cannot be fixed in place, in the order to do them."""
    out = []
    kafka = mapping.workloads.get("kafka")
    if kafka is None:
        return out
    command = " ".join(str(c) for c in (_container(kafka).get("command") or []))
    on_delete = (kafka["spec"].get("updateStrategy") or {}).get("type") == "OnDelete"
    name = kafka["metadata"]["name"]
    replicas = kafka["spec"].get("replicas", 1)
    if "POD_IP" in command or on_delete:
        pods = ", ".join(f"{name}-{i}" for i in reversed(range(replicas)))
        out.append(FollowUp(
            "restart the brokers one at a time to take the synced pod template (listeners advertised by stable DNS "
            "names instead of the pod IP, fixed probes)",
            f"kubectl delete pod {name}-N for N in {pods}; before the next one, wait until the pod is Ready and "
            "`gitops-kafka check-kafka` reports no under-replicated partitions",
            f"each broker once ({pods}); clients reconnect through the bootstrap Service"))
    if on_delete:
        out.append(FollowUp(
            "set kafka.update_strategy: RollingUpdate in the environment file and generate",
            "edit environments/<env>.yaml, `gitops-kafka generate --env <env>`, merge",
            "nothing by itself; later changes then roll out one broker at a time"))
    return out


def _container(obj: dict) -> dict:
    containers = ((obj.get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or [{}]
    return containers[0]


# ---------------------------------------------------------------- text

def format_text(plan: Plan) -> str:
    lines = [f"Adoption plan ({plan.layout} layout): "
             + ("SAFE, no critical step" if not plan.critical else f"{len(plan.critical)} CRITICAL step(s): not written")]
    lines.append("")
    lines.append("First sync:")
    for step in plan.steps:
        lines.append(f"  {step.severity:<8} {step.action:<6} {step.object}: {step.summary}")
        if step.restarts:
            lines.append(f"           restarts: {step.restarts}")
        for change in step.changes[:SHOWN_CHANGES]:
            after = "(removed)" if change.after is None else json.dumps(change.after, sort_keys=True, default=str)
            before = "(absent)" if change.before is None else json.dumps(change.before, sort_keys=True, default=str)
            lines.append(f"           {change.path}: {_short(before)} -> {_short(after)}")
        if len(step.changes) > SHOWN_CHANGES:
            lines.append(f"           ... and {len(step.changes) - SHOWN_CHANGES} more (--format json lists every change)")
    if plan.fixes:
        lines.append("")
        lines.append("Fixed in place:")
        lines.extend(f"  - {fix}" for fix in plan.fixes)
    if plan.follow_ups:
        lines.append("")
        lines.append("Then, in order:")
        for index, follow in enumerate(plan.follow_ups, 1):
            lines.append(f"  {index}. {follow.title}")
            lines.append(f"     how: {follow.how}")
            lines.append(f"     restarts: {follow.restarts}")
    if plan.unmapped:
        lines.append("")
        lines.append("Not mapped (left out of the environment file):")
        for item in plan.unmapped:
            shown = f" = {_short(item.value)}" if item.value else ""
            lines.append(f"  {item.object} {item.field}{shown}: {item.reason}")
    return printable("\n".join(lines)) + "\n"


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."
