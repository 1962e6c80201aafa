"""Where environment files are: environments/<env>.yaml, and the shared defaults beside them.

Apart from the model so that finding the files costs no pydantic import (generate's
shortcut hashes them before deciding whether anything needs validating).
"""
from __future__ import annotations

from pathlib import Path

DEFAULTS_NAME = "defaults"
ENVIRONMENTS_DIR = "environments"


def environment_names(repo: Path) -> list[str]:
    """Environments are the YAML files under environments/, except the shared defaults."""
    folder = repo / ENVIRONMENTS_DIR
    return sorted(p.stem for p in folder.glob("*.yaml") if p.stem != DEFAULTS_NAME)


def source_paths(envs: list[str]) -> list[str]:
    """The files an output is generated from, repository-relative: the defaults, then each environment's."""
    return [f"{ENVIRONMENTS_DIR}/{name}.yaml" for name in [DEFAULTS_NAME, *envs]]
