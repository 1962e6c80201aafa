"""One drift check: desired (git + kustomize) against live (Kubernetes), into a DriftReport.

A check either completes or fails with the source that stopped it; the caller
(the `check` command, or the daemon, which keeps the last good report) decides
what a failure means.
"""
from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol

from gitops_kafka.drift import health as health_checks
from gitops_kafka.drift import sync
from gitops_kafka.drift.compare import IgnoredPath, compare_object
from gitops_kafka.drift.desired import Desired, load_desired
from gitops_kafka.drift.report import EXTRA, DriftReport, ObjectDrift
from gitops_kafka.errors import GitopsKafkaError, SourceError
from gitops_kafka.kube.objects import CLUSTER_SCOPED, ENVIRONMENT_LABEL, MANAGED_BY, MANAGED_LABEL
from gitops_kafka.quantity import parse_duration

# Kinds searched for labelled objects git no longer declares, besides the kinds it declares.
EXTRA_KINDS = (("v1", "ConfigMap"), ("v1", "Service"), ("apps/v1", "StatefulSet"), ("apps/v1", "Deployment"),
               ("batch/v1", "Job"), ("policy/v1", "PodDisruptionBudget"))
CREDENTIALS_VARIABLE = "GITOPS_KAFKA_GIT_CREDENTIALS"
INTERNAL = "internal"  # the source of a failure that is the detector's own (a bug), not an outside system's


class Cluster(Protocol):
    """What a check needs of a cluster: `kube.cluster.KubernetesCluster`, or a test's stand-in at the same seam."""

    def get(self, api_version: str, kind: str, name: str, namespace: str | None) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""

    def list_labelled(self, api_version: str, kind: str, namespace: str | None,
                      labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """The objects of a kind carrying all these labels."""

    def close(self) -> None: ...


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
    """

    def __init__(self, cluster_factory: Callable[[Target], Cluster] | None = None):
        self._cluster_factory = cluster_factory or connect
        self._monitor = None

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
        desired = load_desired(target.source, target.branch, target.env, target.cache, target.git_credentials)
        kafka = self._kafka(target, desired) if target.kafka else None
        cluster = self._cluster_factory(target)
        try:
            objects = compare_cluster(desired, cluster)
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


def with_causes(objects: list[ObjectDrift], section: "sync.SyncSection") -> list[ObjectDrift]:
    """Each drifted object with its cause's name (the bounded label); the details stay in the section."""
    causes = {(kind, name): cause.cause for kind, name, cause in section.causes}
    return [replace(o, cause=causes.get((o.kind, o.name))) if o.has_drift() else o for o in objects]


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


def connect(target: Target):
    from gitops_kafka.kube.cluster import KubernetesCluster

    return KubernetesCluster(target.kubeconfig, target.context, target.in_cluster, target.timeout)


def compare_cluster(desired: Desired, cluster: Cluster) -> list[ObjectDrift]:
    """Compare every declared object; one list request per kind, a GET only for what the list lacks."""
    config = desired.config
    rules = [IgnoredPath.parse(r.kind, r.name, r.pointer) for r in config.detector.ignore]
    listed = list_managed(desired, cluster)
    tracking = tracking_labels(config)
    results, declared = [], set()
    for obj in desired.objects:
        meta = obj.get("metadata", {})
        namespace = None if obj["kind"] in CLUSTER_SCOPED else meta.get("namespace") or config.namespace
        declared.add((obj["apiVersion"], obj["kind"], meta["name"]))
        live = listed.get((obj["apiVersion"], obj["kind"]), {}).get(meta["name"])
        if live is None:  # not labelled as ours (any more), or cluster-scoped: ask for it by name
            live = cluster.get(obj["apiVersion"], obj["kind"], meta["name"], namespace)
        state, fields = compare_object(obj, live, rules, tracking)
        health = health_checks.health(live)
        if live is not None and obj["kind"] == "StatefulSet":
            health = health_checks.worst([health, *volume_health(cluster, live, namespace)])
        results.append(ObjectDrift(obj["apiVersion"], obj["kind"], meta["name"], namespace, state, fields, health))
    results.extend(find_extras(desired, listed, declared))
    return results


def tracking_labels(config) -> dict[str, str]:
    """The label Argo CD's label tracking (its 2.x default) writes on every object: the instance label,
    set to the Application's name. Flux's labels and Argo CD's annotation are dropped by name in compare."""
    from gitops_kafka.topology import sync_name

    return {} if config.gitops.tool == "flux" else {"app.kubernetes.io/instance": sync_name(config)}


def list_managed(desired: Desired, cluster: Cluster) -> dict[tuple[str, str], dict[str, dict[str, Any]]]:
    """This environment's labelled objects, by (apiVersion, kind) and name: the kinds git declares and EXTRA_KINDS."""
    config = desired.config
    labels = {MANAGED_LABEL: MANAGED_BY, ENVIRONMENT_LABEL: config.name}
    kinds = sorted({(o["apiVersion"], o["kind"]) for o in desired.objects if o["kind"] not in CLUSTER_SCOPED}
                   | set(EXTRA_KINDS))
    return {(api_version, kind): {item["metadata"]["name"]: item for item in
                                  cluster.list_labelled(api_version, kind, config.namespace, labels)}
            for api_version, kind in kinds}


def volume_health(cluster: Cluster, stateful_set: dict[str, Any], namespace: str):
    """Health of the claims a StatefulSet's pods use (they carry its selector labels)."""
    selector = ((stateful_set.get("spec") or {}).get("selector") or {}).get("matchLabels") or {}
    if not selector:
        return []
    return [health_checks.persistent_volume_claim(c)
            for c in cluster.list_labelled("v1", "PersistentVolumeClaim", namespace, selector)]


def find_extras(desired: Desired, listed: dict, declared: set[tuple[str, str, str]]) -> list[ObjectDrift]:
    """Objects labelled as this environment's that git no longer declares (never deleted, only reported)."""
    extras = []
    for (api_version, kind), items in sorted(listed.items()):
        for name, item in sorted(items.items()):
            if (api_version, kind, name) not in declared:
                extras.append(ObjectDrift(api_version, kind, name, desired.config.namespace, EXTRA, (),
                                          health_checks.health(item)))
    return extras
