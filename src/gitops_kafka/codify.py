"""Codify: keep a hand change by writing the live value back into the environment file.

A hand change that should stay (a scale-up during an incident, partitions raised
with `kafka-topics`) is reverted by the next sync unless git says the same. This
module turns drift into edits of `environments/<env>.yaml`, made as a ruamel.yaml
round trip so that comments, order and formatting survive (untouched lines stay
byte-identical), and lists with a reason every drift the environment model cannot
express: nothing is dropped silently. Secrets are never codified.

`plan` is pure (report, snapshot and config in; edits and leftovers out);
`apply` edits YAML text; `codify` does the I/O: write, validate, regenerate, commit.
"""
from __future__ import annotations

import io
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from gitops_kafka.config import ENVIRONMENTS_DIR, EnvironmentConfig
from gitops_kafka.errors import ConfigError, GitError, Problem
from gitops_kafka.kube.lists import format_path

Loc = tuple  # a path into the environment file: ("kafka", "resources", "limits", "cpu"), ("topics", 0, "partitions")
REMOVE = object()  # the value of an edit that deletes a key (a topic config git sets and Kafka no longer has)
TOPIC = "Topic"  # the kind `--only` names a Kafka topic by: Topic/<name>
# Drift codify leaves alone by its cause (drift/sync.py): the live value is not the one to keep.
NOT_CODIFIED = {
    "pending-sync": "git is ahead of what the controller applied: the live value is the older one; let the sync finish",
    "sync-failing": "the sync is failing: fix what stops it rather than write the old value into git",
}

_CONTAINER_FIELD = re.compile(r"^spec\.template\.spec\.containers\[name=(?P<container>[^\]]+)\]\.(?P<rest>.+)$")
_RESOURCE = re.compile(r"^resources\.(?P<kind>requests|limits)\.(?P<name>cpu|memory)$")
_HEAP = re.compile(r"^-Xms(?P<min>\d+[kKmMgG]?) -Xmx(?P<max>\d+[kKmMgG]?)$")
_STORAGE = format_path(("spec", "volumeClaimTemplates", "metadata.name=data", "spec", "resources", "requests", "storage"))


@dataclass(frozen=True)
class Edit:
    """Set `loc` in the environment file to `value` (REMOVE: delete it), because of `subject`'s drift."""

    subject: str  # Kind/name, or Topic/<name>
    loc: Loc
    value: Any
    what: str  # the drifted field, as the detector names it

    def describe(self) -> str:
        where = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in self.loc).replace(".[", "[")
        shown = "(removed)" if self.value is REMOVE else repr(self.value) if not isinstance(self.value, dict) \
            else "(a new topic)"
        return f"{self.subject}: {self.what} -> {where} = {shown}"


@dataclass(frozen=True)
class Leftover:
    """A drift codify cannot write into git, and why."""

    subject: str
    what: str
    reason: str

    def describe(self) -> str:
        return f"{self.subject}: {self.what}: {self.reason}"


# ---------------------------------------------------------------- plan (pure)

@dataclass(frozen=True)
class Component:
    """A workload the environment model configures: its section, and the variable its heap is set through."""

    section: str
    heap_variable: str
    has_replicas: bool = True


def components(config: EnvironmentConfig) -> dict[tuple[str, str], Component]:
    """The workloads codify understands, by (kind, name) as the generator names them."""
    from gitops_kafka.render import kafka_manager, zookeeper

    return {
        ("StatefulSet", zookeeper.base_name(config)): Component("zookeeper", "SERVER_JVMFLAGS"),
        ("StatefulSet", config.cluster_name): Component("kafka", "KAFKA_HEAP_OPTS"),
        ("Deployment", kafka_manager.base_name(config)): Component("kafka_manager", "JAVA_OPTS", has_replicas=False),
    }


def plan(report, snapshot, config: EnvironmentConfig, only: Iterable[str] = ()) -> tuple[list[Edit], list[Leftover]]:
    """Every edit that would make git say what runs, and every drift that cannot be written, in report order.

    `report` is a DriftReport (None: Kubernetes not compared); `snapshot` Kafka's metadata
    (None: topics not compared); `only` limits both to the named Kind/name subjects.
    """
    edits: list[Edit] = []
    leftovers: list[Leftover] = []
    for obj in (report.drifted() if report is not None else ()):
        if obj.cause in NOT_CODIFIED:
            leftovers.append(Leftover(obj.ref, obj.cause, NOT_CODIFIED[obj.cause]))
            continue
        e, l = object_edits(obj, config)
        edits += e
        leftovers += l
    if snapshot is not None:
        e, l = topic_edits(snapshot, config)
        cause = topic_cause(report)
        if cause in NOT_CODIFIED:
            e, l = [], l + [Leftover(x.subject, cause, NOT_CODIFIED[cause]) for x in e]
        edits += e
        leftovers += l
    wanted = set(only)
    if wanted:
        edits = [e for e in edits if e.subject in wanted]
        leftovers = [x for x in leftovers if x.subject in wanted]
    return edits, leftovers


