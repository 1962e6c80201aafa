"""Golden files: the generated tree and the kustomize-built overlays of frozen inputs.

The inputs under golden/environments/ do not follow the shipped environments, so
a golden diff means the renderer changed. After an intended change, refresh with
`UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py` and review the diff.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_kafka import kustomize
from gitops_kafka.config import environment_names
from gitops_kafka.generator import plan

GOLDEN = Path(__file__).parent / "golden"
EXPECTED = GOLDEN / "expected"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    planned = plan(GOLDEN, None)
    out = tmp_path_factory.mktemp("golden")
    for path, text in planned.tree.files.items():
        (out / path).parent.mkdir(parents=True, exist_ok=True)
        (out / path).write_text(text)
    files = dict(planned.tree.files)
    for env in planned.envs:
        files[f"built/{env}.yaml"] = kustomize.build(out / "overlays" / env)
    return files


def compare(files: dict[str, str]) -> None:
    if UPDATE:
        for path, text in files.items():
            (EXPECTED / path).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / path).write_text(text)
    expected = {p.relative_to(EXPECTED).as_posix(): p.read_text() for p in EXPECTED.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected), "files added or removed: refresh with UPDATE_GOLDEN=1 and review"
    for path in sorted(files):
        assert files[path] == expected[path], f"{path} differs from its golden file"


@pytest.mark.parametrize("env", environment_names(GOLDEN))
def test_built_overlay_matches_golden(rendered, env):
    path = f"built/{env}.yaml"
    if UPDATE:
        (EXPECTED / path).parent.mkdir(parents=True, exist_ok=True)
        (EXPECTED / path).write_text(rendered[path])
    assert rendered[path] == (EXPECTED / path).read_text(), f"{path} differs from its golden file"


def test_generated_tree_matches_golden(rendered):
    compare(rendered)
