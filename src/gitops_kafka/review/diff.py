"""The change between two builds of an overlay, object by object and field by field.

Objects are matched by their identity (API group, kind, namespace, name). A Job
whose name carries a content hash (`kafka-topics-49f9cc1c5f`) is a new object each
time its content changes; a removed and an added object differing only in that
hash are shown as one replaced object, so the reviewer reads what changed in it.
Credentials (Secret values, and secrets carried by value in env, args or config, see
`gitops_kafka.mask`) are masked before anything is compared or kept: no format can show
them, and a rotated one still reads as a change (`***` -> `*** (changed)`).
"""
from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from gitops_kafka.kube.lists import identity as identity_of, item_segment, join, list_key
from gitops_kafka.kube.objects import ObjectKey, load
from gitops_kafka.mask import mask_object
from gitops_kafka.review import objects as obj

ADDED, REMOVED, CHANGED, REPLACED = "added", "removed", "changed", "replaced"
HASH_SUFFIX = re.compile(r"^(.*)-[0-9a-f]{10}$")


class Absent:
    """A field that one side does not have (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "(absent)"


ABSENT = Absent()


@dataclass(frozen=True)
class FieldChange:
    path: str
    before: Any
    after: Any


@dataclass
class ObjectChange:
    status: str
    kind: str
    name: str
    namespace: str
    api_version: str
    before: dict | None = None
    after: dict | None = None
    fields: list[FieldChange] = field(default_factory=list)
    previous_name: str | None = None

    @property
    def ref(self) -> str:
        return f"{self.kind}/{self.name}"


Key = ObjectKey


def identity(o: dict) -> Key:
    return ObjectKey.of(o)


def diff_objects(before: list[dict], after: list[dict]) -> list[ObjectChange]:
    """Every added, removed, replaced and changed object, in a stable order (kind, namespace, name)."""
    old = {identity(o): o for o in before}
    new = {identity(o): o for o in after}
    removed = [k for k in old if k not in new]
    added = [k for k in new if k not in old]
    pairs = [(k, k) for k in old if k in new]
    for old_key, new_key in _hash_renames(removed, added):
        removed.remove(old_key)
        added.remove(new_key)
        pairs.append((old_key, new_key))
    changes = []
    for old_key, new_key in pairs:
        if old[old_key] == new[new_key]:
            continue  # masking equal objects gives equal objects: nothing to mask or compare
        a, b = mask_secrets(old[old_key], new[new_key])
        if a == b:
            continue
        status = CHANGED if old_key == new_key else REPLACED
        changes.append(_change(status, b, a, b, field_changes(a, b),
                               previous_name=obj.name(a) if status == REPLACED else None))
    for key in removed:
        a, _ = mask_secrets(old[key], None)
        changes.append(_change(REMOVED, a, a, None))
    for key in added:
        _, b = mask_secrets(None, new[key])
        changes.append(_change(ADDED, b, None, b))
    return sorted(changes, key=lambda c: (c.kind, c.namespace, c.name))


def _change(status: str, shown: dict, before, after, fields=(), previous_name=None) -> ObjectChange:
    return ObjectChange(status, kind=shown.get("kind", ""), name=obj.name(shown), namespace=obj.namespace(shown),
                        api_version=shown.get("apiVersion", ""), before=before, after=after, fields=list(fields),
                        previous_name=previous_name)


def _hash_renames(removed: list[Key], added: list[Key]) -> list[tuple[Key, Key]]:
    """Pairs (removed, added) whose names differ only in a trailing content hash; unambiguous ones only."""
    def stem(key: Key):
        match = HASH_SUFFIX.match(key[3])
        return (*key[:3], match.group(1)) if match else None

    old_stems, new_stems = {}, {}
    for key in removed:
        if stem(key):
            old_stems.setdefault(stem(key), []).append(key)
    for key in added:
        if stem(key):
            new_stems.setdefault(stem(key), []).append(key)
    return [(old_stems[s][0], new_stems[s][0]) for s in old_stems
            if s in new_stems and len(old_stems[s]) == 1 and len(new_stems[s]) == 1]


def mask_secrets(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Masked copies; a value changed only in its masked part reads `*** (changed)` on the after side."""
    return (None if before is None else mask_object(before),
            None if after is None else mask_object(after, before))


