"""The fast lane (`pytest -m "not slow"`) keeps the pure tests and leaves out servers, child processes and git."""
from __future__ import annotations

import subprocess
import sys

from helpers import PROJECT


def fast_lane(*paths: str) -> set[str]:
    result = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                             "-m", "not slow", *paths], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return {line.split("[")[0] for line in result.stdout.splitlines() if "::" in line}


def test_slow_by_fixture_by_module_and_by_what_the_test_calls():
    lane = fast_lane("tests/test_imports.py", "tests/test_kafka_reader.py", "tests/test_cli_help.py",
                     "tests/test_config.py", "tests/test_monitoring.py")
    # pure: a model validated in process
    assert "tests/test_config.py::test_shipped_environment_files_are_valid" in lane
    # the `repo` fixture (a git repository), a module of ZooKeeper servers, run_cli in the test, and in a fixture
    assert "tests/test_imports.py::test_generate_imports_no_client_libraries" not in lane
    assert not any(test.startswith("tests/test_kafka_reader.py") for test in lane)
    assert "tests/test_cli_help.py::test_version" not in lane
    assert "tests/test_monitoring.py::test_rule_and_monitor_labels_are_set_from_the_environment" not in lane
