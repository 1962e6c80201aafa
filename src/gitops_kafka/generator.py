"""generate: environment files -> base/, overlays/<env>/, clusters/<env>/ -> one commit.

`plan` reads and validates the environment files, then `render_plan` (pure:
configuration in, a Tree out) renders them; only `generate` writes to the disk
(through tree.write_tree) and to git (through GitRepo).

A run with nothing to do learns it from the ledger (ledger.py: the inputs and the output
of earlier runs) before reading, validating or rendering anything.

Git sees only what the generator owns: base/ and overlays/<env>/ whole, and in
clusters/<env>/ (shared with `flux bootstrap` and people) only the files it wrote.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_kafka import ledger
from gitops_kafka.config.files import environment_names, source_paths
from gitops_kafka.errors import ConfigError, GitError, Problem
from gitops_kafka.gitrepo import GitRepo
from gitops_kafka.kube.lists import item_segment, join, list_key
from gitops_kafka.kube.objects import load
from gitops_kafka.stamp import STAMP, add_stamps, read_version
from gitops_kafka.tree import (MANIFEST, Recovered, Tree, current, generated, locked, recover_write, staging_dir,
                               write_tree)

if TYPE_CHECKING:
    from gitops_kafka.config import EnvironmentConfig


# A patch item's own key field (`containers[name=kafka].name`): what names the item, not a change.
ITEM_KEY_FIELD = re.compile(r"\[(?:[A-Za-z.]+=[^,\]]*,)*([A-Za-z.]+)=[^\]]*\]\.\1$")


@dataclass
class GenerationPlan:
    envs: list[str]
    tree: Tree
    configs: dict[str, EnvironmentConfig] = field(default_factory=dict)


@dataclass
class Result:
    changed: list[str]
    commit: str | None = None
    branch: str | None = None
    differences: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    other_versions: dict[str, str] = field(default_factory=dict)  # directory -> the version its stamp names


def plan(root: Path, envs: list[str] | None) -> GenerationPlan:
    """Read and validate every requested environment file (all problems at once), then render them."""
    from gitops_kafka.config import load_defaults, load_environment

    names = requested(root, envs)
    problems, configs = [], {}
    try:
        defaults = load_defaults(root)
    except ConfigError as exc:
        problems.extend(exc.problems)
        defaults = None
    for name in names:
        try:
            configs[name] = load_environment(root, name)
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return render_plan(list(names), defaults, configs)


def requested(root: Path, envs: list[str] | None) -> list[str]:
    """The environments asked for: envs, or every environment file (--all)."""
    names = envs if envs else environment_names(root)
    if not names:
        raise ConfigError([Problem("environments/", None, "", "no environment files found (environments/<env>.yaml)")])
    return list(names)


def render_plan(names: list[str], defaults: EnvironmentConfig, configs: dict[str, EnvironmentConfig]) -> GenerationPlan:
    """Pure: the defaults and each environment's configuration in, every generated file out."""
    from gitops_kafka.render.layout import base_tree, overlay_tree, sync_tree

    tree = base_tree(defaults)
    for name in names:
        tree.merge(overlay_tree(defaults, configs[name]))
        tree.merge(sync_tree(configs[name]))
    add_stamps(tree)
    return GenerationPlan(names, tree, configs)


def check(root: Path, envs: list[str] | None) -> Result:
    """Compare what would be generated with what HEAD holds; write nothing.

    A directory whose stamp names another version is reported in `other_versions`:
    its differences may be that version's doing rather than a forgotten generate.
    """
    repo = GitRepo(root)
    planned = plan(repo.root, envs)
    differences, other_versions = [], {}
    for directory in planned.tree.directories:
        committed, wanted = committed_output(repo, planned.tree, directory), planned.tree.expected(directory)
        if committed and committed.get(STAMP) != wanted[STAMP]:
            other_versions[directory] = read_version(committed.get(STAMP)) or "a version that wrote no stamp"
        for path in sorted(set(committed) | set(wanted)):
            if committed.get(path) != wanted.get(path):
                state = "missing" if path not in committed else "stale" if path not in wanted else "differs"
                differences.append(f"{directory}/{path}: {state}")
    return Result(changed=[], differences=differences, other_versions=other_versions)