def field_changes(before: Any, after: Any, path: str = "", field: str = "") -> list[FieldChange]:
    """The leaves that differ, by path; lists of named items are matched by their key (`kube.lists`), not position."""
    if before == after:
        return []
    if isinstance(before, dict) and isinstance(after, dict):
        out: list[FieldChange] = []
        for key in [*before, *(k for k in after if k not in before)]:
            out.extend(field_changes(before.get(key, ABSENT), after.get(key, ABSENT), join(path, key), str(key)))
        return out
    if isinstance(before, list) and isinstance(after, list):
        key = _list_key(field, before, after)
        if key:
            return _keyed_list_changes(before, after, field, key, path)
        if len(before) == len(after):
            out = []
            for index, (a, b) in enumerate(zip(before, after)):
                out.extend(field_changes(a, b, f"{path}[{index}]"))
            return out
    return [FieldChange(path or ".", before, after)]


def _keyed_list_changes(before: list, after: list, field: str, key, path: str) -> list[FieldChange]:
    old = {item_segment(field, i, key): i for i in before}
    new = {item_segment(field, i, key): i for i in after}
    out = []
    for k in [*old, *(k for k in new if k not in old)]:
        out.extend(field_changes(old.get(k, ABSENT), new.get(k, ABSENT), join(path, k)))
    if not out:  # same items, another order
        names = lambda side: [",".join(v for _, v in identity_of(key, i)) for i in side]  # noqa: E731
        out.append(FieldChange(f"{path} (order)", names(before), names(after)))
    return out


def _list_key(field: str, before: list, after: list):
    """The key naming the items of both lists, if every item has one, distinct within its list."""
    sides = [side for side in (before, after) if side]
    keys = {list_key(field, side, by_name=True) for side in sides}
    return keys.pop() if len(keys) == 1 and None not in keys else None


# ---------------------------------------------------------------- two revisions of a repository

@dataclass
class EnvironmentDiff:
    env: str
    base: str
    head: str
    changes: list[ObjectChange]
    risks: list  # list[risk.Risk], most severe first

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def diff_revisions(repo_path, base: str, head: str | None, envs: list[str] | None) -> list[EnvironmentDiff]:
    """Build each environment at both revisions with the real kustomize; diff and assess the objects.

    envs None means every overlay present at either revision; an overlay present at
    only one of them is wholly added or removed.
    """
    from gitops_kafka.errors import RevisionError
    from gitops_kafka.gitrepo import GitRepo
    from gitops_kafka.review import risk
    from gitops_kafka.review.snapshot import build_paths, snapshot

    def build(snap, env) -> list[dict]:
        return load(snap.build(env)) if snap.has_environment(env) else []

    repo = GitRepo(repo_path)
    out = []
    paths = build_paths(envs)  # what kustomize reads: a revision is exported no further
    with snapshot(repo, base, paths) as old, snapshot(repo, head, paths) as new, ThreadPoolExecutor(2) as pool:
        names = envs or sorted(set(old.environments()) | set(new.environments()))
        if not names:
            raise RevisionError(f"no overlays/<env>/ at {old.short} or {new.short}")
        for env in names:
            if not old.has_environment(env) and not new.has_environment(env):
                raise RevisionError(f"overlays/{env}/ exists at neither {old.short} nor {new.short}")
        # kustomize runs in a child process: base and head build side by side.
        builds = {(side, env): pool.submit(build, snap, env) for env in names for side, snap in (("old", old), ("new", new))}
        for env in names:
            before, after = builds[("old", env)].result(), builds[("new", env)].result()
            out.append(EnvironmentDiff(env, old.short, new.short, diff_objects(before, after),
                                       risk.assess(before, after)))
    return out
