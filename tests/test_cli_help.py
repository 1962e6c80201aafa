"""Every --help speaks to users: what the command does, its exit codes, an example."""
from __future__ import annotations

import argparse

from helpers import run_cli
from gitops_kafka.cli import build_parser


def commands(parser: argparse.ArgumentParser, prefix: str = ""):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, command in action.choices.items():
                yield f"{prefix}{name}", command
                yield from commands(command, f"{prefix}{name} ")


def test_every_command_says_what_it_does_its_exit_codes_and_an_example():
    found = dict(commands(build_parser()))
    assert {"init", "generate", "render", "diff", "validate", "review-comment", "check", "daemon", "check-kafka",
            "topics", "topics plan"} <= set(found)
    for name, command in found.items():
        text = command.format_help()
        description = text.split("\n\n")[1]
        assert len(description) > 30, f"{name}: no description"
        assert "exit codes: " in text and f"\n  gitops-kafka {name}" in text.split("examples:")[1], name


def test_top_level_help_is_for_users_not_developers():
    result = run_cli("--help")
    assert result.returncode == 0
    assert "No logic of its own" not in result.stdout and "parse, call, print" not in result.stdout
    assert "gitops-kafka init" in result.stdout and "Exit codes:" in result.stdout


def test_version():
    from gitops_kafka import __version__

    result = run_cli("--version")
    assert (result.returncode, result.stdout) == (0, f"gitops-kafka {__version__}\n")
