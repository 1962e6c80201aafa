"""The gitops-kafka command line: parse, call, print, exit code. No logic of its own.

Exit codes: 0 done (or nothing to do), 1 found something (`--check` difference, a diff,
validation findings), 2 invalid input, 3 refused to overwrite work or git failed.
`diff` keeps to 0 / 1 / 2: every error it meets exits 2.

A bad value on the command line is one line naming the option and the value, exit 2:
values are checked here (numbers of seconds, the --listen address, the --output
directory) before any work starts, never met later as a traceback.

Each command group registers its commands from its own module (`generate`: init and
generate; `review`: render, diff, validate, review-comment; `drift`: check and daemon;
`kafka`: check-kafka and topics; `codify`: codify; `adopt`: import); `options` holds the options they share.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import textwrap

from gitops_kafka import __version__, usage
from gitops_kafka.cli.options import Parser
from gitops_kafka.errors import ConfigError, GitopsKafkaError

GROUPS = ("generate", "review", "drift", "kafka", "codify", "adopt")  # in the order --help lists their commands
# Which group registers each command (tests/test_cli_help.py checks it against what they register).
COMMANDS = {"init": "generate", "generate": "generate", "render": "review", "diff": "review", "validate": "review",
            "review-comment": "review", "check": "drift", "daemon": "drift", "check-kafka": "kafka",
            "topics": "kafka", "codify": "codify", "import": "adopt"}


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with a `command`, only its group's commands (the same parser for it).

    A command's run then neither imports nor builds the parsers of the others (several ms
    of the 50 that `render` adds to the build it prints). Anything else (no command,
    --help, --version, a misspelt command) gets the whole parser and its messages.
    """
    parser = Parser(prog="gitops-kafka", description=textwrap.fill(usage.SUMMARY, width=88),
                    epilog=usage.OVERVIEW, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gitops-kafka {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (COMMANDS[command],) if command in COMMANDS else GROUPS:
        importlib.import_module(f"gitops_kafka.cli.{group}").register(commands)
    usage.explain(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return args.handler(args)
    except GitopsKafkaError as exc:
        # One line; only a ConfigError lists its problems one per line, by file and line.
        message = str(exc) if isinstance(exc, ConfigError) else " ".join(str(exc).split())
        print(f"gitops-kafka {args.command}: {message}", file=sys.stderr)
        return getattr(args, "error_exit_code", None) or exc.exit_code
    except KeyboardInterrupt:
        print(f"gitops-kafka {args.command}: interrupted", file=sys.stderr)
        return 130
