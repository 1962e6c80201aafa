"""Benchmark: the drift check cycle and its comparison, against the plain reads and walk they stand on.

Objects: prod's built overlay, its namespaced objects cloned under new names (`<name>-c<N>`,
labels and selectors kept) up to the count, committed to the prod overlay of a temporary clone
(this repository is never written), so that git, the environment file and kustomize are the
real ones. Live objects are what a real API server returns for them after an apply (defaults,
status, managedFields: tests/kube.py's `as_applied`), plus each StatefulSet's bound claims,
served by bench/apiserver.py: a stateless Kubernetes API (discovery, LIST with labelSelector,
GET) in its own process. kmock, the tests' seam, slows down with every request it serves.

Figures, each interleaved with its baseline in the same run, in this process (a daemon's
cycle is what repeats; start-up is paid once):
- one check cycle, 1,000 objects (`Checker.run` as the `check` command runs it: fetch, config,
  kustomize, parse, LISTs, GETs, compare, health, report) against `kubectl kustomize` + one LIST
  per declared kind;
- the same at 5,000 objects with kustomize left out on both sides (its build is handed over
  already made) against the LISTs;
- both again for a `check` run again at the revision it read last (cron, a CI gate), whose
  build is kept in its cache, against the same baselines (a script builds every time);
- a daemon cycle whose tracked revision did not change (the Checker kept between cycles)
  against the LISTs;
- comparing 2,000 desired/live pairs (one in twenty edited by hand: a label added with
  `kubectl label`) against a plain walk of the declared fields; both counts are shown.

Baseline LISTs go through the official Python client's REST layer (`ApiClient.call_api`, the
kubeconfig loaded each cycle, as a script would) and `json.loads`: the same transport, pool and
server as the check, so the ratio is what the detector adds to the reads it cannot avoid.
(`kubectl get` per kind would start a process per kind and flatter the check.)

    .venv/bin/python bench/check.py [--runs 10]
"""
from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
sys.path[:0] = [str(PROJECT / "src"), str(PROJECT / "tests"), str(HERE)]

import yaml  # noqa: E402

from gitops_kafka import kustomize  # noqa: E402
from gitops_kafka.kube.objects import CLUSTER_SCOPED, ENVIRONMENT_LABEL, MANAGED_BY, MANAGED_LABEL, load  # noqa: E402
from harness import Row, interleave, median_seconds, run_call, table  # noqa: E402
from kube import as_applied, bound_claim  # noqa: E402

HAND_EDIT = 20  # one object in twenty gets a label added by hand


def clones(built: list[dict], count: int) -> list[dict]:
    """`count` objects in all: the built ones, then copies of the namespaced ones under new names."""
    namespaced = [o for o in built if o["kind"] not in CLUSTER_SCOPED]
    out = []
    index = 0
    while len(built) + len(out) < count:
        obj = copy.deepcopy(namespaced[index % len(namespaced)])
        obj["metadata"]["name"] = f"{obj['metadata']['name']}-c{index // len(namespaced)}"
        out.append(obj)
        index += 1
    return out


def live_for(desired: list[dict], edited: bool = False) -> list[dict]:
    """What the API server holds after an apply: each object as applied, and each StatefulSet's claims."""
    live = []
    for index, obj in enumerate(desired):
        applied = as_applied(obj)
        if edited and index % HAND_EDIT == 0:
            hand_label(applied)
        live.append(applied)
        if obj["kind"] == "StatefulSet":
            live.extend(bound_claim(obj, template, ordinal) for template in obj["spec"].get("volumeClaimTemplates", [])
                        for ordinal in range(obj["spec"].get("replicas", 1)))
    return live


def label_tracked(live: dict, tracking: dict[str, str]) -> dict:
    """As Argo CD's label tracking (its 2.x default) leaves an object: the instance label set to the Application."""
    labels = live["metadata"].get("labels")
    if labels:
        labels.update((k, v) for k, v in tracking.items() if k in labels)
    return live


