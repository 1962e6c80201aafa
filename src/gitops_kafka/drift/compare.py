"""Desired against live, one object at a time: only what git declares is compared.

Everything the API server, controllers and webhooks add is invisible to such a
comparison, which keeps it quiet. Its blind spot, a field someone added by hand
that git never mentions, is covered through `metadata.managedFields`: fields
owned by a person's tool (`kubectl edit`, `kubectl label`, `kubectl patch`...)
that git does not declare are reported with the manager and the time.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping

from gitops_kafka.drift.normalize import (Keyed, declared_equal, key_from_managed_fields, normalize, prepare,
                                         secret_data)
from gitops_kafka.kube.lists import Path, format_path, parse_path, segment_matches
from gitops_kafka.drift.report import MISSING, MODIFIED, IN_SYNC, FieldDrift
from gitops_kafka.mask import mask_object

# Field managers of people's tools; everything else is the GitOps applier, a controller or a webhook.
HUMAN_MANAGERS = re.compile(r"^(kubectl(-.+)?|k9s|Mozilla|Lens|OpenLens|headlamp|rancher|kubernetes-dashboard)$")
# Controllers that own replicas when something scales the object for them (HorizontalPodAutoscaler).
REPLICA_CONTROLLERS = {"kube-controller-manager", "keda-operator"}
IGNORED_METADATA = {"managedFields", "resourceVersion", "uid", "generation", "creationTimestamp", "selfLink",
                    "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences", "finalizers"}
# Written by the GitOps tools themselves on every object they apply.
APPLIER_ANNOTATIONS = re.compile(r"^(argocd\.argoproj\.io/|kustomize\.toolkit\.fluxcd\.io/|"
                                 r"kubectl\.kubernetes\.io/last-applied-configuration$|deployment\.kubernetes\.io/revision$)")
APPLIER_LABELS = re.compile(r"^(kustomize\.toolkit\.fluxcd\.io/|argocd\.argoproj\.io/)")
# Pod-template annotations routine operations write: `kubectl rollout restart` (and Argo CD's restart action).
ROUTINE_TEMPLATE_ANNOTATIONS = {"kubectl.kubernetes.io/restartedAt"}

@dataclass(frozen=True)
class IgnoredPath:
    kind: str
    name: str
    pointer: Path

    @classmethod
    def parse(cls, kind: str, name: str, pointer: str) -> "IgnoredPath":
        parts = tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:])
        return cls(kind, name, parts)

    def matches(self, kind: str, name: str, path: Path) -> bool:
        if self.kind not in ("*", kind) or self.name not in ("*", name):
            return False
        return len(path) >= len(self.pointer) and all(segment_matches(p, s) for p, s in zip(self.pointer, path))


def compare_object(desired: dict[str, Any], live: dict[str, Any] | None, ignore: Iterable[IgnoredPath] = (),
                   tracking: Mapping[str, str] | None = None) -> tuple[str, tuple[FieldDrift, ...]]:
    """(state, drifted fields) of one declared object against what the cluster returned.

    `tracking` is the label the GitOps tool writes on every object it applies, and
    its value (Argo CD's label tracking: app.kubernetes.io/instance = the Application's
    name): a live label with exactly that value is the tool's mark, not a change.
    """
    if live is None:
        return MISSING, ()
    live = untracked(desired, live, tracking or {})
    if declared_equal(desired, live) and not any(_by_a_person(e) for e in live["metadata"].get("managedFields") or []):
        return IN_SYNC, ()  # what follows would find no declared difference and no field a person set
    kind, name = desired.get("kind", ""), desired.get("metadata", {}).get("name", "")
    rules = [r for r in ignore if r.kind in ("*", kind) and r.name in ("*", name)]
    declared_side, live_side = secret_data(comparable(desired)), secret_data(comparable(live))
    # Only the parts that are not equal as written need their canonical forms compared.
    unequal = {k for k, v in declared_side.items() if not (k in live_side and declared_equal(v, live_side[k], k))}
    wanted = normalize(declared_side)
    actual = normalize({k: live_side[k] for k in unequal if k in live_side})
    owners = managed_paths(live)
    replica_owner = next((m for p, (m, _) in owners.items() if p == ("spec", "replicas") and m in REPLICA_CONTROLLERS), None)
    found: list[tuple[Path, str | None, str | None, bool]] = []  # (path, manager, time, declared)
    for path in declared_differences({k: v for k, v in wanted.items() if k in unequal}, actual):
        if replica_owner and path == ("spec", "replicas"):
            continue  # scaled by an autoscaler: the controller owns it now
        manager, time = owners.get(path, owners.get(_owning_prefix(path, owners), (None, None)))
        found.append((path, manager, time, True))
    declared = {format_path(path) for path, *_ in found}
    for path, (manager, time) in sorted(owners.items()):
        if not HUMAN_MANAGERS.match(manager) or _declared(wanted, path) or format_path(path) in declared \
                or _under_ignored_metadata(path):
            continue
        found.append((path, manager, time, False))
    shown = _Shown(desired, live, {path[0] for path, *_ in found})  # values as written, masked
    fields: list[FieldDrift] = []
    for path, manager, time, is_declared in found:
        have = _lookup(shown.live, path)
        if is_declared:
            fields.append(FieldDrift(format_path(path), _lookup(shown.desired, path), None if have is _ABSENT else have,
                                     manager, time))
        elif have is not _ABSENT:
            fields.append(FieldDrift(format_path(path), None, have, manager, time))
    fields = [f for f, path in ((f, parse_path(f.path)) for f in fields)
              if not any(rule.matches(kind, name, path) for rule in rules)]
    return (MODIFIED if fields else IN_SYNC), tuple(fields)


def _by_a_person(entry: dict[str, Any]) -> bool:
    """A managedFields entry of a person's tool (a status update is never one: see managed_paths)."""
    return entry.get("subresource") != "status" and bool(HUMAN_MANAGERS.match(entry.get("manager") or "unknown"))


