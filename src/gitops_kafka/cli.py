"""The gitops-kafka command line: parse, call, print, exit code. No logic of its own.

Exit codes: 0 done (or nothing to do), 1 found something (`--check` difference, a diff,
validation findings), 2 invalid input, 3 refused to overwrite work or git failed.
`diff` keeps to 0 / 1 / 2: every error it meets exits 2.

A bad value on the command line is one line naming the option and the value, exit 2:
values are checked here (numbers of seconds, the --listen address, the --output
directory) before any work starts, never met later as a traceback.
"""
from __future__ import annotations

import argparse
import math
import sys
import textwrap
from pathlib import Path

from gitops_kafka import __version__, usage
from gitops_kafka.errors import ConfigError, GitopsKafkaError


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (`gitops-kafka check: argument --timeout: ...`), exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def seconds(text: str) -> float:
    """A positive, finite number of seconds (--timeout, --interval)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a positive number of seconds")
    return value


def output_file(text: str) -> Path:
    """A file that can be written: its directory exists and it is not itself a directory."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a directory, not a file")
    if not path.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: directory {str(path.parent)!r} does not exist")
    return path


def existing_directory(text: str) -> Path:
    """A directory that exists (a mounted Secret's folder, say)."""
    path = Path(text)
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a directory")
    return path


def branch_name(text: str) -> str:
    """A name git accepts for a branch (the rules of `git check-ref-format --branch`)."""
    bad = (not text or text.startswith(("-", "/")) or text.endswith((".", "/", ".lock")) or ".." in text
           or "//" in text or "@{" in text or text == "@" or any(c in text for c in " ~^:?*[\\\x7f")
           or any(ord(c) < 32 for c in text) or any(part.startswith(".") for part in text.split("/")))
    if bad:
        raise argparse.ArgumentTypeError(f"{text!r} is not a valid branch name")
    return text


def zookeeper_hosts(text: str) -> str:
    """host:port[,host:port...][/chroot], each member well formed."""
    from gitops_kafka.drift.zookeeper import split_address
    from gitops_kafka.errors import SourceError

    hosts, _, _ = text.partition("/")
    members = [m.strip() for m in hosts.split(",")]
    if not hosts.strip() or not all(members):
        raise argparse.ArgumentTypeError(f"{text!r}: expected host:port[,host:port...][/chroot]")
    for member in members:
        try:
            _, port = split_address(member)
        except SourceError:
            raise argparse.ArgumentTypeError(f"{text!r}: {member!r} is not host:port") from None
        if not 0 < port <= 65535:
            raise argparse.ArgumentTypeError(f"{text!r}: port {port} of {member!r} is out of range")
    return text


