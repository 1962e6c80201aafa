"""The layers of docs/architecture.md hold: import-linter checks the contracts in pyproject.toml."""
from __future__ import annotations

import os
import pkgutil
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from helpers import PROJECT


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """lint-imports with project's pyproject.toml on project's src/ (first on the path, before the installed one)."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    script = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run([sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True)


def contracts() -> dict[str, dict]:
    config = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {contract["id"]: contract for contract in config["contracts"]}


def test_the_layer_contracts_hold():
    result = lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_every_module_has_a_layer():
    """A module the layers do not name is held to nothing: the contract would pass whatever it imports."""
    named = {name.strip("() ") for layer in contracts()["layers"]["layers"] for name in re.split(r"[|:]", layer)}
    modules = {m.name for m in pkgutil.iter_modules([str(PROJECT / "src" / "gitops_kafka")])}
    assert modules - named == set()


def test_the_feature_packages_have_no_exceptions():
    """Each sideways import found a home below (kube/, topology.py, config/) or above (checking.py, adopt/)."""
    features = contracts()["features"]
    layer = next(layer for layer in contracts()["layers"]["layers"] if "render" in layer)
    assert "ignore_imports" not in features
    assert set(features["modules"]) == {f"gitops_kafka.{name.strip()}" for name in layer.split(":")}


@pytest.mark.parametrize("module, added, broken", [
    # a feature package importing another sideways, among them the imports issue 12 moved away
    ("review/diff.py", "from gitops_kafka.drift import report", "gitops_kafka.review is not allowed to import gitops_kafka.drift"),
    ("drift/check.py", "from gitops_kafka.kafka import check", "gitops_kafka.drift is not allowed to import gitops_kafka.kafka"),
    ("drift/sync.py", "from gitops_kafka.render import gitops", "gitops_kafka.drift is not allowed to import gitops_kafka.render"),
    ("kafka/plan.py", "from gitops_kafka.render import topics", "gitops_kafka.kafka is not allowed to import gitops_kafka.render"),
    # a workflow importing another of its layer, or one above it
    ("checking.py", "from gitops_kafka import generator", "gitops_kafka.checking is not allowed to import gitops_kafka.generator"),
    ("adopt/plan.py", "from gitops_kafka import codify", "gitops_kafka.adopt is not allowed to import gitops_kafka.codify"),
    # a feature package importing a workflow
    ("drift/report.py", "from gitops_kafka import checking", "gitops_kafka.drift is not allowed to import gitops_kafka.checking"),
    # the bottom importing a feature package
    ("config/model.py", "from gitops_kafka import render", "gitops_kafka.config is not allowed to import gitops_kafka.render"),
    # a feature package importing the CLI
    ("render/topics.py", "import gitops_kafka.cli", "gitops_kafka.render is not allowed to import gitops_kafka.cli"),
])
def test_an_import_against_the_layers_breaks_a_contract(tmp_path, module, added, broken):
    shutil.copy(PROJECT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(PROJECT / "src" / "gitops_kafka", tmp_path / "src" / "gitops_kafka",
                    ignore=shutil.ignore_patterns("__pycache__"))
    source = tmp_path / "src" / "gitops_kafka" / module
    source.write_text(source.read_text().replace("from __future__ import annotations\n",
                                                 f"from __future__ import annotations\n\n{added}\n", 1))
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert broken in " ".join(result.stdout.split()), result.stdout
