"""check-kafka and topics: ZooKeeper's ensemble and Kafka's metadata against an environment."""
from __future__ import annotations

import argparse

from gitops_kafka.cli.options import add_env, add_format, add_repo, host_port, seconds, zookeeper_hosts


def register(commands: argparse._SubParsersAction) -> None:
    check_kafka = commands.add_parser(
        "check-kafka", help="compare ZooKeeper's ensemble and Kafka's metadata with an environment",
        description="Probe the ZooKeeper ensemble and compare the brokers, topics, partitions and Kafka "
                    "Manager registration ZooKeeper holds with environments/<env>.yaml. Exit 0 in sync, "
                    "1 findings, 2 unreadable or invalid input.")
    add_source_options(check_kafka)
    add_format(check_kafka, "json")
    check_kafka.set_defaults(handler=run_check_kafka)

    topics = commands.add_parser("topics", help="Kafka topics against git",
                                 description="Kafka's topics against environments/<env>.yaml.")
    topic_commands = topics.add_subparsers(dest="topics_command", required=True, metavar="COMMAND")
    plan = topic_commands.add_parser(
        "plan", help="print the Kafka commands that would make the topics match git (never a delete)",
        description="Read the topics from ZooKeeper and print what it would take to make them match "
                    "environments/<env>.yaml, as kafka-topics / kafka-configs commands. Nothing is run. "
                    "Exit 0 nothing to do (or only to wait for a deletion), 1 something to do (a command, or a "
                    "note on what no command can do), 2 error or a topic that cannot be read.")
    add_source_options(plan)
    plan.add_argument("--bootstrap-server", type=host_port, metavar="HOST:PORT",
                      help="the bootstrap server in the printed commands (default: the cluster's Service)")
    add_format(plan, "json")
    plan.set_defaults(handler=run_topics_plan)


def add_source_options(command: argparse.ArgumentParser) -> None:
    """Which environment, and which ZooKeeper to read it from."""
    add_env(command, help="environment to compare against")
    add_repo(command, default="the current directory")
    command.add_argument("--zookeeper", type=zookeeper_hosts, metavar="HOSTS",
                         help="host:port[,host:port...][/chroot] to read instead of the members the environment "
                              "declares (default: $GITOPS_KAFKA_ZOOKEEPER, else the declared members)")
    command.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS",
                         help="ZooKeeper connection and session timeout (default 10)")


def run_check_kafka(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.config import load_environment
    from gitops_kafka.kafka import check as kafka_check

    config = load_environment(args.repo, args.env)
    result, _ = kafka_check.check(config, kafka_check.target(config, args.zookeeper), args.timeout)
    print(json.dumps(result.to_dict(), indent=2) if args.format == "json" else kafka_check.format_text(result))
    if not result.metadata.readable:
        return 2
    return 0 if result.in_sync else 1


def run_topics_plan(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.config import load_environment
    from gitops_kafka.kafka import check as kafka_check, plan as topic_plan, reader as kafka_reader

    config = load_environment(args.repo, args.env)
    where = kafka_check.target(config, args.zookeeper)
    snapshot = kafka_reader.read_once(where.hosts, where.chroot, config.cluster_name, args.timeout)
    steps = topic_plan.plan(snapshot, config, args.bootstrap_server)
    code = topic_plan.outcome(steps)
    if args.format == "json":
        print(json.dumps([s.to_dict() for s in steps], indent=2))
    elif code == 0:
        print(f"nothing to do: Kafka's topics match environments/{args.env}.yaml"
              + (" (once what is in progress completes)" if steps else ""))
    for step in steps if args.format == "text" else ():
        print(f"# {step.description}")
        if step.command:
            print(step.shell())
    return code