def topic_cause(report) -> str | None:
    """The cause a topic's drift would have now (topics are applied with the rest of the overlay)."""
    section = report.sync if report is not None else None
    if section is None:
        return None
    from gitops_kafka.drift.sync import classify

    return classify(section.status, report.revision).cause


def object_edits(obj, config: EnvironmentConfig) -> tuple[list[Edit], list[Leftover]]:
    """The edits one drifted Kubernetes object asks for."""
    from gitops_kafka.drift.report import EXTRA, MISSING

    subject = obj.ref
    if obj.kind == "Secret":
        return [], [Leftover(subject, "Secret", "Secrets are never codified: put the value in your secret store")]
    if obj.state == MISSING:
        return [], [Leftover(subject, "deleted", "deleted in the cluster: git cannot express that; sync to restore it")]
    if obj.state == EXTRA:
        return [], [Leftover(subject, "extra", "created by hand: the environment model has no field for it")]
    component = components(config).get((obj.kind, obj.name))
    edits, leftovers = [], []
    for drift in obj.fields:
        found = component and field_edit(subject, component, drift.path, drift.live)
        if isinstance(found, Edit):
            edits.append(found)
        else:
            leftovers.append(Leftover(subject, drift.path, found or "the environment model has no field for it"))
    return edits, leftovers


def field_edit(subject: str, component: Component, path: str, live: Any) -> Edit | str:
    """The edit for one drifted field of a component's workload, or why there is none."""
    section = component.section
    if live is None:
        return "removed by hand: the environment model cannot leave it out"
    if path == "spec.replicas":
        if not component.has_replicas:
            return f"{section} has no replicas setting (one instance)"
        return Edit(subject, (section, "replicas"), live, path)
    if path == _STORAGE and section != "kafka_manager":
        return Edit(subject, (section, "storage", "size"), str(live), path)
    match = _CONTAINER_FIELD.match(path)
    if not match:
        return "the environment model has no field for it"
    rest = match["rest"]
    if rest == "image":
        return Edit(subject, (section, "image"), live, path)
    resource = _RESOURCE.match(rest)
    if resource:
        return Edit(subject, (section, "resources", resource["kind"], resource["name"]), str(live), path)
    if rest == format_path(("env", f"name={component.heap_variable}", "value")):
        heap = _HEAP.match(str(live))
        if not heap or heap["min"] != heap["max"]:
            return f"the model sets one heap as -Xms and -Xmx; {live!r} is not that form"
        return Edit(subject, (section, "heap"), heap["max"], path)
    return "the environment model has no field for it"