class _Shown:
    """Desired and live in report form (masked, structure normalized, scalars as written), made on first use,
    of only the top-level parts a report names (`keys`; masking never looks across them).

    Values are masked here, before any reaches a FieldDrift: a report cannot show a credential.
    """

    def __init__(self, desired: dict[str, Any], live: dict[str, Any], keys: set[str]):
        self._objects = {"desired": desired, "live": live}
        self._keys = keys | {"kind"}

    def __getattr__(self, side: str) -> Any:
        desired, live = ({k: v for k, v in secret_data(comparable(self._objects[s])).items() if k in self._keys}
                         for s in ("desired", "live"))
        masked = mask_object(desired) if side == "desired" else mask_object(live, desired)
        value = prepare(masked, False)
        setattr(self, side, value)
        return value


def untracked(desired: dict[str, Any], live: dict[str, Any], tracking: Mapping[str, str]) -> dict[str, Any]:
    """The live object with the GitOps tool's tracking labels given back git's values (or removed)."""
    labels = (live.get("metadata") or {}).get("labels") or {}
    marked = [k for k, v in tracking.items() if labels.get(k) == v]
    if not marked:
        return live
    declared = (desired.get("metadata") or {}).get("labels") or {}
    restored = {k: v for k, v in labels.items() if k not in marked}
    restored.update({k: declared[k] for k in marked if k in declared})
    return {**live, "metadata": {**live["metadata"], "labels": restored}}


