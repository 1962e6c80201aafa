"""A bad value for any option of any command: one line naming it, exit 2, never a traceback.

The table below holds a bad value for every option that takes one; a test checks that the
table stays complete as options are added.
"""
from __future__ import annotations

import argparse
import socket
import subprocess

import pytest

from helpers import run_cli
from gitops_kafka.cli import build_parser

MISSING_DIR = "/nonexistent-gitops-kafka"
MALFORMED_KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: [\n"
# Options read again at every cycle of the daemon: a bad value there is a failed check, counted in
# its metrics (the daemon keeps running and recovers once it is fixed), not a start-up error.
READ_EACH_CYCLE = {("daemon", "--env"), ("daemon", "--repo"), ("daemon", "--cache")}


@pytest.fixture(scope="module")
def files(tmp_path_factory, gitops_repo):
    root = tmp_path_factory.mktemp("cli-input")
    (root / "malformed-kubeconfig").write_text(MALFORMED_KUBECONFIG)
    (root / "kubeconfig").write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: here\nclusters:\n- name: c\n  cluster: {server: 'https://127.0.0.1:9'}\n"
        "contexts:\n- name: here\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {token: t}\n")
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    (root / "empty").mkdir()
    subprocess.run(["git", "init", "-q", str(root / "empty")], check=True)
    yield {"repo": str(gitops_repo), "empty": str(root / "empty"), "cache": str(root / "cache"), "kubeconfig": str(root / "kubeconfig"),
           "malformed": str(root / "malformed-kubeconfig"), "busy": f"127.0.0.1:{busy.getsockname()[1]}"}
    busy.close()


def base(command: str, f: dict) -> list[str]:
    """A valid command line for each command, so that only the option under test is wrong."""
    target = ["--env", "prod", "--repo", f["repo"], "--branch", "main", "--cache", f["cache"],
              "--kubeconfig", f["kubeconfig"], "--timeout", "1"]
    return {
        "init": ["init", "--repo", f["empty"]],
        "generate": ["generate", "--env", "prod", "--check", "--repo", f["repo"]],
        "render": ["render", "--env", "prod", "--repo", f["repo"]],
        "diff": ["diff", "--env", "prod", "--base", "HEAD", "--repo", f["repo"]],
        "validate": ["validate", "--env", "prod", "--repo", f["repo"]],
        "review-comment": ["review-comment", "--base", "HEAD", "--repo", f["repo"]],
        "check": ["check", *target],
        "daemon": ["daemon", *target, "--listen", "127.0.0.1:0"],
        "check-kafka": ["check-kafka", "--env", "prod", "--repo", f["repo"], "--zookeeper", "127.0.0.1:9", "--timeout", "1"],
        "topics plan": ["topics", "plan", "--env", "prod", "--repo", f["repo"], "--zookeeper", "127.0.0.1:9", "--timeout", "1"],
        "codify": ["codify", "--env", "prod", "--repo", f["repo"], "--cache", f["cache"], "--kubeconfig", f["kubeconfig"],
                   "--timeout", "1"],
        "import": ["import", "--env", "adopted", "--repo", f["repo"], "--namespace", "kafka", "--kubeconfig", f["kubeconfig"],
                   "--timeout", "1", "--no-write"],
    }[command]