def hand_label(live: dict) -> None:
    live["metadata"].setdefault("labels", {})["edited-by-hand"] = "yes"
    live["metadata"]["managedFields"].append({
        "manager": "kubectl-label", "operation": "Update", "apiVersion": live["apiVersion"],
        "time": "2026-11-24T10:00:00Z", "fieldsType": "FieldsV1",
        "fieldsV1": {"f:metadata": {"f:labels": {"f:edited-by-hand": {}}}}})


# ---------------------------------------------------------------- a repository and a cluster

class Setup:
    """A temporary clone whose prod overlay builds `count` objects, and an API server holding them as applied."""

    def __init__(self, tmp: Path, count: int, through_kustomize: bool = True):
        """through_kustomize=False: the clones are not committed, the build is made here (kustomize's time
        grows faster than its output: minutes at 5,000 objects), for figures that leave kustomize out."""
        self.tmp = tmp
        self.clone = tmp / "repo"
        subprocess.run(["git", "clone", "--quiet", str(PROJECT), str(self.clone)], check=True)
        overlay = self.clone / "overlays" / "prod"
        built = kustomize.build(overlay)
        extra = clones(load(built), count)
        if through_kustomize:
            (overlay / "bench-clones.yaml").write_text("\n---\n".join(json.dumps(o) for o in extra))  # JSON is YAML
            kustomization = overlay / "kustomization.yaml"
            kustomization.write_text(kustomization.read_text().replace("resources:\n",
                                                                       "resources:\n- bench-clones.yaml\n"))
            subprocess.run(["git", "-C", str(self.clone), "add", "-A"], check=True)
            subprocess.run(["git", "-C", str(self.clone), "commit", "--quiet", "-m", "bench clones"], check=True)
            self.built = kustomize.build(overlay)
        else:  # as kustomize prints objects: block style, keys sorted
            self.built = built + "".join("---\n" + yaml.dump(o, Dumper=yaml.CSafeDumper, default_flow_style=False)
                                         for o in extra)
        self.branch = subprocess.run(["git", "-C", str(self.clone), "rev-parse", "--abbrev-ref", "HEAD"], check=True,
                                     capture_output=True, text=True).stdout.strip()
        self.desired = load(self.built)
        assert len(self.desired) == count, (len(self.desired), count)
        self.kinds = sorted({(o["apiVersion"], o["kind"]) for o in self.desired if o["kind"] not in CLUSTER_SCOPED})
        self.namespace = next(o["metadata"]["namespace"] for o in self.desired if o["kind"] not in CLUSTER_SCOPED)

    @contextmanager
    def serving(self) -> Iterator["Setup"]:
        objects = self.tmp / "live.json"
        objects.write_text(json.dumps(live_for(self.desired)))
        server = subprocess.Popen([sys.executable, str(HERE / "apiserver.py"), str(objects)], stdout=subprocess.PIPE,
                                  text=True)
        try:
            port = int(server.stdout.readline())
            self.kubeconfig = self.tmp / "kubeconfig"
            self.kubeconfig.write_text(
                "apiVersion: v1\nkind: Config\n"
                f"clusters: [{{name: bench, cluster: {{server: 'http://127.0.0.1:{port}'}}}}]\n"
                "users: [{name: bench, user: {token: bench}}]\n"
                "contexts: [{name: bench, context: {cluster: bench, user: bench}}]\ncurrent-context: bench\n")
            yield self
        finally:
            server.terminate()
            server.wait()

    def target(self, name: str):
        from gitops_kafka.checking import Target

        return Target(env="prod", source=str(self.clone), branch=self.branch, cache=self.tmp / f"cache-{name}",
                      kubeconfig=str(self.kubeconfig), timeout=30)

    def list_kinds(self) -> int:
        """The baseline's reads: one LIST per declared kind, by the environment's labels, decoded; with the
        cyclic collector paused, as a script's small heap would hardly ever collect (this process holds the
        benchmark's own thousands of objects, whose collections a check cycle no longer sets off)."""
        import gc

        collecting = gc.isenabled()
        gc.disable()
        try:
            return self._list_kinds()
        finally:
            if collecting:
                gc.enable()

    def _list_kinds(self) -> int:
        from kubernetes import client, config

        sys.path.insert(0, str(HERE))
        from apiserver import collection_path

        configuration = client.Configuration()
        config.load_kube_config(config_file=str(self.kubeconfig), client_configuration=configuration)
        api = client.ApiClient(configuration)
        selector = f"{ENVIRONMENT_LABEL}=prod,{MANAGED_LABEL}={MANAGED_BY}"
        items = 0
        try:
            for api_version, kind in self.kinds:
                method, url, headers, _, _ = api.param_serialize(
                    "GET", collection_path(api_version, kind, self.namespace),
                    query_params=[("labelSelector", selector)], header_params={"Accept": "application/json"},
                    auth_settings=["BearerToken"])
                response = api.call_api(method, url, header_params=headers, _request_timeout=30)
                items += len(json.loads(response.read())["items"])
        finally:
            api.close()
        return items