def topic_edits(snapshot, config: EnvironmentConfig) -> tuple[list[Edit], list[Leftover]]:
    """The edits that make the declared topics say what Kafka has, and a topic created by hand a new entry."""
    from gitops_kafka.kafka.metadata import Assignment, excluded

    edits, leftovers = [], []
    for index, topic in enumerate(config.topics):
        subject = f"{TOPIC}/{topic.name}"
        live = snapshot.assignment(topic.name)
        if topic.name in snapshot.pending_deletion:
            leftovers.append(Leftover(subject, "pending deletion", "being deleted in Kafka: remove it from git by hand if meant"))
            continue
        if live is None:
            leftovers.append(Leftover(subject, "missing", "does not exist in Kafka: codify never removes a topic from git"))
            continue
        if not isinstance(live, Assignment):
            leftovers.append(Leftover(subject, "unreadable", f"cannot be read: {live.reason}"))
            continue
        if len(live.replicas) != topic.partitions:
            edits.append(Edit(subject, ("topics", index, "partitions"), len(live.replicas), "partitions"))
        factor = live.replication_factor()
        if factor is None:
            leftovers.append(Leftover(subject, "replication factor", "partitions have different replica counts"))
        elif factor != topic.replication_factor:
            edits.append(Edit(subject, ("topics", index, "replication_factor"), factor, "replication factor"))
        live_config = snapshot.configs.get(topic.name, {})
        if not isinstance(live_config, dict):
            leftovers.append(Leftover(subject, "config", f"cannot be read: {live_config.reason}"))
            continue
        for key in sorted(set(topic.config) | set(live_config)):
            want, have = topic.config.get(key), live_config.get(key)
            if want != have:
                value = REMOVE if have is None else config_scalar(have)
                edits.append(Edit(subject, ("topics", index, "config", key), value, f"config {key}"))
    patterns = [re.compile(p) for p in config.detector.topic_exclude]
    declared = {t.name for t in config.topics}
    for name in sorted(snapshot.topics):
        if name in declared or excluded(name, patterns) or name in snapshot.pending_deletion:
            continue
        live = snapshot.assignment(name)
        subject = f"{TOPIC}/{name}"
        if not isinstance(live, Assignment) or live.replication_factor() is None:
            leftovers.append(Leftover(subject, "created by hand", "its partitions cannot be read or disagree"))
            continue
        entry: dict[str, Any] = {"name": name, "partitions": len(live.replicas),
                                 "replication_factor": live.replication_factor()}
        live_config = snapshot.configs.get(name, {})
        if isinstance(live_config, dict) and live_config:
            entry["config"] = {k: config_scalar(v) for k, v in sorted(live_config.items())}
        edits.append(Edit(subject, ("topics", len(config.topics)), entry, "created by hand"))
    return edits, leftovers


def config_scalar(text: str) -> Any:
    """Kafka stores every value as a string; write a number as a number when that spells it the same."""
    return int(text) if re.fullmatch(r"-?[1-9]\d*|0", text) else text


# ---------------------------------------------------------------- apply (ruamel round trip)

def _yaml():
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 16  # never re-wrap a long line
    return yaml


def apply(text: str, edits: list[Edit], display: str = "") -> str:
    """The file's text with the edits made, through ruamel's round trip; what no edit touches is unchanged.

    The indentation is the one whose plain round trip gives the file back byte for byte;
    a file no setting reproduces is refused rather than reformatted.
    """
    from ruamel.yaml.comments import CommentedMap

    if not edits:
        return text
    yaml = formatting(text, display)
    root = yaml.load(text) if text.strip() else None
    if root is None:
        root = CommentedMap()
    for edit in edits:
        _set(root, edit.loc, edit.value)
    out = io.StringIO()
    yaml.dump(root, out)
    return out.getvalue()


def formatting(text: str, display: str = ""):
    """A round-trip YAML set to the file's own indentation (mapping, sequence, dash offset)."""
    if not text.strip():
        return _yaml()
    for mapping in (2, 4, 3):
        for offset in range(0, mapping + 1):
            for sequence in dict.fromkeys((mapping + offset, mapping, offset + 2, offset + 1)):
                if sequence <= offset:
                    continue
                yaml = _yaml()
                yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
                out = io.StringIO()
                yaml.dump(yaml.load(text), out)
                if out.getvalue() == text:
                    return yaml
    raise ConfigError([Problem(display or "environment file", None, "",
                               "its formatting cannot be kept by a YAML round trip (mixed indentation?): "
                               "edit it by hand")])


def _set(root, loc: Loc, value: Any) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    node = root
    for part in loc[:-1]:
        if isinstance(node, list):
            node = node[part]
            continue
        if part not in node or node[part] is None:
            node[part] = CommentedSeq() if part == "topics" else CommentedMap()
        node = node[part]
    last = loc[-1]
    if value is REMOVE:
        del node[last]
        return
    if isinstance(value, dict):
        value = _commented(value)
    if isinstance(node, list) and last == len(node):
        node.append(value)
    else:
        node[last] = _styled(node[last], value) if last in node else value


def _styled(old: Any, new: Any) -> Any:
    """The new scalar in the old one's quoting style (a quoted "1" stays quoted), when both are strings."""
    from ruamel.yaml.scalarstring import ScalarString

    if isinstance(old, ScalarString) and isinstance(new, str):
        return type(old)(new)
    return new


def _commented(value: dict) -> Any:
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    for key, item in value.items():
        out[key] = _commented(item) if isinstance(item, dict) else item
    return out


# ---------------------------------------------------------------- refusals