# (command, option, bad value: a string, or a key of `files`, as "{key}")
CASES = [
    ("init", "--tool", "jenkins"), ("init", "--env", "Prod_1"), ("init", "--repo-url", "not a url"),
    ("init", "--repo", MISSING_DIR),
    ("generate", "--env", "nope"), ("generate", "--repo", MISSING_DIR), ("generate", "--branch", "bad..name"),
    ("render", "--env", "nope"), ("render", "--ref", "no-such-revision"), ("render", "--repo", MISSING_DIR),
    ("diff", "--env", "nope"), ("diff", "--base", "no-such-revision"), ("diff", "--head", "no-such-revision"),
    ("diff", "--format", "yaml"), ("diff", "--color", "sometimes"), ("diff", "--repo", MISSING_DIR),
    ("validate", "--env", "nope"), ("validate", "--ref", "no-such-revision"), ("validate", "--format", "yaml"),
    ("validate", "--repo", MISSING_DIR),
    ("review-comment", "--base", "no-such-revision"), ("review-comment", "--head", "no-such-revision"),
    ("review-comment", "--output", f"{MISSING_DIR}/x.md"), ("review-comment", "--output", "/"),
    ("review-comment", "--repo", MISSING_DIR),
    ("check", "--env", "nope"), ("check", "--repo", MISSING_DIR), ("check", "--branch", "no-such-branch"),
    ("check", "--branch", "bad..name"), ("check", "--cache", "/dev/null/cache"),
    ("check", "--kubeconfig", "{malformed}"), ("check", "--kubeconfig", f"{MISSING_DIR}/kubeconfig"),
    ("check", "--context", "no-such-context"), ("check", "--timeout", "-1"), ("check", "--timeout", "0"),
    ("check", "--timeout", "nan"), ("check", "--timeout", "soon"), ("check", "--zookeeper", "garbage:::"),
    ("check", "--zookeeper", "zk:99999"), ("check", "--format", "yaml"), ("check", "--git-credentials", MISSING_DIR),
    ("daemon", "--branch", "bad..name"), ("daemon", "--kubeconfig", "{malformed}"),
    ("daemon", "--kubeconfig", f"{MISSING_DIR}/kubeconfig"), ("daemon", "--context", "no-such-context"),
    ("daemon", "--timeout", "-1"), ("daemon", "--zookeeper", "garbage:::"), ("daemon", "--interval", "-5"),
    ("daemon", "--interval", "inf"), ("daemon", "--listen", "{busy}"), ("daemon", "--listen", "nohost.invalid:8080"),
    ("daemon", "--listen", "0.0.0.0:99999"), ("daemon", "--git-credentials", MISSING_DIR), ("daemon", "--listen", "no-port"),
    ("check-kafka", "--env", "nope"), ("check-kafka", "--repo", MISSING_DIR), ("check-kafka", "--zookeeper", "garbage:::"),
    ("check-kafka", "--timeout", "-1"), ("check-kafka", "--format", "yaml"),
    ("topics plan", "--env", "nope"), ("topics plan", "--repo", MISSING_DIR), ("topics plan", "--zookeeper", "garbage:::"),
    ("topics plan", "--zookeeper", "/kafka"), ("topics plan", "--timeout", "-1"),
    ("topics plan", "--bootstrap-server", "no port"), ("topics plan", "--format", "yaml"),
    ("codify", "--env", "nope"), ("codify", "--repo", MISSING_DIR), ("codify", "--branch", "bad..name"),
    ("codify", "--only", "StatefulSet"), ("codify", "--only", "a/b/c"), ("codify", "--kubeconfig", "{malformed}"),
    ("codify", "--context", "no-such-context"), ("codify", "--cache", "/dev/null/cache"), ("codify", "--timeout", "-1"),
    ("codify", "--zookeeper", "garbage:::"),
    ("import", "--env", "Prod_1"), ("import", "--env", "defaults"), ("import", "--repo", MISSING_DIR),
    ("import", "--namespace", "Kafka_NS"), ("import", "--kubeconfig", "{malformed}"),
    ("import", "--kubeconfig", f"{MISSING_DIR}/kubeconfig"), ("import", "--context", "no-such-context"),
    ("import", "--zookeeper", "garbage:::"), ("import", "--timeout", "-1"), ("import", "--format", "yaml"),
]


def replace_option(args: list[str], option: str, value: str) -> list[str]:
    if option in args:
        args = list(args)
        args[args.index(option) + 1] = value
        return args
    return [*args, option, value]


@pytest.mark.parametrize("command, option, value", CASES, ids=[f"{c} {o} {v}" for c, o, v in CASES])
def test_a_bad_option_value_is_one_line_naming_it_and_exit_2(files, command, option, value):
    value = value.format(**files)
    result = run_cli(*replace_option(base(command, files), option, value))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    shown = value if option != "--output" else value.rsplit("/", 1)[0] or value
    assert shown in lines[0] or repr(shown) in lines[0], lines[0]
    assert lines[0].startswith(f"gitops-kafka {command.split()[0]}")


def value_options() -> set[tuple[str, str]]:
    """(command, option) of every option that takes a value, from the parser itself."""
    found = set()

    def walk(parser: argparse.ArgumentParser, name: str) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for sub, child in action.choices.items():
                    walk(child, f"{name} {sub}".strip())
            elif action.option_strings and action.nargs != 0 and not isinstance(action, argparse._VersionAction):
                found.add((name, max(action.option_strings, key=len)))

    walk(build_parser(), "")
    return found


def test_the_table_covers_every_option_that_takes_a_value():
    covered = {(c, o) for c, o, _ in CASES} | READ_EACH_CYCLE
    assert value_options() - covered == set()