def host_port(text: str) -> str:
    """HOST:PORT, as a Kafka bootstrap server."""
    host, _, port = text.rpartition(":")
    if not host or any(c.isspace() for c in host) or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT such as kafka:9092")
    return text


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="gitops-kafka", description=textwrap.fill(usage.SUMMARY, width=88),
                    epilog=usage.OVERVIEW, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"gitops-kafka {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init", help="start a GitOps repository: environment files, PR workflow, .gitignore, README",
        description="Write environments/defaults.yaml and one commented environments/<env>.yaml per --env "
                    "(3 ZooKeeper members, 3 brokers, Kafka Manager, an example topic), the pull-request "
                    "workflow with this version of gitops-kafka pinned, docs/runbooks.md, a .gitignore and a "
                    "README. Never overwrites: if any of these files exists, nothing is written. "
                    "Then commit them and run `gitops-kafka generate --all`.")
    init.add_argument("--tool", choices=("argocd", "flux"), default="argocd",
                      help="what syncs clusters/<env>/ into the cluster (default %(default)s)")
    init.add_argument("--env", action="extend", nargs="+", metavar="NAME",
                      help="environments to start (repeatable; default: prod)")
    init.add_argument("--repo-url", metavar="URL",
                      help="the URL Argo CD or Flux clones this repository from (default: the origin remote, "
                           "else an example URL to replace)")
    _repo_argument(init)
    init.set_defaults(handler=run_init)

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
    mode.add_argument("--branch", type=branch_name, metavar="NAME", help="commit on a new branch NAME (for a pull request)")
    generate.set_defaults(handler=run_generate)

    render = commands.add_parser(
        "render", help="print an environment's manifests as kustomize builds them at a revision",
        description="Print `kubectl kustomize overlays/<env>` as it builds at a git revision (default: the working tree).")
    render.add_argument("--env", required=True, metavar="ENV")
    render.add_argument("--ref", metavar="REV", help="branch, tag or commit (default: the working tree)")
    _repo_argument(render)
    render.set_defaults(handler=run_render)

    diff = commands.add_parser(
        "diff", help="the change in the rendered manifests between two revisions, with risk warnings",
        description="Build overlays/<env> at two revisions and show what changes, object by object, with warnings "
                    "for changes the cluster will refuse or that risk data. Exit 0 no change, 1 change, 2 error.")
    _environments_argument(diff)
    diff.add_argument("--base", required=True, metavar="REV", help="the revision merged into (e.g. origin/main)")
    diff.add_argument("--head", metavar="REV", help="the proposed revision (default: the working tree)")
    diff.add_argument("--format", choices=("text", "markdown", "json"), default="text")
    diff.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="colour the text format (auto: when writing to a terminal and NO_COLOR is unset)")
    _repo_argument(diff)
    diff.set_defaults(handler=run_diff, error_exit_code=2)

    validate = commands.add_parser(
        "validate", help="strict schema validation and policy checks of the rendered manifests",
        description="Build overlays/<env> and validate every object against the Kubernetes schema of the "
                    "environment's kubernetes_version (strict), then against the policy rules. Exit 1 on findings.")
    _environments_argument(validate)
    validate.add_argument("--ref", metavar="REV", help="validate a revision instead of the working tree")
    validate.add_argument("--format", choices=("text", "markdown"), default="text")
    _repo_argument(validate)
    validate.set_defaults(handler=run_validate)

    comment = commands.add_parser(
        "review-comment", help="the pull-request comment: validate, then diff --all against the base (Markdown)",
        description="Write the Markdown comment the pull-request workflow posts: validation findings of the head, "
                    "then the rendered diff of every environment against the base. Exit 1 on validation findings.")
    comment.add_argument("--base", required=True, metavar="REV")
    comment.add_argument("--head", metavar="REV", help="default: the working tree")
    comment.add_argument("--output", type=output_file, metavar="FILE", help="write the comment here (default: stdout)")
    _repo_argument(comment)
    comment.set_defaults(handler=run_review_comment)

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
    daemon.add_argument("--interval", type=seconds, metavar="SECONDS",
                        help="seconds between checks (default: the environment's detector.interval)")
    daemon.add_argument("--listen", default="0.0.0.0:8080", metavar="HOST:PORT", help="HTTP address (default %(default)s)")
    daemon.set_defaults(handler=run_daemon)

    check_kafka = commands.add_parser(
        "check-kafka", help="compare ZooKeeper's ensemble and Kafka's metadata with an environment",
        description="Probe the ZooKeeper ensemble and compare the brokers, topics, partitions and Kafka "
                    "Manager registration ZooKeeper holds with environments/<env>.yaml. Exit 0 in sync, "
                    "1 findings, 2 unreadable or invalid input.")
    _kafka_source_arguments(check_kafka)
    check_kafka.add_argument("--format", choices=("text", "json"), default="text")
    check_kafka.set_defaults(handler=run_check_kafka)

    add_import_command(commands)

    topics = commands.add_parser("topics", help="Kafka topics against git",
                                 description="Kafka's topics against environments/<env>.yaml.")
    topic_commands = topics.add_subparsers(dest="topics_command", required=True, metavar="COMMAND")
    plan = topic_commands.add_parser(
        "plan", help="print the Kafka commands that would make the topics match git (never a delete)",
        description="Read the topics from ZooKeeper and print what it would take to make them match "
                    "environments/<env>.yaml, as kafka-topics / kafka-configs commands. Nothing is run. "
                    "Exit 0 nothing to do (or only to wait for a deletion), 1 something to do (a command, or a "
                    "note on what no command can do), 2 error or a topic that cannot be read.")
    _kafka_source_arguments(plan)
    plan.add_argument("--bootstrap-server", type=host_port, metavar="HOST:PORT",
                      help="the bootstrap server in the printed commands (default: the cluster's Service)")
    plan.add_argument("--format", choices=("text", "json"), default="text")
    plan.set_defaults(handler=run_topics_plan)
    usage.explain(parser)
    return parser


def _kafka_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, metavar="ENV", help="environment to compare against")
    parser.add_argument("--repo", type=Path, default=Path.cwd(), metavar="PATH",
                        help="the GitOps repository (default: the current directory)")
    parser.add_argument("--zookeeper", type=zookeeper_hosts, metavar="HOSTS",
                        help="host:port[,host:port...][/chroot] to read instead of the members the environment "
                             "declares (default: $GITOPS_KAFKA_ZOOKEEPER, else the declared members)")
    parser.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS",
                        help="ZooKeeper connection and session timeout (default 10)")


def _repo_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repo", type=Path, default=Path.cwd(), metavar="PATH",
                        help="the GitOps repository (default: the one holding the current directory)")


