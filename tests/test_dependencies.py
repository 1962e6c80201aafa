"""What a plain `pip install .` brings is what the code imports: every third-party module
imported anywhere under src/ comes from a distribution named in [project.dependencies]
(not from a test extra, and not merely as some other package's dependency)."""
from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib

from helpers import PROJECT


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(requirement: str) -> str:
    return normalized(re.split(r"[<>=!~;\[ @]", requirement, maxsplit=1)[0])


def project() -> dict:
    return tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def third_party_imports() -> dict[str, list[str]]:
    """Top-level module -> where it is imported (file:line), for every non-stdlib, non-own import."""
    found: dict[str, list[str]] = {}
    for path in sorted((PROJECT / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top.startswith("_") or top == "gitops_kafka":
                    continue
                found.setdefault(name, []).append(f"{path.relative_to(PROJECT)}:{node.lineno}")
    return found


def test_every_runtime_import_is_a_declared_dependency():
    declared = {requirement_name(r) for r in project()["dependencies"]}
    distributions = metadata.packages_distributions()
    missing = []
    for module, where in sorted(third_party_imports().items()):
        owners = {normalized(d) for d in distributions.get(module.split(".")[0], [])}
        assert owners, f"{module} (imported at {where[0]}) is not installed in the test environment"
        if not owners & declared:
            missing.append(f"{where[0]}: import {module}: from {', '.join(sorted(owners))}")
    assert not missing, "imported by runtime code but not in [project.dependencies]:\n" + "\n".join(missing)


def test_no_runtime_dependency_is_only_in_an_extra():
    """The test extra holds test tools only: nothing src/ imports may be declared there alone."""
    declared = {requirement_name(r) for r in project()["dependencies"]}
    for extra, requirements in project().get("optional-dependencies", {}).items():
        for requirement in requirements:
            name = requirement_name(requirement)
            assert name in declared or not _imported_from(name), f"{name} is imported by src/ but only in [{extra}]"


def _imported_from(distribution: str) -> bool:
    distributions = metadata.packages_distributions()
    return any(distribution in {normalized(d) for d in distributions.get(m.split(".")[0], [])}
               for m in third_party_imports())
