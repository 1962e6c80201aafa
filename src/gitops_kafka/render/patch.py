"""Strategic-merge patches: the smallest patch that turns one object into another under kustomize.

Lists of named things (containers, env, volumes, ports...) are merged by key, as
kustomize does with the Kubernetes schema's merge keys (`gitops_kafka.kube.lists`); other lists are replaced
whole. Kustomize places the items a patch names first, in the patch's order, then
the untouched ones. Where order means something (containers: the first is the
default one; init containers run in order) a patch names a prefix of the new list
long enough to keep the order, unchanged items reduced to their key; elsewhere
(env, volumes, mounts, ports) order means nothing to Kubernetes and a patch names
only what changed, which is what a reviewer wants to read.
"""
from __future__ import annotations

import copy
from typing import Any

from gitops_kafka.kube.lists import ORDERED, list_key

_SAME = object()


def merge_key(field: str, items: list[Any]) -> str | None:
    """The patchMergeKey of a list field (`gitops_kafka.kube.lists`), when every item has it, each once."""
    key = list_key(field, items)
    if key is None or key.merge is None:
        return None
    values = [i.get(key.merge) for i in items]
    return key.merge if None not in values and len(set(values)) == len(values) else None


def object_patch(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """The patch turning old into new (same kind and name), or None when they are equal."""
    changes = _diff_map(old, new)
    if not changes:
        return None
    changes.pop("apiVersion", None)
    changes.pop("kind", None)
    meta = changes.pop("metadata", {})
    return {"apiVersion": new["apiVersion"], "kind": new["kind"],
            "metadata": {"name": new["metadata"]["name"], **meta}, **changes}


def delete_patch(obj: dict[str, Any]) -> dict[str, Any]:
    return {"$patch": "delete", "apiVersion": obj["apiVersion"], "kind": obj["kind"],
            "metadata": {"name": obj["metadata"]["name"]}}


def _diff(old: Any, new: Any, field: str) -> Any:
    if old == new and type(old) is type(new):
        return _SAME
    if isinstance(old, dict) and isinstance(new, dict):
        return _diff_map(old, new)
    if isinstance(old, list) and isinstance(new, list):
        key = merge_key(field, old)
        if key and merge_key(field, new) == key:
            return _diff_keyed_list(old, new, key, ordered=field in ORDERED)
    return copy.deepcopy(new)


def _diff_map(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in new.items():
        if key not in old:
            out[key] = copy.deepcopy(value)
        else:
            change = _diff(old[key], value, key)
            if change is not _SAME:
                out[key] = change
    for key in old:
        if key not in new:
            out[key] = None
    return out


def _diff_keyed_list(old: list[dict], new: list[dict], key: str, ordered: bool) -> list[dict]:
    old_by_key = {item[key]: item for item in old}
    new_keys = [item[key] for item in new]
    deleted = [k for k in old_by_key if k not in set(new_keys)]
    changed = [i for i, item in enumerate(new) if old_by_key.get(item[key]) != item]
    named = changed
    if ordered:
        length = changed[-1] + 1 if changed else 0
        untouched = [item[key] for item in old if item[key] not in set(new_keys[:length]) and item[key] not in deleted]
        named = list(range(length if untouched == new_keys[length:] else len(new)))
    items = []
    for item in (new[i] for i in named):
        previous = old_by_key.get(item[key])
        items.append(copy.deepcopy(item) if previous is None else {key: item[key], **_diff_map(previous, item)})
    items.extend({key: k, "$patch": "delete"} for k in deleted)
    return items