def _environments_argument(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", action="append", metavar="ENV", help="environment (repeatable)")
    which.add_argument("--all", action="store_true", help="every environment")



def add_target_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--env", required=True, metavar="ENV", help="environment to check")
    command.add_argument("--repo", default=None, metavar="URL|PATH",
                         help="GitOps repository to track (default: the repository of the current directory)")
    command.add_argument("--branch", type=branch_name, default=None, metavar="NAME",
                         help="branch to track (default: the environment's gitops.revision)")
    command.add_argument("--cache", type=Path, default=None, metavar="DIR",
                         help="where the tracked branch is fetched to (default: a folder under the user cache)")
    command.add_argument("--kubeconfig", default=None, metavar="PATH", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    command.add_argument("--context", default=None, metavar="NAME", help="kubeconfig context (default: the current one)")
    command.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    command.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS", help="per API request (default %(default)s)")
    command.add_argument("--git-credentials", type=existing_directory, default=None, metavar="DIR",
                         help="credential files for a private repository: username and token (HTTPS), or "
                              "ssh-privatekey and known_hosts (SSH) (also $GITOPS_KAFKA_GIT_CREDENTIALS)")
    command.add_argument("--zookeeper", type=zookeeper_hosts, default=None, metavar="HOST:PORT,...[/CHROOT]",
                         help="also check ZooKeeper and Kafka's metadata there (in the cluster: the declared "
                              "members, checked by default; also $GITOPS_KAFKA_ZOOKEEPER)")


def build_target(args: argparse.Namespace):
    from gitops_kafka.drift.check import default_target

    return default_target(args.env, args.repo, args.branch, args.cache, args.kubeconfig, args.context,
                          args.in_cluster, args.timeout, args.zookeeper, args.git_credentials)


def run_check(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.drift.check import run_check as check
    from gitops_kafka.drift.report import format_text

    report = check(build_target(args))
    if args.format == "json":
        print(json.dumps(report.to_dict(), indent=2, sort_keys=True, default=str))
    else:
        print(format_text(report), end="")
    kafka = report.sections.get("kafka")
    if kafka is not None and not kafka.metadata.readable:
        return 2  # could not read ZooKeeper: that is an error, not a verdict
    return 1 if report.has_drift() else 0


def run_daemon(args: argparse.Namespace) -> int:
    from gitops_kafka.daemon import Daemon, parse_listen

    host, port = parse_listen(args.listen)  # before anything starts
    _load_kubeconfig(args)
    target = build_target(args)
    Daemon(target, interval=args.interval, host=host, port=port).serve_forever()
    return 0


def _load_kubeconfig(args: argparse.Namespace) -> None:
    """The daemon refuses to start on a kubeconfig it cannot load: no cycle could ever succeed."""
    from gitops_kafka.drift.live import KubernetesCluster

    KubernetesCluster(args.kubeconfig, args.context, args.in_cluster, args.timeout).close()


def run_init(args: argparse.Namespace) -> int:
    from gitops_kafka import scaffold

    root = scaffold.repository_root(args.repo)
    repo_url = args.repo_url or scaffold.origin_url(root)
    files = scaffold.files(args.tool, list(dict.fromkeys(args.env or ["prod"])), repo_url or scaffold.EXAMPLE_REPO_URL)
    for path in scaffold.write(root, files):
        print(f"wrote {path}")
    if not repo_url:
        print(f"note: gitops.repo_url is {scaffold.EXAMPLE_REPO_URL} in environments/defaults.yaml: "
              "set it to this repository's URL (or pass --repo-url)", file=sys.stderr)
    print("next: review the environment files, then: git add -A && git commit -m 'gitops-kafka init' && "
          "gitops-kafka generate --all")
    return 0


def run_generate(args: argparse.Namespace) -> int:
    from gitops_kafka import generator

    envs = None if args.all else list(dict.fromkeys(args.env))
    if args.check:
        result = generator.check(args.repo, envs)
        if result.other_versions:
            print(f"generated by another version of gitops-kafka (this is {__version__}): "
                  + ", ".join(f"{d}/ by {v}" for d, v in result.other_versions.items())
                  + "; run generate with this version (or check with that one):")
            for line in result.differences:
                print(f"  {line}")
            return 1
        if result.differences:
            print("generated output is stale; run gitops-kafka generate:")
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


def run_render(args: argparse.Namespace) -> int:
    from gitops_kafka.review.render import render

    sys.stdout.write(render(args.repo, args.env, args.ref))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    import os

    from gitops_kafka.review import report
    from gitops_kafka.review.diff import diff_revisions

    envs = None if args.all else list(dict.fromkeys(args.env))
    diffs = diff_revisions(args.repo, args.base, args.head, envs)
    if args.format == "json":
        sys.stdout.write(report.to_json(diffs))
    elif args.format == "markdown":
        sys.stdout.write(report.markdown(diffs))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        sys.stdout.write(report.text(diffs, color=color))
    return 1 if any(d.changed for d in diffs) else 0


def run_validate(args: argparse.Namespace) -> int:
    from gitops_kafka.review import report
    from gitops_kafka.review.policy import validate_environments

    envs = None if args.all else list(dict.fromkeys(args.env))
    results = validate_environments(args.repo, envs, args.ref)
    sys.stdout.write(report.findings_markdown(results) if args.format == "markdown" else report.findings_text(results))
    return 1 if any(results.values()) else 0


def run_review_comment(args: argparse.Namespace) -> int:
    from gitops_kafka.review.comment import review_comment

    comment = review_comment(args.repo, args.base, args.head)
    if args.output:
        _write_atomically(args.output, comment.body)
    else:
        sys.stdout.write(comment.body)
    return 1 if comment.findings else 0


def _write_atomically(path: Path, text: str) -> None:
    """The whole file or nothing: written beside the target, then renamed over it."""
    import os
    import tempfile

    try:
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, prefix=f".{path.name}.",
                                         delete=False) as temporary:
            temporary.write(text)
        os.replace(temporary.name, path)
    except OSError as exc:
        if "temporary" in locals():
            Path(temporary.name).unlink(missing_ok=True)
        raise GitopsKafkaError(f"--output {str(path)!r}: cannot write: {exc.strerror or exc}") from None


def run_check_kafka(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.config import load_environment
    from gitops_kafka.drift import kafka_check

    config = load_environment(args.repo, args.env)
    result, _ = kafka_check.check(config, kafka_check.target(config, args.zookeeper), args.timeout)
    print(json.dumps(result.to_dict(), indent=2) if args.format == "json" else kafka_check.format_text(result))
    if not result.metadata.readable:
        return 2
    return 0 if result.in_sync else 1


def run_topics_plan(args: argparse.Namespace) -> int:
    import json

    from gitops_kafka.config import load_environment
    from gitops_kafka.drift import kafka_check, kafka_reader, topic_plan

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


# ---------------------------------------------------------------- import (adopting a running cluster)

def add_import_command(commands) -> None:
    command = commands.add_parser(
        "import", help="adopt a running, hand-deployed cluster: write environments/<env>.yaml and print the plan",
        description="Read the running ZooKeeper, Kafka and Kafka Manager objects of a namespace (and Kafka's "
                    "topics from ZooKeeper), write environments/<env>.yaml reproducing them with the identities "
                    "the running objects depend on under adopt:, and print the adoption plan: every change the "
                    "first Argo CD or Flux sync makes, by severity. Nothing is written when a step is CRITICAL.")
    command.add_argument("--env", required=True, metavar="ENV", help="environment to write")
    command.add_argument("--namespace", required=True, type=namespace_name, metavar="NAME",
                         help="the namespace the cluster runs in")
    command.add_argument("--repo", type=Path, default=Path.cwd(), metavar="PATH",
                         help="the GitOps repository (default: the current directory)")
    command.add_argument("--kubeconfig", default=None, metavar="PATH", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    command.add_argument("--context", default=None, metavar="NAME", help="kubeconfig context (default: the current one)")
    command.add_argument("--zookeeper", type=zookeeper_hosts, default=None, metavar="HOST:PORT[/CHROOT]",
                         help="where this machine reaches ZooKeeper, to import the topics (default chroot: "
                              "the brokers' zookeeper.connect)")
    command.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS", help="per request (default %(default)s)")
    command.add_argument("--no-write", action="store_true", help="print the plan only")
    command.add_argument("--force", action="store_true", help="replace an existing environment file")
    command.add_argument("--format", choices=("text", "json"), default="text")
    command.set_defaults(handler=run_import, error_exit_code=2)


def namespace_name(text: str) -> str:
    from gitops_kafka.config import DNS1123_LABEL

    if not DNS1123_LABEL.match(text) or len(text) > 63:
        raise argparse.ArgumentTypeError(f"{text!r} is not a namespace name (a DNS-1123 label)")
    return text


def run_import(args: argparse.Namespace) -> int:
    """Exit 0: safe (written unless --no-write); 1: the plan has CRITICAL steps (nothing written); 2: error."""
    import json

    from gitops_kafka.adopt import plan as planning
    from gitops_kafka.adopt.importer import run_import as adopt

    outcome = adopt(args.repo, args.env, args.kubeconfig, args.context, args.namespace, args.zookeeper,
                    args.timeout, write=not args.no_write, force=args.force)
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