def refuse_lowered_partitions(text: str, display: str, config: EnvironmentConfig, edits: list[Edit]) -> None:
    """Kafka cannot lower a topic's partition count, and the topic Job never does: git must not ask for it."""
    problems = []
    for edit in edits:
        if edit.loc[:1] == ("topics",) and edit.loc[2:] == ("partitions",):
            declared = config.topics[edit.loc[1]].partitions
            if edit.value < declared:
                problems.append(Problem(display, line_of(text, edit.loc), f"topics[{edit.loc[1]}].partitions",
                                        f"{edit.value} is below git's {declared}: Kafka cannot lower a topic's "
                                        "partition count (the topic was recreated by hand?)"))
    if problems:
        raise ConfigError(problems)


def line_of(text: str, loc: Loc) -> int | None:
    """The 1-based line holding `loc` in the file (its nearest existing parent when it is absent)."""
    node, line = _yaml().load(text), None
    for part in loc:
        try:
            line = node.lc.item(part)[0] + 1 if isinstance(node, list) else node.lc.key(part)[0] + 1
            node = node[part]
        except (KeyError, IndexError, TypeError, AttributeError):
            break
    return line


def validate(repo: Path, env: str, text: str) -> EnvironmentConfig:
    """Load the edited file as the generator would, in a scratch copy: the same `file:line` errors."""
    from gitops_kafka.config import load_environment

    with tempfile.TemporaryDirectory(prefix="gitops-kafka-codify-") as scratch:
        folder = Path(scratch) / ENVIRONMENTS_DIR
        folder.mkdir()
        defaults = repo / ENVIRONMENTS_DIR / "defaults.yaml"
        if defaults.is_file():
            shutil.copyfile(defaults, folder / "defaults.yaml")
        (folder / f"{env}.yaml").write_text(text, encoding="utf-8")
        return load_environment(Path(scratch), env)


# ---------------------------------------------------------------- codify (I/O)

@dataclass
class CodifyOutcome:
    edits: list[Edit]
    leftovers: list[Leftover]
    branch: str | None = None
    commit: str | None = None
    base: str | None = None


def codify(repo_root: Path, env: str, report, snapshot, only: Iterable[str] = (), branch: str | None = None) -> CodifyOutcome:
    """Write the codifiable drift into environments/<env>.yaml, regenerate, and commit both on a new branch."""
    from gitops_kafka.config import load_environment
    from gitops_kafka.generator import claimed_paths, generate, plan as plan_tree
    from gitops_kafka.gitrepo import GitRepo

    repo = GitRepo(repo_root)
    root = repo.root
    display = f"{ENVIRONMENTS_DIR}/{env}.yaml"
    path = root / display
    config = load_environment(root, env)
    edits, leftovers = plan(report, snapshot, config, only)
    outcome = CodifyOutcome(edits, leftovers)
    if not edits:
        return outcome
    if repo.uncommitted([display]):
        raise GitError(f"{display} has uncommitted changes: commit or stash them before codify")
    text = path.read_text(encoding="utf-8")
    refuse_lowered_partitions(text, display, config, edits)
    edited = apply(text, edits, display)
    validate(root, env, edited)
    branch = branch or default_branch(env)
    if branch_exists(repo, branch):
        raise GitError(f"branch {branch!r} already exists; choose another with --branch")
    outcome.base, outcome.branch = repo.resolve("HEAD"), branch
    write_atomically(path, edited)
    try:
        generate(root, [env], commit=False)
    except BaseException:
        write_atomically(path, text)
        raise
    paths = claimed_paths(repo, plan_tree(root, [env]).tree)  # owned directories, and our files in shared ones
    outcome.commit = repo.commit([display, *paths], commit_message(env, edits), branch)
    return outcome


def branch_exists(repo, branch: str) -> bool:
    from gitops_kafka.errors import RevisionError

    try:
        repo.resolve(f"refs/heads/{branch}")
    except RevisionError:
        return False
    return True


def write_atomically(path: Path, text: str) -> None:
    """Replace the file whole (a temporary file renamed over it), keeping its mode."""
    import os

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, path.stat().st_mode & 0o777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def default_branch(env: str) -> str:
    import time

    return f"codify/{env}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


def commit_message(env: str, edits: list[Edit]) -> str:
    subjects = list(dict.fromkeys(e.subject for e in edits))
    lines = [f"codify {env}: keep {len(edits)} live change{'s' if len(edits) != 1 else ''} "
             f"({', '.join(subjects[:3])}{', ...' if len(subjects) > 3 else ''})", ""]
    lines += [f"- {e.describe()}" for e in edits]
    return "\n".join(lines) + "\n"
