"""An environment's overlay built at a git revision, byte for byte what kustomize builds there.

A revision is exported from the object database into a temporary directory and
built there, so reviewing never touches the working tree; no revision means the
working tree itself, uncommitted edits included. A build exports only what
kustomize reads (`build_paths`: base/ and the overlays built), not the whole revision.
"""
from __future__ import annotations

from collections import namedtuple
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops_kafka import kustomize
from gitops_kafka.errors import RevisionError
from gitops_kafka.gitrepo import GitRepo

BASE = "base"
OVERLAYS = "overlays"
KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
WORKING_TREE = "working tree"


class Snapshot(namedtuple("Snapshot", "root label commit")):
    """The repository's files at one revision, readable as a directory: `root` (a Path), `label`
    (what the user named: a ref, or "working tree") and `commit` (the resolved commit; None for
    the working tree). A named tuple, not a dataclass, as `errors.Problem`: `render` should cost its
    build, and importing `dataclasses` (and `inspect` with it) is about 10 ms more."""

    __slots__ = ()

    @property
    def short(self) -> str:
        return f"{self.label} ({self.commit[:12]})" if self.commit else self.label

    def overlay(self, env: str) -> Path:
        return self.root / OVERLAYS / env

    def has_environment(self, env: str) -> bool:
        return any((self.overlay(env) / name).is_file() for name in KUSTOMIZATION_FILES)

    def environments(self) -> list[str]:
        """Every overlays/<env>/ that kustomize can build at this revision."""
        overlays = self.root / OVERLAYS
        if not overlays.is_dir():
            return []
        return sorted(p.name for p in overlays.iterdir() if p.is_dir() and self.has_environment(p.name))

    def build(self, env: str) -> str:
        """The overlay built by the real kustomize; RevisionError when the revision lacks it."""
        if not self.has_environment(env):
            raise RevisionError(f"{OVERLAYS}/{env}/ does not exist at {self.short}")
        return kustomize.build(self.overlay(env), display=f"{OVERLAYS}/{env} at {self.short}")


def build_paths(envs: list[str] | None) -> list[str]:
    """What kustomize reads to build these overlays (None: every overlay): base/ and the overlays."""
    return [BASE, *(f"{OVERLAYS}/{env}" for env in envs)] if envs else [BASE, OVERLAYS]


@contextmanager
def snapshot(repo: GitRepo, ref: str | None, paths: list[str] | None = None) -> Iterator[Snapshot]:
    """The files at ref (exported to a temporary directory: those under paths, or all), or the
    working tree when ref is None."""
    if ref is None:
        yield Snapshot(repo.root, WORKING_TREE, None)
        return
    import tempfile

    with tempfile.TemporaryDirectory(prefix="gitops-kafka-review-") as tmp:
        commit = repo.export(ref, Path(tmp), paths)
        yield Snapshot(Path(tmp), ref, commit)


def render(repo_path: Path, env: str, ref: str | None = None) -> str:
    """`kubectl kustomize overlays/<env>` as it builds at ref (default: the working tree)."""
    with snapshot(GitRepo(repo_path), ref, build_paths([env])) as snap:
        return snap.build(env)
