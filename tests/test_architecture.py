"""The layers of docs/architecture.md hold: import-linter checks the contracts in pyproject.toml."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import PROJECT


def lint_imports(project: Path) -> subprocess.CompletedProcess:
    """lint-imports with project's pyproject.toml on project's src/ (first on the path, before the installed one)."""
    env = {**os.environ, "PYTHONPATH": str(project / "src")}
    script = "import sys; from importlinter.cli import lint_imports; sys.exit(lint_imports(no_cache=True, no_logo=True))"
    return subprocess.run([sys.executable, "-c", script], cwd=project, env=env, capture_output=True, text=True)


def test_the_layer_contracts_hold():
    result = lint_imports(PROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("module, added, broken", [
    # a feature package importing another sideways
    ("review/diff.py", "from gitops_kafka.drift import report", "gitops_kafka.review is not allowed to import gitops_kafka.drift"),
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
