"""The gitops-kafka command line: parse, call, print, exit code. No logic of its own.

Exit codes: 0 done (or nothing to do), 1 `--check` found a difference,
2 invalid input, 3 refused to overwrite work or git failed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitops_kafka import __version__
from gitops_kafka.errors import GitopsKafkaError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gitops-kafka", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"gitops-kafka {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    generate = commands.add_parser(
        "generate", help="write base/, overlays/<env>/ and clusters/<env>/ from environments/ and commit them",
        description="Render environments/<env>.yaml into Kustomize base/ and overlays/<env>/ plus the "
                    "Argo CD Application or Flux Kustomization in clusters/<env>/, and commit the result.")
    which = generate.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", action="append", metavar="ENV", help="environment to generate (repeatable)")
    which.add_argument("--all", action="store_true", help="every environments/*.yaml")
    generate.add_argument("--repo", type=Path, default=Path.cwd(), metavar="PATH",
                          help="the GitOps repository (default: the one holding the current directory)")
    mode = generate.add_mutually_exclusive_group()
    mode.add_argument("--no-commit", action="store_true", help="write the files but do not commit")
    mode.add_argument("--check", action="store_true",
                      help="write nothing; exit 1 if the committed output differs from what would be generated")
    mode.add_argument("--branch", metavar="NAME", help="commit on a new branch NAME (for a pull request)")
    generate.set_defaults(handler=run_generate)
    return parser


def run_generate(args: argparse.Namespace) -> int:
    from gitops_kafka import generator

    envs = None if args.all else list(dict.fromkeys(args.env))
    if args.check:
        result = generator.check(args.repo, envs)
        if result.differences:
            print("generated output is out of date; run gitops-kafka generate:")
            for line in result.differences:
                print(f"  {line}")
            return 1
        print("generated output is up to date")
        return 0
    result = generator.generate(args.repo, envs, commit=not args.no_commit, branch=args.branch)
    for directory in result.changed:
        print(f"wrote {directory}/")
    if result.commit:
        print(f"committed {result.commit[:12]} on {result.branch or 'a detached HEAD'}")
    elif not result.changed:
        print("nothing changed: the generated files are current" + ("" if args.no_commit else " and committed"))
    for note in result.notes:
        print(f"note: {note}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except GitopsKafkaError as exc:
        print(f"gitops-kafka {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"gitops-kafka {args.command}: interrupted", file=sys.stderr)
        return 130
