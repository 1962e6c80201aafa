"""Which fields identify an item of each named list, and how a field path names that item.

One table serves every use: kustomize's strategic merge (the render's patches), drift
identity (a live list compared item by item), review diffs, and the field paths that
reports, diffs and the commit message print. The keys are the Kubernetes API's own:
`patchMergeKey` (what a strategic merge patch, and so kustomize, merges by) and
`listMapKeys` (what server-side apply and managedFields identify an item by, which for
ports and topology spread constraints adds a second field).

Where the copies before this table disagreed, the API's answer won: volumeClaimTemplates
has no patchMergeKey (kustomize replaces the list whole), imagePullSecrets, hostAliases
and volumeDevices have one, and a container port is one port per protocol.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ListKey:
    """merge: the patchMergeKey (None: a strategic merge replaces the list); identity: the listMapKeys."""

    merge: str | None
    identity: tuple[str, ...]
    defaults: tuple[tuple[str, str], ...] = ()  # identity fields the API server defaults when absent
    # Per identity field: (name, its path steps, its default): spelt out once, read for every item compared.
    fields: tuple[tuple[str, tuple[str, ...], str | None], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        defaults = dict(self.defaults)
        object.__setattr__(self, "fields", tuple((name, tuple(name.split(".")), defaults.get(name))
                                                 for name in self.identity))


_TCP = (("protocol", "TCP"),)
LIST_KEYS: dict[str, ListKey] = {
    "containers": ListKey("name", ("name",)),
    "initContainers": ListKey("name", ("name",)),
    "ephemeralContainers": ListKey("name", ("name",)),
    "env": ListKey("name", ("name",)),
    "volumes": ListKey("name", ("name",)),
    "volumeMounts": ListKey("mountPath", ("mountPath",)),
    "volumeDevices": ListKey("devicePath", ("devicePath",)),
    "imagePullSecrets": ListKey("name", ("name",)),
    "hostAliases": ListKey("ip", ("ip",)),
    "conditions": ListKey("type", ("type",)),
    "topologySpreadConstraints": ListKey("topologyKey", ("topologyKey", "whenUnsatisfiable")),
    # No patchMergeKey in StatefulSetSpec: merged whole, yet each template is named for drift and diffs.
    "volumeClaimTemplates": ListKey(None, ("metadata.name",)),
}
# `ports` is two lists by shape: a container's (containerPort) and a Service's (port), each per protocol.
PORT_KEYS = (ListKey("containerPort", ("containerPort", "protocol"), _TCP), ListKey("port", ("port", "protocol"), _TCP))
# Lists the API gives no key (Prometheus rule groups, RBAC subjects...) whose items all carry a distinct
# name: a diff a person reads names them so. Never used for merges or drift, where such a list is one value.
BY_NAME = (ListKey(None, ("metadata.name",)), ListKey(None, ("name",)))
ORDERED = frozenset({"containers", "initContainers"})  # order means something: the default container, run order


def list_key(field: str, items: list[Any], by_name: bool = False) -> ListKey | None:
    """The key of a list field, when every item has its identity and no two items share it.

    by_name: for a list the table does not know, fall back to the items' names (see BY_NAME).
    """
    if not items or not all(isinstance(i, dict) for i in items):
        return None
    known = PORT_KEYS if field == "ports" else (LIST_KEYS.get(field),)
    for key in known + (BY_NAME if by_name and known == (None,) else ()):
        if key is None:
            continue
        ids = [identity(key, i) for i in items]
        if all(i is not None for i in ids) and len(set(ids)) == len(ids):
            return key
    return None


def identity(key: ListKey, item: dict[str, Any]) -> tuple[tuple[str, str], ...] | None:
    """(field, value) pairs naming one item; None when the item lacks a field that has no default."""
    out = []
    for name, steps, default in key.fields:
        value: Any = item
        for step in steps:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            value = default
        if value is None:
            return None
        out.append((name, str(value)))
    return tuple(out)


def item_segment(field: str, item: dict[str, Any], key: ListKey | None = None) -> str | None:
    """How a path names one item: `name=kafka`, `containerPort=9092,protocol=TCP`."""
    key = key or list_key(field, [item])
    found = identity(key, item) if key else None
    return None if found is None else ",".join(f"{k}={v}" for k, v in found)


def managed_fields_segment(field: str, key: dict[str, Any]) -> str | None:
    """The segment of a managedFields `k:{...}` entry, spelled as item_segment spells it."""
    return item_segment(field, key)


# ---------------------------------------------------------------- paths

Path = tuple[str, ...]
_ITEM = re.compile(r"^[A-Za-z.]+=[^,\]]*(,[A-Za-z.]+=[^,\]]*)*$")
_PLAIN = re.compile(r"[A-Za-z0-9_-]+")
_SEGMENT = re.compile(r"\[('(?:[^']*)'|[^\]]*)\]|\.?([^.\[]+)")


def format_path(path: Path) -> str:
    """("spec", "containers", "name=kafka", "image") -> "spec.containers[name=kafka].image".

    Item segments (`field=value`) go in brackets; other keys that are not plain words
    (annotations, labels, file names) are quoted in brackets; the rest are joined with dots.
    """
    out = ""
    for part in path:
        out = join(out, part)
    return out


def join(path: str, part: Any) -> str:
    """A formatted path with one more segment."""
    part = str(part)
    if _ITEM.match(part):
        return f"{path}[{part}]"
    if _PLAIN.fullmatch(part):
        return f"{path}.{part}" if path else part
    return f"{path}[{part!r}]"


def parse_path(text: str) -> Path:
    """format_path's inverse."""
    return tuple(bracket.strip("'") if bracket else plain for bracket, plain in _SEGMENT.findall(text))


def segment_matches(pattern: str, segment: str) -> bool:
    """A JSON-pointer part against a path segment: `*`, the segment itself, or an item's key values
    (`kafka` names `name=kafka`, `9092/TCP` names `containerPort=9092,protocol=TCP`)."""
    if pattern in ("*", segment):
        return True
    if _ITEM.match(segment):
        return pattern == "/".join(pair.partition("=")[2] for pair in segment.split(","))
    return False