def comparable(obj: dict[str, Any]) -> dict[str, Any]:
    """An object without what servers, GitOps tools and routine operations write on their own."""
    out = {k: v for k, v in obj.items() if k != "status"}
    template = (out.get("spec") or {}).get("template") if isinstance(out.get("spec"), dict) else None
    annotations = ((template or {}).get("metadata") or {}).get("annotations") if isinstance(template, dict) else None
    if isinstance(annotations, dict) and ROUTINE_TEMPLATE_ANNOTATIONS & set(annotations):
        kept = {k: v for k, v in annotations.items() if k not in ROUTINE_TEMPLATE_ANNOTATIONS}
        out["spec"] = {**out["spec"], "template": {**template, "metadata": {**template["metadata"],
                                                                            "annotations": kept}}}
    meta = dict(obj.get("metadata") or {})
    for key in IGNORED_METADATA:
        meta.pop(key, None)
    for group, pattern in (("annotations", APPLIER_ANNOTATIONS), ("labels", APPLIER_LABELS)):
        if isinstance(meta.get(group), dict):
            meta[group] = {k: v for k, v in meta[group].items() if not pattern.match(k)}
    out["metadata"] = meta
    return out


def declared_differences(wanted: Any, actual: Any, path: Path = ()) -> Iterator[Path]:
    """The path of every declared leaf (or declared list) whose live value differs or is absent."""
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            yield path
            return
        for key, value in wanted.items():
            if key in actual:
                yield from declared_differences(value, actual[key], path + (key,))
            else:
                yield path + (key,)
    elif wanted != actual:
        yield path


# ---------------------------------------------------------------- managedFields

def managed_paths(live: dict[str, Any]) -> dict[Path, tuple[str, str | None]]:
    """Field path -> (manager, time) of its most recent owner, from metadata.managedFields."""
    owners: dict[Path, tuple[str, str | None]] = {}
    entries = sorted(live.get("metadata", {}).get("managedFields") or [], key=lambda e: e.get("time") or "")
    for entry in entries:
        manager = entry.get("manager") or "unknown"
        if entry.get("subresource") == "status":
            continue
        for path in _leaf_paths(entry.get("fieldsV1") or {}, ()):
            if path:
                owners[path] = (manager, entry.get("time"))
    return owners


def _leaf_paths(node: dict[str, Any], path: Path) -> Iterator[Path]:
    """Owned leaves. "." on a list item means the manager added the item: the item is the leaf. On a map it
    only means the manager created the map: its owned keys are the leaves (one key, never the whole map)."""
    if not node or set(node) == {"."}:
        yield path
        return
    for key, child in node.items():
        if key.startswith("f:"):
            yield from _leaf_paths(child, path + (key[2:],))
        elif key.startswith("k:"):
            item = key_from_managed_fields(path[-1] if path else "", json.loads(key[2:]))
            if item is not None:
                yield from ([path + (item,)] if "." in child else _leaf_paths(child, path + (item,)))
        elif key.startswith("v:"):
            yield path  # a set of scalars: the list as a whole


# ---------------------------------------------------------------- paths

_ABSENT = object()


def _lookup(node: Any, path: Path) -> Any:
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _ABSENT
    return _plain(node)


def _declared(wanted: Any, path: Path) -> bool:
    """Whether git declares this path, or a scalar or list at one of its prefixes (owning it whole)."""
    node = wanted
    for part in path:
        if not isinstance(node, dict):
            return True
        if part not in node:
            return False
        node = node[part]
    return True


def _owning_prefix(path: Path, owners: dict[Path, Any]) -> Path:
    for length in range(len(path) - 1, 0, -1):
        if path[:length] in owners:
            return path[:length]
    return ()


def _under_ignored_metadata(path: Path) -> bool:
    if path[:1] != ("metadata",) or len(path) < 2:
        return False
    if path[1] in IGNORED_METADATA:
        return True
    if len(path) > 2 and path[1] == "annotations":
        return bool(APPLIER_ANNOTATIONS.match(path[2]))
    if len(path) > 2 and path[1] == "labels":
        return bool(APPLIER_LABELS.match(path[2]))
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, Keyed):
        return [_plain(v) for v in value.values()]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value

