"""One import: read what runs, map it, render it, plan the first sync, write the file when it is safe."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_kafka.adopt import environment_file, live, mapping, plan as planning
from gitops_kafka.errors import SourceError


@dataclass(frozen=True)
class Outcome:
    plan: planning.Plan
    written: Path | None
    text: str  # the environment file's text


def run_import(repo: Path, env: str, *, kubeconfig: str | None, context: str | None, namespace: str,
               zookeeper: str | None, timeout: float, write: bool, force: bool) -> Outcome:
    """Refuses to write (Outcome.written None) when the plan has a CRITICAL step; errors raise GitopsKafkaError."""
    from gitops_kafka.render import expected_objects

    environment_file.check_target(repo, env)
    if write and not force:
        environment_file.refuse_existing(repo, env)  # before anything is read
    objects = live.read_objects(kubeconfig, context, namespace, timeout)
    try:
        workloads = mapping.find_workloads(objects)
    except mapping.MappingError as exc:
        raise SourceError("kubernetes", f"namespace {namespace}: {exc}") from None
    topics = problems = None
    if zookeeper:
        hosts, slash, chroot = zookeeper.partition("/")
        if not slash:
            connect = next((e.get("value", "") for c in workloads["kafka"]["spec"]["template"]["spec"]["containers"]
                            for e in c.get("env") or [] if e["name"] == "KAFKA_ZOOKEEPER_CONNECT"), "")
            chroot = connect.partition("/")[2]
        topics, problems = live.read_topics(hosts, f"/{chroot}".rstrip("/") or None, timeout)
    mapped = mapping.map_cluster(objects, namespace, topics)
    if topics is None:
        mapped.unmapped.append(mapping.Unmapped("ZooKeeper", "topics", "", "not read: pass --zookeeper HOST:PORT "
                                                "(e.g. through kubectl port-forward) to import them"))
    for problem in problems or []:
        mapped.unmapped.append(mapping.Unmapped("ZooKeeper", "topics", "", problem))
    config = environment_file.validate(repo, env, mapped.environment)
    result = planning.build_plan(objects, expected_objects(config), mapped, frozenset(live.KINDS))
    text = environment_file.dump(env, mapped.environment)
    written = None
    if write and not result.critical:
        written = environment_file.write(repo, env, text, force)
    return Outcome(result, written, text)
