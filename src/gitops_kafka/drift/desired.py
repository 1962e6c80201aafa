"""Desired state: what Argo CD or Flux would apply, i.e. the tracked branch's overlay built by kustomize.

Not the generator's in-memory model: people edit overlays by hand too, and the
cluster receives what git holds at the tracked revision, whatever produced it.

A revision's built objects are kept in the cache clone's git directory, as Argo CD's repo
server keeps manifests by revision: a `check` run again on an unchanged branch (from cron,
from CI) reads them back as JSON instead of building and parsing again, which is most of a
check's time (kustomize is seconds at 1,000 objects; parsing its YAML is ten times a JSON read).
A tree whose kustomizations may name a remote base is built every time: its build is not a
function of the commit.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_kafka import gitrepo, kustomize
from gitops_kafka.config import EnvironmentConfig, load_environment
from gitops_kafka.errors import ConfigError, GitError, KustomizeError, SourceError
from gitops_kafka.kube.objects import load
from gitops_kafka.ledger import code_fingerprint
from gitops_kafka.tree import replace_file

MANIFESTS = "gitops-kafka-manifests"  # in the cache clone's git directory: never in the tree kustomize builds
KEEP = 4  # revisions kept: the tracked one and the last few before it


@dataclass(frozen=True)
class Desired:
    revision: str
    config: EnvironmentConfig
    objects: tuple[dict[str, Any], ...]
    environment: str = ""  # the environment it was read for ("": not known, never reused)

    def holds(self, revision: str, env: str) -> bool:
        """Whether this is the desired state of `env` at `revision` (all of it comes from that commit)."""
        return self.revision == revision and self.environment == env != ""


def load_desired(source: str, branch: str, env: str, cache: Path, credentials: Path | None = None,
                 known: Desired | None = None) -> Desired:
    """Fetch (with the credential files in `credentials`, if any), read the environment file and build
    the overlay at the branch's tip.

    `known` is an earlier cycle's answer: while the tip is still its revision it is returned as it is,
    with no fetch, checkout, build or parse (a daemon's cycle then costs asking for the tip and the reads).
    """
    try:
        if known is not None and known.holds(gitrepo.branch_tip(source, branch, cache, credentials=credentials)
                                             or "", env):
            return known
        revision = gitrepo.fetch_branch(source, branch, cache, credentials=credentials)
        if known is not None and known.holds(revision, env):
            return known
        tree = gitrepo.checkout_fetched(cache, revision, source)
    except GitError as exc:
        raise SourceError("git", str(exc)) from None
    try:
        config = load_environment(tree, env)
    except ConfigError as exc:
        raise SourceError("config", f"at {revision[:12]}: {exc}") from None
    overlay = config.gitops.path or config.overlay_path
    try:
        kept = None if kustomize.may_read_remote(tree) else \
            cache / ".git" / MANIFESTS / f"{manifests_key(revision, env, overlay)}.json"
        objects = kept_objects(kept) if kept else None
        if objects is None:
            objects = tuple(load(kustomize.build(tree / overlay)))
            if kept:
                keep_objects(kept, objects)
    except KustomizeError as exc:
        raise SourceError("kustomize", f"at {revision[:12]}: {exc}".replace(str(tree) + "/", "")) from None
    return Desired(revision, config, objects, env)


def manifests_key(revision: str, env: str, overlay: str) -> str:
    """What a build's objects depend on: the commit (the tree is exactly it), the overlay built,
    the kustomize that built it and the code and YAML library that parsed it."""
    digest = hashlib.sha256(code_fingerprint())
    digest.update(json.dumps([revision, env, overlay, kustomize.identity()]).encode())
    return digest.hexdigest()


def kept_objects(path: Path) -> tuple[dict[str, Any], ...] | None:
    """The objects kept at path (marked as used, for KEEP); None when there are none, or they cannot
    be read as kept."""
    try:
        objects = json.loads(path.read_bytes())
        os.utime(path)
    except (OSError, ValueError):
        return None
    if not isinstance(objects, list) or not all(isinstance(o, dict) for o in objects):
        return None
    return tuple(objects)


def keep_objects(path: Path, objects: tuple[dict[str, Any], ...]) -> None:
    """Keep a build's objects at path (atomically), unless JSON cannot hold them exactly (a YAML
    timestamp, a key that is not a string); forget all but the KEEP latest. Best effort: a cache
    that cannot be written is no cache."""
    try:
        text = json.dumps(objects, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):  # a date, NaN
        return
    if json.loads(text) != list(objects):  # a key that is not a string
        return
    try:
        path.parent.mkdir(exist_ok=True)
        replace_file(path, text)
        for old in sorted(path.parent.glob("*.json"), key=lambda p: p.stat().st_mtime_ns, reverse=True)[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        pass