# ---------------------------------------------------------------- the comparison's baseline

def walk(desired: Any, live: Any, path: tuple = ()) -> list[tuple]:
    """A plain walk of the declared fields: every declared leaf absent or unequal live (lists by position)."""
    if isinstance(desired, dict):
        if not isinstance(live, dict):
            return [path]
        return [p for k, v in desired.items() for p in (walk(v, live[k], path + (k,)) if k in live else [path + (k,)])]
    if isinstance(desired, list):
        if not isinstance(live, list) or len(desired) != len(live):
            return [path]
        return [p for i, (d, item) in enumerate(zip(desired, live)) for p in walk(d, item, path + (i,))]
    return [] if desired == live else [path]


def comparison_rows(runs: int, setup: Setup, count: int) -> list[Row]:
    from gitops_kafka.config import load_environment
    from gitops_kafka.drift.check import tracking_labels
    from gitops_kafka.drift.compare import compare_object

    desired = setup.desired[:count]
    tracking = tracking_labels(load_environment(setup.clone, "prod"))
    live = [label_tracked(as_applied(o), tracking) for o in desired]
    edited = set(range(0, len(desired), HAND_EDIT))
    for index in edited:
        hand_label(live[index])
    pairs = list(zip(desired, live))
    found: dict[str, set[int]] = {}

    def ours():
        found["ours"] = {i for i, (d, o) in enumerate(pairs) if compare_object(d, o, (), tracking)[0] != "in_sync"}

    def plain():
        found["walk"] = {i for i, (d, o) in enumerate(pairs) if walk(d, o)}

    mine, theirs = interleave(lambda: run_call(ours), lambda: run_call(plain), runs)

    def counts(name: str) -> str:
        hits = found[name]
        return (f"{name}: {len(hits)} reported, {len(hits - edited)} false positives, "
                f"{len(edited - hits)} of the {len(edited)} hand edits missed")
    return [Row(f"compare {len(pairs):,} desired/live objects", "a plain walk of the declared fields",
                tuple(mine), tuple(theirs), goal_ratio=2.0, note=f"{counts('ours')}; {counts('walk')}")]


# ---------------------------------------------------------------- the cycles

@contextmanager
def prebuilt(text: str):
    """kustomize left out: the overlay's build is handed over as already made."""
    original = kustomize.build
    kustomize.build = lambda overlay: text
    try:
        yield
    finally:
        kustomize.build = original


@contextmanager
def counting(builds: list[int], parses: list[int]):
    """Counts kustomize builds and parses of a build, for the figure that must have none."""
    from gitops_kafka.drift import desired

    build, load_built = kustomize.build, desired.load
    kustomize.build = lambda overlay, *rest: builds.append(1) or build(overlay, *rest)
    desired.load = lambda text: parses.append(1) or load_built(text)
    try:
        yield
    finally:
        kustomize.build, desired.load = build, load_built


def fresh_cycle(target) -> None:
    """One cycle as the `check` command runs it at a revision it has not read: nothing kept from before."""
    import shutil

    from gitops_kafka.checking import run_check
    from gitops_kafka.drift.desired import MANIFESTS

    shutil.rmtree(target.cache / ".git" / MANIFESTS, ignore_errors=True)
    run_check(target)


