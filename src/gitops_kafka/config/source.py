"""Environment files as YAML documents that remember the line of every value, read within bounds.

ruamel.yaml (YAML 1.2, with the line of every value) is what an environment file means. Lines
are needed only to report a problem, and ruamel's parser is pure Python, so a file is first read
by libyaml's parser (C) where that gives exactly what ruamel gives: plain, quoted and flow
scalars and collections, resolved by ruamel's YAML 1.2 rules. Anything else (block scalars,
tags, anchors, merge keys, duplicate keys, numbers ruamel keeps in a format of their own,
dates, directives, tabs, a file past the bounds, a syntax error) is read by ruamel as before,
and so is every file whose lines a problem needs (`Document.line`). tests/test_config_source.py
checks that both readings agree.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_kafka.errors import ConfigError, Problem

# Bounds on an environment file, checked before any Python object is built from it.
MAX_FILE_BYTES = 4 * 1024 * 1024  # room for 10,000 topics with overrides (tests/test_topics_job.py)
MAX_NESTING = 32
MAX_NODES = 500_000  # scalars and collections, counting every alias as the nodes it repeats


@dataclass
class Document:
    """A parsed YAML file that can say on which line any of its paths is written.

    `text`, when given, is the file the root was read from: its lines are found by reading
    it again with ruamel.yaml, the first time a line is asked for."""

    path: str
    root: Any
    text: str | None = field(default=None, repr=False, compare=False)

    def _positioned(self) -> Any:
        """The root as ruamel.yaml reads it, with the line of every value."""
        if self.text is None or hasattr(self.root, "lc"):
            return self.root
        if "_ruamel_root" not in self.__dict__:
            from ruamel.yaml import YAML

            self.__dict__["_ruamel_root"] = YAML(typ="rt").load(self.text)
        return self.__dict__["_ruamel_root"]

    def line(self, loc: tuple) -> int | None:
        """Line (1-based) of the deepest part of loc that this document holds."""
        node, line = self._positioned(), None
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
    text = _read_bounded(path, display, repo)
    root = read_plainly(text)
    if root is NOT_PLAIN:
        root = _read_with_ruamel(text, display)
    if root is None:
        root = {}
    if not isinstance(root, dict):
        raise ConfigError([Problem(display, 1, "", "expected a mapping of settings at the top level")])
    return Document(display, root, text)


def _read_with_ruamel(text: str, display: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError

    try:
        _check_structure(text, display)
        return YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ConfigError([Problem(display, line, "", f"invalid YAML: {message}")]) from None


# ---------------------------------------------------------------- libyaml's reading, where it is ruamel's

NOT_PLAIN = object()  # read_plainly's answer for a text only ruamel reads as ruamel does
_UNUSUAL_TEXT = re.compile("[\t\r\x85\u2028\u2029\ufeff]")  # where parsers may differ on whitespace
# ruamel.yaml's YAML 1.2 resolution of plain scalars (ruamel/yaml/resolver.py), the forms read here:
_NULL = re.compile(r"~|null|Null|NULL|")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")  # ruamel keeps 0, 007, 1_000, 0x1F... in types of its own
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+[eE][-+]?[0-9]+|[-+]?\.[0-9]+(?:[eE][-+][0-9]+)?")
# ...and the plain scalars read by ruamel only: any other number, infinity and NaN, a date or
# time, a merge key (<<), the value key (=), and the lone indicators.
_RUAMEL_ONLY = re.compile(r"[-+]?[0-9._][0-9a-fA-FoxXbB_.:+-]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
                          r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt \t].*)?|<<|=|[!&*]")


def _plain_scalar(text: str) -> Any:
    """A plain scalar as ruamel.yaml resolves it; NOT_PLAIN where ruamel gives a type of its own."""
    if _NULL.fullmatch(text):
        return None
    if text in _BOOL:
        return _BOOL[text]
    if text[:1] in "-+0123456789.<=!&*":
        if _INT.fullmatch(text):  # ruamel reads 0 as its ScalarInt(0): an int, spelt and validated as 0
            return int(text)
        if _FLOAT.fullmatch(text):
            return NOT_PLAIN  # ruamel's ScalarFloat
        if _RUAMEL_ONLY.fullmatch(text):
            return NOT_PLAIN
    return text


def read_plainly(text: str) -> Any:
    """The document libyaml's parser reads from text, resolved as ruamel.yaml resolves it (plain
    dicts, lists and scalars); NOT_PLAIN when only ruamel can say what text means, or where it is."""
    import yaml
    from yaml import events

    loader = getattr(yaml, "CSafeLoader", None)
    if loader is None or _UNUSUAL_TEXT.search(text):
        return NOT_PLAIN
    root: Any = NOT_PLAIN
    stack: list[list] = []  # [container, the key waiting for its value (NOT_PLAIN: none)]
    nodes = documents = 0

    def add(value: Any) -> bool:
        nonlocal root
        if not stack:
            root = value
            return True
        container, key = stack[-1]
        if isinstance(container, list):
            container.append(value)
        elif key is NOT_PLAIN:
            if isinstance(value, (dict, list)) or value in container:
                return False  # a complex or a duplicate key: ruamel's types and errors
            stack[-1][1] = value
        else:
            container[key] = value
            stack[-1][1] = NOT_PLAIN
        return True

    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, (events.StreamStartEvent, events.StreamEndEvent, events.DocumentEndEvent)):
                continue
            if isinstance(event, events.DocumentStartEvent):
                documents += 1
                if documents > 1 or event.version or event.tags:
                    return NOT_PLAIN
                continue
            if isinstance(event, events.CollectionEndEvent):
                stack.pop()
                continue
            if isinstance(event, events.AliasEvent) or event.anchor is not None or event.tag is not None:
                return NOT_PLAIN
            nodes += 1
            if nodes > MAX_NODES:
                return NOT_PLAIN
            if isinstance(event, events.ScalarEvent):
                if event.style == "":
                    value = _plain_scalar(event.value)
                elif event.style in ("'", '"'):
                    value = event.value
                else:
                    return NOT_PLAIN  # a block scalar: ruamel's string types
                if value is NOT_PLAIN or not add(value):
                    return NOT_PLAIN
            else:
                if len(stack) >= MAX_NESTING:
                    return NOT_PLAIN
                container: Any = {} if isinstance(event, events.MappingStartEvent) else []
                if not add(container):
                    return NOT_PLAIN
                stack.append([container, NOT_PLAIN])
    except yaml.YAMLError:
        return NOT_PLAIN
    return None if root is NOT_PLAIN else root


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


