"""Benchmark: one drift comparison over many objects, against a plain DeepDiff of the same pairs.

Desired objects are the prod overlay's, cloned under new names up to --objects;
live objects are what a real API server returns for them after an apply
(defaults, status, managedFields; see tests/kube.py), and one in twenty is
edited by hand. Both sides are timed in the same run; the ratio is what to read.
It also runs one full check of the same objects through the official client
against kmock, to show what the comparison weighs in a check.

    .venv/bin/python bench/check.py [--objects 2000]
"""
from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(PROJECT / "src"), str(PROJECT / "tests")]

import yaml  # noqa: E402

from gitops_kafka import kustomize  # noqa: E402
from gitops_kafka.drift.compare import compare_object  # noqa: E402
from kube import as_applied  # noqa: E402


def objects(count: int) -> list[dict]:
    built = [d for d in yaml.safe_load_all(kustomize.build(PROJECT / "overlays" / "prod"))
             if d and d["kind"] not in ("Namespace", "ClusterRole", "ClusterRoleBinding")]
    out = []
    for index in range(count):
        obj = copy.deepcopy(built[index % len(built)])
        obj["metadata"]["name"] = f"{obj['metadata']['name']}-{index}"
        out.append(obj)
    return out


def live_for(desired: list[dict]) -> list[dict]:
    live = []
    for index, obj in enumerate(desired):
        applied = as_applied(obj)
        if index % 20 == 0:
            applied["metadata"].setdefault("labels", {})["edited-by-hand"] = "yes"
            applied["metadata"]["managedFields"].append({"manager": "kubectl-label", "operation": "Update",
                                                         "time": "2026-11-24T10:00:00Z",
                                                         "fieldsV1": {"f:metadata": {"f:labels": {"f:edited-by-hand": {}}}}})
        live.append(applied)
    return live


def timed(function) -> tuple[float, object]:
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def full_check(desired: list[dict], live: list[dict]) -> float:
    """One check through the official client, kubeconfig and HTTP, against kmock seeded with `live`."""
    from gitops_kafka.config import load_environment
    from gitops_kafka.drift.check import compare_cluster
    from gitops_kafka.drift.desired import Desired
    from gitops_kafka.kube.cluster import KubernetesCluster
    from kube import KubeAPI

    with tempfile.TemporaryDirectory() as tmp:
        api = KubeAPI(Path(tmp))
        try:
            for obj in live:
                api.create(obj)
            cluster = KubernetesCluster(str(api.kubeconfig), timeout=30)
            wanted = Desired("bench", load_environment(PROJECT, "prod"), tuple(desired))
            seconds, _ = timed(lambda: compare_cluster(wanted, cluster))
            cluster.close()
            return seconds
        finally:
            api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=2000)
    parser.add_argument("--full-check", type=int, default=200, metavar="N",
                        help="objects in the full check through kmock (0 to skip; kmock's lookups grow with N)")
    args = parser.parse_args()
    from deepdiff import DeepDiff

    desired = objects(args.objects)
    live = live_for(desired)
    ours, states = timed(lambda: [compare_object(d, l) for d, l in zip(desired, live)])
    theirs, diffs = timed(lambda: [DeepDiff(d, l) for d, l in zip(desired, live)])
    drifted = sum(1 for state, _ in states if state != "in_sync")
    differing = sum(1 for diff in diffs if diff)
    print(f"objects: {args.objects} (one in twenty edited by hand: {len(desired[::20])})")
    print(f"gitops-kafka compare  {ours:8.3f} s   objects reported as drifted: {drifted}")
    print(f"DeepDiff (baseline)   {theirs:8.3f} s   objects with differences:    {differing}")
    print(f"ratio compare / DeepDiff: {ours / theirs:.2f}x")
    if args.full_check:
        count = min(args.full_check, args.objects)
        seconds = full_check(desired[:count], live[:count])
        print(f"full check of {count} objects through the client, a kubeconfig and HTTP to kmock: {seconds:.3f} s "
              f"(kmock's in-memory lookups dominate; per object {seconds / count * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
