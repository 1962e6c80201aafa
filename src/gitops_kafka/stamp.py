"""Which version of gitops-kafka generated a directory: one small stamp file per owned directory.

The stamp is a file of its own rather than a line in every generated file, so a new
release changes one line per owned directory instead of the header of every file
(docs/architecture.md says why). Kustomize, Argo CD and Flux read only the files a
kustomization or a directory source lists as YAML, so the stamp never reaches a cluster.
"""
from __future__ import annotations

from gitops_kafka import __version__
from gitops_kafka.tree import STAMP, Tree
PREFIX = "gitops-kafka "


def stamp_text(version: str) -> str:
    return (f"# The gitops-kafka version that generated this directory; generate rewrites it.\n"
            f"{PREFIX}{version}\n")


def add_stamps(tree: Tree, version: str | None = None) -> None:
    """Put a stamp naming version (default: this package's) in every directory the tree writes to."""
    for directory in tree.directories:
        tree.add(f"{directory}/{STAMP}", stamp_text(version or __version__))


def read_version(text: str | None) -> str | None:
    """The version a stamp names; None for a missing or unreadable stamp."""
    for line in (text or "").splitlines():
        if line.startswith(PREFIX):
            return line[len(PREFIX):].strip() or None
    return None
