"""import: adopt a running, hand-deployed cluster into an environment file."""
from __future__ import annotations

import argparse

from gitops_kafka.cli.options import add_cluster, add_env, add_format, add_repo, namespace_name, zookeeper_hosts


def register(commands: argparse._SubParsersAction) -> None:
    command = commands.add_parser(
        "import", help="adopt a running, hand-deployed cluster: write environments/<env>.yaml and print the plan",
        description="Read the running ZooKeeper, Kafka and Kafka Manager objects of a namespace (and Kafka's "
                    "topics from ZooKeeper), write environments/<env>.yaml reproducing them with the identities "
                    "the running objects depend on under adopt:, and print the adoption plan: every change the "
                    "first Argo CD or Flux sync makes, by severity. Nothing is written when a step is CRITICAL.")
    add_env(command, help="environment to write")
    command.add_argument("--namespace", required=True, type=namespace_name, metavar="NAME",
                         help="the namespace the cluster runs in")
    add_repo(command, default="the current directory")
    add_cluster(command)
    command.add_argument("--zookeeper", type=zookeeper_hosts, default=None, metavar="HOST:PORT[/CHROOT]",
                         help="where this machine reaches ZooKeeper, to import the topics (default chroot: "
                              "the brokers' zookeeper.connect)")
    command.add_argument("--no-write", action="store_true", help="print the plan only")
    command.add_argument("--force", action="store_true", help="replace an existing environment file")
    add_format(command, "json")
    command.set_defaults(handler=run_import, error_exit_code=2)


def run_import(args: argparse.Namespace) -> int:
    """Exit 0: safe (written unless --no-write); 1: the plan has CRITICAL steps (nothing written); 2: error."""
    import json

    from gitops_kafka.adopt import plan as planning
    from gitops_kafka.adopt.importer import run_import as adopt

    outcome = adopt(args.repo, args.env, kubeconfig=args.kubeconfig, context=args.context, namespace=args.namespace,
                    zookeeper=args.zookeeper, timeout=args.timeout, write=not args.no_write, force=args.force)
    if args.format == "json":
        written = f"environments/{args.env}.yaml" if outcome.written else None
        print(json.dumps({**outcome.plan.to_dict(), "written": written},
                         indent=2, default=str))
    else:
        print(planning.format_text(outcome.plan), end="")
        if outcome.written:
            print(f"\nwrote environments/{args.env}.yaml: review it, then `gitops-kafka generate --env {args.env}`")
        elif outcome.plan.critical:
            print(f"\nnot written: environments/{args.env}.yaml would make the first sync fail or lose data")
    return 1 if outcome.plan.critical else 0
