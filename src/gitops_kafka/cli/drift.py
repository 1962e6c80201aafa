"""check and daemon: the live cluster against git, once or on a schedule."""
from __future__ import annotations

import argparse
from pathlib import Path

from gitops_kafka.cli.options import (add_cluster, add_env, add_format, add_repo, branch_name, existing_directory, seconds,
                                      zookeeper_hosts)


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser(
        "check", help="compare the live cluster with git once (exit 0 in sync, 1 drift, 2 error)",
        description="Build the environment's overlay at the tip of the tracked branch, read the live objects "
                    "and report drift and health.")
    add_target_options(check)
    add_format(check, "json")
    check.set_defaults(handler=run_check)

    daemon = commands.add_parser(
        "daemon", help="check on a schedule; serve /metrics, /healthz, /readyz and /drift",
        description="Run the drift check on a schedule (one at a time, missed runs coalesced) and serve its "
                    "latest report over HTTP for Prometheus and people.")
    add_target_options(daemon)
    daemon.add_argument("--interval", type=seconds, metavar="SECONDS",
                        help="seconds between checks (default: the environment's detector.interval)")
    daemon.add_argument("--listen", default="0.0.0.0:8080", metavar="HOST:PORT", help="HTTP address (default %(default)s)")
    daemon.set_defaults(handler=run_daemon)


def add_target_options(command: argparse.ArgumentParser) -> None:
    """What check and daemon compare: an environment of a tracked repository, and where the cluster is."""
    add_env(command, help="environment to check")
    add_repo(command, tracked=True)
    command.add_argument("--branch", type=branch_name, default=None, metavar="NAME",
                         help="branch to track (default: the environment's gitops.revision)")
    command.add_argument("--cache", type=Path, default=None, metavar="DIR",
                         help="where the tracked branch is fetched to (default: a folder under the user cache)")
    add_cluster(command, in_cluster=True, timeout_help="per API request")
    command.add_argument("--git-credentials", type=existing_directory, default=None, metavar="DIR",
                         help="credential files for a private repository: username and token (HTTPS), or "
                              "ssh-privatekey and known_hosts (SSH) (also $GITOPS_KAFKA_GIT_CREDENTIALS)")
    command.add_argument("--zookeeper", type=zookeeper_hosts, default=None, metavar="HOST:PORT,...[/CHROOT]",
                         help="also check ZooKeeper and Kafka's metadata there (in the cluster: the declared "
                              "members, checked by default; also $GITOPS_KAFKA_ZOOKEEPER)")


def build_target(args: argparse.Namespace):
    from gitops_kafka.checking import default_target

    return default_target(args.env, repo=args.repo, branch=args.branch, cache=args.cache,
                          kubeconfig=args.kubeconfig, context=args.context, in_cluster=args.in_cluster,
                          timeout=args.timeout, zookeeper=args.zookeeper, git_credentials=args.git_credentials)


def run_check(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.checking import run_check as check
    from gitops_kafka.drift.report import format_text

    report = check(build_target(args))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        print(format_text(report), end="")
    return report.exit_code()


def run_daemon(args: argparse.Namespace) -> int:
    from gitops_kafka.daemon import Daemon, parse_listen

    host, port = parse_listen(args.listen)  # before anything starts
    load_kubeconfig(args)
    target = build_target(args)
    Daemon(target, interval=args.interval, host=host, port=port).serve_forever()
    return 0


def load_kubeconfig(args: argparse.Namespace) -> None:
    """The daemon refuses to start on a kubeconfig it cannot load: no cycle could ever succeed."""
    from gitops_kafka.kube.cluster import KubernetesCluster

    KubernetesCluster(args.kubeconfig, args.context, args.in_cluster, args.timeout).close()
