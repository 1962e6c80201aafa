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

    check = commands.add_parser(
        "check", help="compare the live cluster with git once (exit 0 in sync, 1 drift, 2 error)",
        description="Build the environment's overlay at the tip of the tracked branch, read the live objects "
                    "and report drift and health.")
    add_target_options(check)
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(handler=run_check)

    daemon = commands.add_parser(
        "daemon", help="check on a schedule; serve /metrics, /healthz, /readyz and /drift",
        description="Run the drift check on a schedule (one at a time, missed runs coalesced) and serve its "
                    "latest report over HTTP for Prometheus and people.")
    add_target_options(daemon)
    daemon.add_argument("--interval", type=float, metavar="SECONDS",
                        help="seconds between checks (default: the environment's detector.interval)")
    daemon.add_argument("--listen", default="0.0.0.0:8080", metavar="HOST:PORT", help="HTTP address (default %(default)s)")
    daemon.set_defaults(handler=run_daemon)
    return parser


def add_target_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--env", required=True, metavar="ENV", help="environment to check")
    command.add_argument("--repo", default=None, metavar="URL|PATH",
                         help="GitOps repository to track (default: the repository of the current directory)")
    command.add_argument("--branch", default=None, metavar="NAME",
                         help="branch to track (default: the environment's gitops.revision)")
    command.add_argument("--cache", type=Path, default=None, metavar="DIR",
                         help="where the tracked branch is fetched to (default: a folder under the user cache)")
    command.add_argument("--kubeconfig", default=None, metavar="PATH", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    command.add_argument("--context", default=None, metavar="NAME", help="kubeconfig context (default: the current one)")
    command.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    command.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS", help="per API request (default %(default)s)")


def build_target(args: argparse.Namespace):
    from gitops_kafka.drift.check import default_target

    return default_target(args.env, args.repo, args.branch, args.cache, args.kubeconfig, args.context,
                          args.in_cluster, args.timeout)


def run_check(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.drift.check import run_check as check
    from gitops_kafka.drift.report import format_text

    report = check(build_target(args))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        print(format_text(report), end="")
    return 1 if report.has_drift() else 0


def run_daemon(args: argparse.Namespace) -> int:
    from gitops_kafka.daemon import Daemon, parse_listen

    target = build_target(args)
    host, port = parse_listen(args.listen)
    Daemon(target, interval=args.interval, host=host, port=port).serve_forever()
    return 0


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
