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


def test_a_command_run_alone_gets_the_parser_the_whole_command_line_has_for_it():
    """main() builds only the named command's group: COMMANDS names every command's group, and each
    command (and its subcommands) parses, helps and errs exactly as in the whole parser."""
    from gitops_kafka.cli import COMMANDS, GROUPS

    whole = dict(commands(build_parser()))
    assert set(COMMANDS) == {name for name in whole if " " not in name}
    for command, group in COMMANDS.items():
        assert group in GROUPS
        alone = dict(commands(build_parser(command)))
        assert command in alone and set(alone) <= set(whole)
        mine = {name for name in whole if name.split(" ")[0] in alone}
        assert set(alone) == mine, (command, group)
        for name, parser in alone.items():
            assert parser.format_help() == whole[name].format_help(), name
            assert parser.format_usage() == whole[name].format_usage(), name


def test_a_command_run_alone_parses_and_refuses_as_before(capsys):
    import pytest

    for argv in (["render", "--env", "prod"], ["check", "--env", "prod", "--timeout", "5"],
                 ["topics", "plan", "--env", "prod"], ["import", "--env", "prod", "--namespace", "kafka"]):
        alone, whole = vars(build_parser(argv[0]).parse_args(argv)), vars(build_parser().parse_args(argv))
        assert alone.pop("handler").__qualname__ == whole.pop("handler").__qualname__ and alone == whole, argv
    said = []
    for parser in (build_parser("render"), build_parser()):
        with pytest.raises(SystemExit) as exit:
            parser.parse_args(["render", "--ref"])
        said.append((exit.value.code, capsys.readouterr().err))
    assert said[0] == said[1] and said[0][0] == 2 and "gitops-kafka render: argument --ref" in said[0][1]
