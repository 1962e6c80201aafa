"""Desired state: what Argo CD or Flux would apply, i.e. the tracked branch's overlay built by kustomize.

Not the generator's in-memory model: people edit overlays by hand too, and the
cluster receives what git holds at the tracked revision, whatever produced it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_kafka import gitrepo, kustomize
from gitops_kafka.config import EnvironmentConfig, load_environment
from gitops_kafka.errors import ConfigError, GitError, KustomizeError, SourceError
from gitops_kafka.kube.objects import load


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
    overlay = tree / (config.gitops.path or config.overlay_path)
    try:
        text = kustomize.build(overlay)
    except KustomizeError as exc:
        raise SourceError("kustomize", f"at {revision[:12]}: {exc}".replace(str(tree) + "/", "")) from None
    objects = tuple(load(text))
    return Desired(revision, config, objects, env)
