"""codify: live changes the environment model can express, written back into git on a new branch."""
from __future__ import annotations

import argparse
from pathlib import Path

from gitops_kafka.cli.options import add_cluster, add_env, add_repo, branch_name, zookeeper_hosts
from gitops_kafka.terminal import printable


def kind_name(text: str) -> str:
    kind, slash, name = text.partition("/")
    if not slash or not kind or not name or "/" in name:
        raise argparse.ArgumentTypeError(f"{text!r} is not KIND/NAME (StatefulSet/kafka, Topic/<name>)")
    return text


def register(commands: argparse._SubParsersAction) -> None:
    codify = commands.add_parser(
        "codify", help="write live changes back into environments/<env>.yaml on a new branch",
        description="Compare the live cluster (and Kafka's topics, with --zookeeper) with the current branch, write "
                    "every drift the environment model can express into environments/<env>.yaml (comments and "
                    "formatting kept), regenerate, commit both on a new branch and print the rendered diff for the "
                    "pull request. Drift the model cannot express is listed with the reason; Secrets are never "
                    "codified.")
    add_env(codify, help="environment to codify")
    add_repo(codify, default="the current directory")
    codify.add_argument("--branch", type=branch_name, default=None, metavar="NAME",
                        help="the new branch to commit on (default: codify/<env>-<UTC time>)")
    codify.add_argument("--only", action="append", default=[], type=kind_name, metavar="KIND/NAME",
                        help="codify only this object (StatefulSet/kafka) or topic (Topic/<name>); repeatable")
    add_cluster(codify)
    codify.add_argument("--cache", type=Path, default=None, metavar="DIR", help="where the branch is fetched to")
    codify.add_argument("--zookeeper", type=zookeeper_hosts, default=None, metavar="HOST:PORT,...[/CHROOT]",
                        help="also codify Kafka's topics as ZooKeeper holds them (also $GITOPS_KAFKA_ZOOKEEPER)")
    codify.set_defaults(handler=run_codify)


def run_codify(args: argparse.Namespace) -> int:
    import os

    from gitops_kafka import codify
    from gitops_kafka.config import load_environment
    from gitops_kafka.checking import default_target, run_check as check
    from gitops_kafka.errors import GitError
    from gitops_kafka.gitrepo import GitRepo
    from gitops_kafka.review import report as review_report
    from gitops_kafka.review.diff import diff_revisions

    local = GitRepo(args.repo)
    current = local.current_branch()
    if current is None:
        raise GitError("HEAD is detached: check out the branch the environment tracks before codify")
    target = default_target(args.env, repo=str(local.root), branch=current, cache=args.cache,
                            kubeconfig=args.kubeconfig, context=args.context, timeout=args.timeout)
    report = check(target)
    snapshot = None
    if args.zookeeper or os.environ.get("GITOPS_KAFKA_ZOOKEEPER"):
        from gitops_kafka.kafka import check as kafka_check, reader as kafka_reader

        config = load_environment(local.root, args.env)
        where = kafka_check.target(config, args.zookeeper)
        snapshot = kafka_reader.read_once(where.hosts, where.chroot, config.cluster_name, args.timeout)
    outcome = codify.codify(local.root, args.env, report, snapshot, args.only, args.branch)
    for edit in outcome.edits:
        print(printable(f"codified  {edit.describe()}"))
    for leftover in outcome.leftovers:
        print(printable(f"not codified  {leftover.describe()}"))
    if outcome.commit:
        print(f"committed {outcome.commit[:12]} on {outcome.branch}")
        print(review_report.text(diff_revisions(local.root, outcome.base, outcome.commit, [args.env])), end="")
    elif not outcome.edits:
        print("nothing to codify" + (": every drift is listed above" if outcome.leftovers else ""))
    return 1 if outcome.leftovers else 0
