"""Environment files as YAML documents that remember the line of every value, read within bounds."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_kafka.errors import ConfigError, Problem

# Bounds on an environment file, checked before any Python object is built from it.
MAX_FILE_BYTES = 4 * 1024 * 1024  # room for 10,000 topics with overrides (tests/test_topics_job.py)
MAX_NESTING = 32
MAX_NODES = 500_000  # scalars and collections, counting every alias as the nodes it repeats


@dataclass
class Document:
    """A parsed YAML file that can say on which line any of its paths is written."""

    path: str
    root: Any

    def line(self, loc: tuple) -> int | None:
        """Line (1-based) of the deepest part of loc that this document holds."""
        node, line = self.root, None
        for part in loc:
            lc = getattr(node, "lc", None)
            try:
                if isinstance(part, int) and isinstance(node, list) and part < len(node):
                    line = lc.item(part)[0] + 1 if lc else line
                elif isinstance(part, str) and isinstance(node, dict) and part in node:
                    line = lc.key(part)[0] + 1 if lc else line
                else:
                    break
            except (KeyError, TypeError, AttributeError):  # pragma: no cover - ruamel keeps positions
                break
            node = node[part]
        return line

    def holds(self, loc: tuple) -> bool:
        node = self.root
        for part in loc:
            if isinstance(part, int) and isinstance(node, list) and part < len(node):
                node = node[part]
            elif isinstance(part, str) and isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return False
        return True


def read_document(path: Path, display: str, repo: Path) -> Document:
    """Parse one YAML file keeping line numbers; syntax errors and hostile files become a ConfigError.

    The file must be a regular file inside the repository, at most MAX_FILE_BYTES, and its
    structure (nesting, nodes after alias expansion) is bounded from the parser's events
    before ruamel builds a single Python object from it.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    text = _read_bounded(path, display, repo)
    try:
        _check_structure(text, display)
        root = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError([Problem(display, line, "", f"invalid YAML: {message}")]) from None
    if root is None:
        root = {}
    if not isinstance(root, dict):
        raise ConfigError([Problem(display, 1, "", "expected a mapping of settings at the top level")])
    return Document(display, root)


def _read_bounded(path: Path, display: str, repo: Path) -> str:
    """The file's text, refusing a link out of the repository, a device or FIFO, and a huge file."""
    def refuse(message: str, line: int | None = None) -> ConfigError:
        return ConfigError([Problem(display, line, "", message)])

    try:
        resolved = path.resolve(strict=True)
    except FileNotFoundError:
        raise refuse("file not found") from None
    except (OSError, RuntimeError) as exc:  # a symlink loop
        raise refuse(f"cannot read: {exc}") from None
    if not resolved.is_relative_to(repo.resolve()):
        raise refuse(f"is a symlink to {resolved}, outside the repository: environment files live in the repository")
    if not resolved.is_file():
        raise refuse("is not a regular file")
    try:
        with open(resolved, "rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        text = data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise refuse(f"cannot read: {exc}") from None
    if len(data) > MAX_FILE_BYTES:
        line = text[:MAX_FILE_BYTES].count("\n") + 1
        raise refuse(f"larger than {MAX_FILE_BYTES // 1024} KiB: an environment file is a page of settings", line)
    return text


def _check_structure(text: str, display: str) -> None:
    """Refuse deep nesting and alias bombs from the event stream, which costs linear time and memory.

    Each anchored node's size is measured once; an alias then counts as that many nodes,
    which is how many plain() and pydantic would build from it.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent, ScalarEvent

    sizes: dict[str, int] = {}
    open_nodes: list[tuple[str | None, int]] = []
    nodes = 0
    for event in YAML(typ="rt").parse(text):
        if isinstance(event, CollectionStartEvent):
            nodes += 1
            open_nodes.append((event.anchor, nodes))
            if len(open_nodes) > MAX_NESTING:
                raise ConfigError([Problem(display, event.start_mark.line + 1, "",
                                           f"nested more than {MAX_NESTING} levels deep")])
        elif isinstance(event, CollectionEndEvent):
            anchor, first = open_nodes.pop()
            if anchor:
                sizes[anchor] = nodes - first + 1
        elif isinstance(event, ScalarEvent):
            nodes += 1
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, AliasEvent):
            nodes += sizes.get(event.anchor, 1)
        if nodes > MAX_NODES:
            raise ConfigError([Problem(display, event.start_mark.line + 1, "",
                                       f"expands to more than {MAX_NODES} values (YAML aliases repeat what they "
                                       "name): write the settings out")])


def plain(node: Any) -> Any:
    """ruamel's commented containers -> plain dicts and lists, for pydantic."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (bool, int)) else k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def deep_merge(base: dict, override: dict) -> dict:
    """Mappings merge key by key; lists and scalars in override replace base's."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