def again_cycle(target) -> None:
    """One cycle as the `check` command runs it again at the revision it read last (cron, a CI gate):
    the revision's build is kept in its cache."""
    from gitops_kafka.checking import run_check

    run_check(target)


def rows(runs: int) -> list[Row]:
    from gitops_kafka.checking import Checker
    from gitops_kafka.kustomize import kubectl_path

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "n1000").mkdir()
        with Setup(root / "n1000", 1000).serving() as setup:
            target = setup.target("fresh")
            build = [str(kubectl_path()), "kustomize", str(setup.clone / "overlays" / "prod")]

            def baseline_with_build():
                subprocess.run(build, check=True, stdout=subprocess.DEVNULL)
                setup.list_kinds()
            mine, theirs = interleave(lambda: run_call(lambda: fresh_cycle(target)),
                                      lambda: run_call(baseline_with_build), runs)
            out.append(Row("one check cycle, 1,000 objects", "kubectl kustomize + one LIST per declared kind",
                           tuple(mine), tuple(theirs), goal_ratio=1.2))
            again_cycle(target)
            mine, theirs = interleave(lambda: run_call(lambda: again_cycle(target)),
                                      lambda: run_call(baseline_with_build), runs)
            out.append(Row("... `check` again at the revision it read last", "kubectl kustomize + one LIST per declared kind",
                           tuple(mine), tuple(theirs)))

            checker = Checker()
            kept = setup.target("daemon")
            checker.run(kept)  # the first cycle builds and parses; the ones measured find the revision unchanged
            builds: list[int] = []
            parses: list[int] = []
            with counting(builds, parses):
                mine, theirs = interleave(lambda: run_call(lambda: checker.run(kept)),
                                          lambda: run_call(setup.list_kinds), runs)
            checker.close()
            out.append(Row("daemon cycle, revision unchanged, 1,000 objects", "one LIST per declared kind",
                           tuple(mine), tuple(theirs), goal_ratio=1.3,
                           note=f"in {runs + 1} unchanged cycles (warm-up included): {len(builds)} kustomize builds, "
                                f"{len(parses)} parses"))
        (root / "n5000").mkdir()
        with Setup(root / "n5000", 5000, through_kustomize=False).serving() as setup:
            target = setup.target("fresh")
            with prebuilt(setup.built):
                mine, theirs = interleave(lambda: run_call(lambda: fresh_cycle(target)),
                                          lambda: run_call(setup.list_kinds), runs)
            parse = median_seconds([run_call(lambda: load(setup.built)) for _ in range(max(3, runs // 2))])
            pyyaml = median_seconds([run_call(lambda: list(yaml.load_all(setup.built, Loader=yaml.CSafeLoader)))
                                     for _ in range(max(3, runs // 2))])
            walked = median_seconds([run_call(lambda: walk(setup.desired, setup.desired))
                                     for _ in range(max(3, runs // 2))])
            lists = median_seconds(theirs)
            out.append(Row("one check cycle, 5,000 objects, kustomize left out", "one LIST per declared kind",
                           tuple(mine), tuple(theirs), goal_ratio=1.3,
                           note=f"the parse of the build alone (kube.objects.load): {parse * 1000:.0f} ms median, "
                                f"{parse / lists:.2f}× the LISTs (PyYAML's CSafeLoader: {pyyaml * 1000:.0f} ms); "
                                f"a plain walk of 5,000 declared objects: {walked * 1000:.0f} ms, "
                                f"{walked / lists:.2f}× the LISTs"))
            with prebuilt(setup.built):
                again_cycle(target)
                mine, theirs = interleave(lambda: run_call(lambda: again_cycle(target)),
                                          lambda: run_call(setup.list_kinds), runs)
            out.append(Row("... `check` again at the revision it read last", "one LIST per declared kind",
                           tuple(mine), tuple(theirs), goal_ratio=1.3))
            out.extend(comparison_rows(runs, setup, 2000))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    print(table(rows(parser.parse_args().runs)))


if __name__ == "__main__":
    main()