def committed_output(repo: GitRepo, tree: Tree, directory: str) -> dict[str, str]:
    """The generator's files of directory in HEAD: all of an owned one, its own part of a shared one."""
    files = repo.head_files(directory)
    return generated(files) if directory in tree.shared else files


def claimed_paths(repo: GitRepo, tree: Tree) -> list[str]:
    """The paths generate may write, remove and commit: owned directories whole; in a shared
    directory each file the generator wants, or wrote before (on disk or in HEAD), and nothing else."""
    paths = list(tree.owned)
    for directory in tree.shared:
        names = set(tree.expected(directory)) | set(current(repo.root, tree, directory))
        names |= set(committed_output(repo, tree, directory))
        paths += [f"{directory}/{name}" for name in sorted(names)]
    return paths


def environment_paths(envs: list[str]) -> list[str]:
    """The environment files an output was generated from (committed with it on a pull-request branch)."""
    return source_paths(envs)


def generate(root: Path, envs: list[str] | None, commit: bool = True, branch: str | None = None) -> Result:
    """Write the output; commit it (with --branch: with the environment files, on a new branch)."""
    repo = GitRepo(root)
    with locked(repo.git_dir):
        return _generate_locked(repo, envs, commit, branch)


def _generate_locked(repo: GitRepo, envs: list[str] | None, commit: bool, branch: str | None) -> Result:
    """generate, holding the repository's lock: first finish what a killed run left, then write."""
    root = repo.root
    staging = staging_dir(root, repo.git_dir)
    recovered = recover_write(root, staging)
    names = requested(root, envs)
    key = ledger.inputs_key(root, names, source_paths(names))
    if recovered is None and key and not branch and nothing_to_do(repo, key, commit):
        return Result(changed=[])
    planned = plan(root, names)
    paths = claimed_paths(repo, planned.tree)
    refuse_uncommitted_work(repo, planned.tree, paths, recovered)
    before = {d: committed_output(repo, planned.tree, d) for d in planned.tree.directories} if commit else {}
    changed = write_tree(root, planned.tree, staging)
    if key:
        ledger.record(repo.git_dir, key, ledger.output_record(planned.tree))
    result = Result(changed=changed)
    if "base" in changed:
        others = sorted(set(environment_names(root)) - set(planned.envs))
        if others:
            result.notes.append(f"base/ changed: regenerate the other environments too ({', '.join(others)}), "
                                "e.g. with --all")
    if commit:
        sources = environment_paths(planned.envs) if branch else []
        message = commit_message(planned.envs, before, planned.tree, repo.changed(sources) if sources else [])
        result.commit = repo.commit(paths + sources, message, branch)
        result.branch = branch if result.commit and branch else repo.current_branch()
    return result


def nothing_to_do(repo: GitRepo, key: str, commit: bool) -> bool:
    """True when the ledger shows that these inputs made the output on disk (and, to commit, git has it).

    Then a full run would write nothing (the output already is what it would write) and commit
    nothing (no path it would commit has uncommitted changes), so none is needed.
    """
    output = ledger.recorded(repo.git_dir, key)
    if output is None or not ledger.up_to_date(repo.root, output):
        return False
    if not commit:
        return True
    paths = [d if not entry["shared"] else f"{d}/{name}" for d, entry in output.items()
             for name in (entry["files"] if entry["shared"] else [None])]
    return not repo.uncommitted(paths)


def refuse_uncommitted_work(repo: GitRepo, tree: Tree, paths: list[str], recovered: Recovered | None = None) -> None:
    """Stop before writing over changes nobody committed in paths, unless they already equal the output
    or are the output of an earlier, killed run that this run just finished."""
    conflicts = []
    output = {f"{d}/{name}": text for d in tree.directories for name, text in tree.expected(d).items()}
    for status, path in repo.uncommitted(paths):
        on_disk = repo.root / path
        wanted = output.get(path)
        if recovered and recovered.wrote(repo.root, path):
            continue  # generated by the killed run, not edited by anyone
        if wanted is None and not on_disk.exists():
            continue  # already removed, as the output wants
        if wanted is not None and on_disk.is_file() and on_disk.read_text(encoding="utf-8") == wanted:
            continue  # already what would be written
        conflicts.append(f"  {status.strip() or '??'} {path}")
    if conflicts:
        raise GitError("refusing to overwrite uncommitted changes in generated paths:\n" + "\n".join(conflicts)
                       + "\ncommit or stash them (or move hand edits into environments/) and run generate again")


