"""The options commands share, and the checks of command-line values.

One helper per option, so that `--repo`, `--env`/`--all` and `--format` mean the same
everywhere; each value type turns a bad value into argparse's one-line error, exit 2.
"""
from __future__ import annotations

import argparse
import math
from pathlib import Path


class Parser(argparse.ArgumentParser):
    """argparse whose errors are one line (`gitops-kafka check: argument --timeout: ...`), exit 2."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


# ---------------------------------------------------------------- shared options

def add_repo(command: argparse.ArgumentParser, *, tracked: bool = False,
             default: str = "the one holding the current directory") -> None:
    """--repo: a local repository (a Path), or with tracked=True the URL or path a check fetches from."""
    if tracked:
        command.add_argument("--repo", default=None, metavar="URL|PATH",
                             help="GitOps repository to track (default: the repository of the current directory)")
    else:
        command.add_argument("--repo", type=Path, default=Path.cwd(), metavar="PATH",
                             help=f"the GitOps repository (default: {default})")


def add_env(command: argparse.ArgumentParser, help: str | None = None) -> None:
    """--env ENV: exactly one environment."""
    command.add_argument("--env", required=True, metavar="ENV", help=help)


def add_envs(command: argparse.ArgumentParser, *, help: str = "environment (repeatable)",
             all_help: str = "every environment") -> None:
    """--env ENV (repeatable) or --all: one of the two; read back with selected_envs()."""
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", action="append", metavar="ENV", help=help)
    which.add_argument("--all", action="store_true", help=all_help)


def selected_envs(args: argparse.Namespace) -> list[str] | None:
    """The environments named by add_envs' options, each once in the order given; None for --all."""
    return None if args.all else list(dict.fromkeys(args.env))


def add_cluster(command: argparse.ArgumentParser, *, in_cluster: bool = False, timeout_help: str = "per request") -> None:
    """--kubeconfig, --context (with in_cluster=True also --in-cluster) and --timeout: how to reach the cluster."""
    command.add_argument("--kubeconfig", default=None, metavar="PATH", help="kubeconfig file (default: $KUBECONFIG or ~/.kube/config)")
    command.add_argument("--context", default=None, metavar="NAME", help="kubeconfig context (default: the current one)")
    if in_cluster:
        command.add_argument("--in-cluster", action="store_true", help="use the pod's service account")
    command.add_argument("--timeout", type=seconds, default=10.0, metavar="SECONDS", help=f"{timeout_help} (default %(default)s)")


def add_format(command: argparse.ArgumentParser, *choices: str) -> None:
    """--format, text by default."""
    command.add_argument("--format", choices=("text", *choices), default="text")


# ---------------------------------------------------------------- value types

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
    from gitops_kafka.kafka.zookeeper import split_address
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


def namespace_name(text: str) -> str:
    """A namespace: a DNS-1123 label."""
    from gitops_kafka.config import DNS1123_LABEL

    if not DNS1123_LABEL.match(text) or len(text) > 63:
        raise argparse.ArgumentTypeError(f"{text!r} is not a namespace name (a DNS-1123 label)")
    return text


def host_port(text: str) -> str:
    """HOST:PORT, as a Kafka bootstrap server."""
    host, _, port = text.rpartition(":")
    if not host or any(c.isspace() for c in host) or not port.isdigit() or not 0 < int(port) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r}: expected HOST:PORT such as kafka:9092")
    return text
