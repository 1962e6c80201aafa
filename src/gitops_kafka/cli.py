"""The gitops-kafka command line: parse, call, print, exit code. No logic of its own.

Exit codes: 0 done (or nothing to do), 1 `--check` found a difference (or a check
found drift, or a plan has something to do), 2 invalid input or a source that cannot
be read, 3 refused to overwrite work or git failed.
"""
from __future__ import annotations

import argparse
import json
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

    check_kafka = commands.add_parser(
        "check-kafka", help="compare ZooKeeper's ensemble and Kafka's metadata with an environment",
        description="Probe the ZooKeeper ensemble and compare the brokers, topics, partitions and Kafka "
                    "Manager registration ZooKeeper holds with environments/<env>.yaml. Exit 0 in sync, "
                    "1 findings, 2 unreadable or invalid input.")
    _kafka_source_arguments(check_kafka)
    check_kafka.add_argument("--format", choices=("text", "json"), default="text")
    check_kafka.set_defaults(handler=run_check_kafka)

    topics = commands.add_parser("topics", help="Kafka topics against git")
    topic_commands = topics.add_subparsers(dest="topics_command", required=True, metavar="COMMAND")
    plan = topic_commands.add_parser(
        "plan", help="print the Kafka commands that would make the topics match git (never a delete)",
        description="Read the topics from ZooKeeper and print what it would take to make them match "
                    "environments/<env>.yaml, as kafka-topics / kafka-configs commands. Nothing is run. "
                    "Exit 0 nothing to do, 1 something to do, 2 error.")
    _kafka_source_arguments(plan)
    plan.add_argument("--bootstrap-server", metavar="HOST:PORT",
                      help="the bootstrap server in the printed commands (default: the cluster's Service)")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(handler=run_topics_plan)
    return parser


def _kafka_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="environment to compare against")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), metavar="PATH",
                        help="the GitOps repository (default: the current directory)")
    parser.add_argument("--zookeeper", metavar="HOSTS",
                        help="host:port[,host:port...][/chroot] to read instead of the members the environment "
                             "declares (default: $GITOPS_KAFKA_ZOOKEEPER, else the declared members)")
    parser.add_argument("--timeout", type=float, default=10.0, metavar="SECONDS",
                        help="ZooKeeper connection and session timeout (default 10)")


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


def run_check_kafka(args: argparse.Namespace) -> int:
    from gitops_kafka.config import load_environment
    from gitops_kafka.drift import kafka_check

    config = load_environment(args.repo, args.env)
    result, _ = kafka_check.check(config, kafka_check.target(config, args.zookeeper), args.timeout)
    print(json.dumps(result.to_dict(), indent=2) if args.format == "json" else kafka_check.format_text(result))
    if not result.metadata.readable:
        return 2
    return 0 if result.in_sync else 1


def run_topics_plan(args: argparse.Namespace) -> int:
    from gitops_kafka.config import load_environment
    from gitops_kafka.drift import kafka_check, kafka_reader, topic_plan

    config = load_environment(args.repo, args.env)
    where = kafka_check.target(config, args.zookeeper)
    snapshot = kafka_reader.read_once(where.hosts, where.chroot, config.cluster_name, args.timeout)
    steps = topic_plan.plan(snapshot, config, args.bootstrap_server)
    if args.format == "json":
        print(json.dumps([s.to_dict() for s in steps], indent=2))
    elif not steps:
        print(f"nothing to do: Kafka's topics match environments/{args.env}.yaml")
    for step in steps if args.format == "text" else ():
        print(f"# {step.description}")
        if step.command:
            print(step.shell())
    return 1 if steps else 0


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