# ---------------------------------------------------------------- commit message

def commit_message(envs: list[str], before: dict[str, dict[str, str]], tree: Tree,
                   sources: list[str] = ()) -> str:
    """A subject naming the environments and changed objects, a body listing the changed
    environment files (sources) and each changed field."""
    lines, touched = [f"- {path}: edited" for path in sources], []
    for directory in tree.directories:
        old, new = before.get(directory, {}), tree.expected(directory)
        for path in sorted(set(old) | set(new)):
            if old.get(path) == new.get(path) or path == MANIFEST:
                continue
            for change in describe_file(old.get(path), new.get(path), patch="patches/" in path):
                lines.append(f"- {directory}/{path}: {change}")
                touched.append(change.split(" ")[1])
    subject = f"gitops-kafka: generate {', '.join(envs)}"
    objects = sorted(set(touched))
    if objects:
        summary = ", ".join(objects[:3]) + (f" and {len(objects) - 3} more" if len(objects) > 3 else "")
        subject += f" ({summary})"
    return subject + ("\n\n" + "\n".join(lines) if lines else "") + "\n"


def describe_file(old: str | None, new: str | None, patch: bool = False) -> list[str]:
    """Object-level changes between two versions of a generated YAML file.

    A patch file is described by the fields it sets, since it changes an object
    the base defines rather than adding or removing one.
    """
    old_objects, new_objects = _objects(old), _objects(new)
    out = []
    for key in sorted(set(old_objects) | set(new_objects)):
        if patch:
            fields = [f for f in changed_fields(old_objects.get(key, {}), new_objects.get(key, {}))
                      if not f.startswith(("apiVersion", "kind", "metadata.name")) and not ITEM_KEY_FIELD.search(f)]
            out.append(f"patch {key} " + ", ".join(fields[:6]) + (f" (+{len(fields) - 6})" if len(fields) > 6 else ""))
        elif key not in old_objects:
            out.append(f"add {key}")
        elif key not in new_objects:
            out.append(f"remove {key}")
        elif old_objects[key] != new_objects[key]:
            fields = changed_fields(old_objects[key], new_objects[key])
            shown = ", ".join(fields[:6]) + (f" (+{len(fields) - 6})" if len(fields) > 6 else "")
            out.append(f"change {key} {shown}")
    return out


def _objects(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    out = {}
    for document in load(text):
        name = (document.get("metadata") or {}).get("name")
        kind = document.get("kind", "?")
        out[f"{kind}/{name}" if name else kind] = document
    return out


def changed_fields(old: Any, new: Any, path: str = "", field: str = "") -> list[str]:
    """Paths of the leaves that differ, as diffs and reports print them; keyed lists (`kube.lists`) by item."""
    if old is None and isinstance(new, (dict, list)):
        old = type(new)()
    if new is None and isinstance(old, (dict, list)):
        new = type(old)()
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in list(old) + [k for k in new if k not in old]:
            if old.get(key) != new.get(key):
                out.extend(changed_fields(old.get(key), new.get(key), join(path, key), str(key)))
        return out
    keys = {list_key(field, side, by_name=True) for side in (old, new) if side} \
        if isinstance(old, list) and isinstance(new, list) else {None}
    if len(keys) == 1 and None not in keys:
        key = keys.pop()
        old_by = {item_segment(field, i, key): i for i in old}
        new_by = {item_segment(field, i, key): i for i in new}
        out = []
        for segment in list(old_by) + [s for s in new_by if s not in old_by]:
            if old_by.get(segment) != new_by.get(segment):
                out.extend(changed_fields(old_by.get(segment), new_by.get(segment), join(path, segment)))
        return out
    return [path or "."]
