"""One check of an environment: its Kubernetes objects (`drift/`) and, when told where, its Kafka (`kafka/`).

A check either completes or fails with the source that stopped it; the caller
(the `check` command, or the daemon, which keeps the last good report) decides
what a failure means. One cycle runs both checks, so it lives above both packages.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from gitops_kafka.drift import sync
from gitops_kafka.drift.check import Cluster, Comparisons, compare_cluster, with_causes
from gitops_kafka.drift.desired import Desired, load_desired
from gitops_kafka.drift.report import DriftReport
from gitops_kafka.errors import GitopsKafkaError, SourceError
from gitops_kafka.kube.cluster import Discovery
from gitops_kafka.kube.objects import collector_paused
from gitops_kafka.quantity import parse_duration

CREDENTIALS_VARIABLE = "GITOPS_KAFKA_GIT_CREDENTIALS"
INTERNAL = "internal"  # the source of a failure that is the detector's own (a bug), not an outside system's


@dataclass(frozen=True)
class Target:
    """What a check compares: an environment of a GitOps repository (URL or path) and branch."""

    env: str
    source: str
    branch: str
    cache: Path
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    timeout: float = 10.0
    zookeeper: str | None = None  # "host:port,...[/chroot]"; None: the members the environment declares
    kafka: bool = False  # also check ZooKeeper health and Kafka's metadata
    git_credentials: Path | None = None  # a directory of credential files (a mounted Secret) for a private repository


def default_target(env: str, *, repo: str | None = None, branch: str | None = None, cache: Path | None = None,
                   kubeconfig: str | None = None, context: str | None = None, in_cluster: bool = False,
                   timeout: float = 10.0, zookeeper: str | None = None, git_credentials: Path | None = None) -> Target:
    """A Target from command-line choices; the defaults come from the current repository."""
    from gitops_kafka.config import load_environment
    from gitops_kafka.gitrepo import GitRepo

    if repo is None or branch is None:
        local = GitRepo(Path(repo) if repo and Path(repo).exists() else Path.cwd())
        repo = repo or str(local.root)
        branch = branch or load_environment(local.root, env).gitops.revision
    if cache is None:
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "gitops-kafka" / \
            hashlib.sha256(f"{repo}#{branch}".encode()).hexdigest()[:16]
    # The declared members resolve only inside the cluster; elsewhere Kafka is checked when told where.
    from gitops_kafka.kafka.check import HOSTS_VARIABLE

    kafka = in_cluster or bool(zookeeper) or bool(os.environ.get(HOSTS_VARIABLE))
    if git_credentials is None and os.environ.get(CREDENTIALS_VARIABLE):
        git_credentials = Path(os.environ[CREDENTIALS_VARIABLE])
    return Target(env, repo, branch, cache, kubeconfig=kubeconfig, context=context, in_cluster=in_cluster,
                  timeout=timeout, zookeeper=zookeeper, kafka=kafka, git_credentials=git_credentials)


class Checker:
    """Runs checks of one target cycle after cycle, keeping what makes the next cycle cheap.

    The Kafka monitor's ZooKeeper session and watches outlive a cycle, so that an
    unchanged topic costs nothing; it is rebuilt when the environment file changes.
    The desired state (environment file, kustomize build, parsed objects) is kept with
    the revision and environment it was read for, and read again only when the
    tracked branch moves: a build and a parse cost seconds at a thousand objects.
    API discovery's answers are kept too (for ten minutes, and asked again for a kind they
    lack), while each cycle gets a new client; and each object's comparison, with the live
    object's resourceVersion, so an unchanged object is not compared again.
    """

    def __init__(self, cluster_factory: Callable[[Target], Cluster] | None = None):
        self._discovery = Discovery()
        self._comparisons = Comparisons()
        self._cluster_factory = cluster_factory or (lambda target: connect(target, self._discovery))
        self._monitor = None
        self._desired: Desired | None = None

    def run(self, target: Target) -> DriftReport:
        """One check; raises SourceError naming the source (git, config, kustomize, kubernetes) that failed.

        ZooKeeper and Kafka never raise here: what could not be read is reported as such.
        Anything unexpected (a bug, an answer no one foresaw, a RecursionError) is
        a failed check too, of source `internal`, with a one-line message.
        """
        try:
            return self._run(target)
        except GitopsKafkaError:
            raise
        except Exception as exc:  # noqa: BLE001 - the check's contract: it completes or names what failed
            raise SourceError(INTERNAL, describe_unexpected(exc)) from exc

    def _run(self, target: Target) -> DriftReport:
        started, clock = time.time(), time.perf_counter()
        with collector_paused():  # a revision's objects, read back or parsed: acyclic, and kept
            desired = load_desired(target.source, target.branch, target.env, target.cache, target.git_credentials,
                                   known=self._desired)
        self._desired = desired
        kafka = self._kafka(target, desired) if target.kafka else None
        with collector_paused():
            cluster = self._cluster_factory(target)
            try:
                objects = compare_cluster(desired, cluster, self._comparisons)
                status = sync.read_status(desired.config, cluster)
            finally:
                cluster.close()
        sync_section = sync.section(status, desired.revision, objects, kafka)
        objects = with_causes(objects, sync_section)
        return DriftReport(environment=target.env, revision=desired.revision, started=started,
                           duration=time.perf_counter() - clock, objects=tuple(objects), kafka=kafka, sync=sync_section,
                           interval=parse_duration(desired.config.detector.interval))

    def _kafka(self, target: Target, desired: Desired):
        from gitops_kafka.kafka import check as kafka_check

        where = kafka_check.target(desired.config, target.zookeeper)
        if self._monitor is None or self._monitor.config != desired.config or self._monitor.target != where:
            self.close()
            self._monitor = kafka_check.KafkaMonitor(desired.config, where, target.timeout)
        return self._monitor.cycle()

    def close(self) -> None:
        if self._monitor is not None:
            self._monitor.close()
            self._monitor = None


def describe_unexpected(exc: BaseException) -> str:
    """One line for an exception no one foresaw: its type and the first line of its text."""
    text = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"unexpected {type(exc).__name__}{': ' + text if text else ''} (a bug: please report it)"


def run_check(target: Target, cluster_factory: Callable[[Target], Cluster] | None = None) -> DriftReport:
    """One check with nothing kept (the `check` command)."""
    checker = Checker(cluster_factory)
    try:
        return checker.run(target)
    finally:
        checker.close()


def connect(target: Target, discovery=None):
    from gitops_kafka.kube.cluster import KubernetesCluster

    return KubernetesCluster(target.kubeconfig, target.context, target.in_cluster, target.timeout, discovery)
