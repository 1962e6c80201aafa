"""Object identity, loading built YAML, and the kinds that live outside any namespace."""
from __future__ import annotations

import functools
import gc
from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple

import yaml

# The labels the generator writes on every object and the detector selects its objects by.
MANAGED_LABEL, MANAGED_BY = "app.kubernetes.io/managed-by", "gitops-kafka"
ENVIRONMENT_LABEL = "gitops-kafka.io/environment"
# Kinds the generator or the detector meet that belong to no namespace.
CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition",
                            "PersistentVolume", "StorageClass", "PriorityClass"})


class ObjectKey(NamedTuple):
    """What names an object in a cluster: API group (not version), kind, namespace ("" when none), name."""

    group: str
    kind: str
    namespace: str
    name: str

    @classmethod
    def of(cls, obj: dict[str, Any], namespace: str = "") -> "ObjectKey":
        """The key of an object; `namespace` stands in when the object names none (kustomize will set it)."""
        meta = obj.get("metadata") or {}
        scoped = obj.get("kind") in CLUSTER_SCOPED
        return cls(group(obj), obj.get("kind", ""), "" if scoped else meta.get("namespace") or namespace,
                   meta.get("name", ""))

    @property
    def ref(self) -> str:
        """How messages name an object: Kind/name."""
        return f"{self.kind}/{self.name}"


def group(obj: dict[str, Any]) -> str:
    api_version = obj.get("apiVersion", "")
    return api_version.split("/")[0] if "/" in api_version else ""


def load(text: str) -> list[dict[str, Any]]:
    """The objects of a multi-document YAML stream (kustomize's output, a generated file).

    libyaml composes the documents and `_plain_documents` turns them into dicts and lists; a
    stream that holds more than plain data goes through PyYAML's whole safe loader instead,
    libyaml's when present, whose answer the plain path matches. The cyclic garbage collector
    is paused meanwhile: a parse only allocates (tens of thousands of dicts and lists, no
    cycles), and every full collection it set off walked all the objects of the process: a
    third of a 5,000-object parse in a daemon's heap.
    """
    with collector_paused():
        try:
            documents = _plain_documents(text)
        except _NotPlain:
            documents = yaml.load_all(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        return [d for d in documents if isinstance(d, dict)]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off while objects are parsed, read or compared.

    Parsed and decoded objects are tens of thousands of acyclic containers; counted as
    allocations, they set off full collections that walk every object of the process (a
    daemon's kept desired state, its Kafka snapshot): at 1,000 objects more than a whole
    comparison. Paused, nothing is walked; what is freed goes by reference counting, and
    cyclic garbage of other threads waits until the pause ends.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


class _NotPlain(Exception):
    """The stream holds what only PyYAML's constructor builds alike: an alias, a merge key, a complex
    key, an explicit or a timestamp tag."""


_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
_SCALARS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null")


def _plain_documents(text: str) -> list[Any]:
    """The documents as PyYAML's safe loader builds them, for a stream of plain data: libyaml composes
    the nodes and a direct walk builds them (PyYAML's constructor spent 60% of a parse on bookkeeping
    plain data does not need: aliases, merge keys, deferred construction)."""
    from yaml.constructor import SafeConstructor
    from yaml.nodes import MappingNode, ScalarNode, SequenceNode
    from yaml.resolver import Resolver

    if not yaml.__with_libyaml__ or Resolver.yaml_path_resolvers:
        raise _NotPlain
    scalars = SafeConstructor()
    convert = {tag: SafeConstructor.yaml_constructors[tag] for tag in _SCALARS}
    composer = _composer_class()(text)
    seen: set[int] = set()  # collection nodes met: a node met twice is an alias

    def build(node: Any) -> Any:
        tag, kind = node.tag, node.__class__
        if kind is ScalarNode:
            if tag == _STR:
                return node.value
            if tag not in convert:
                raise _NotPlain
            return convert[tag](scalars, node)
        if id(node) in seen:
            raise _NotPlain
        seen.add(id(node))
        if kind is SequenceNode and tag == _SEQ:
            return [build(item) for item in node.value]
        if kind is not MappingNode or tag != _MAP:
            raise _NotPlain
        mapping = {}
        for key, value in node.value:
            if key.__class__ is not ScalarNode or key.tag not in _KEY_TAGS:
                raise _NotPlain
            mapping[build(key)] = build(value)
        return mapping

    try:
        documents = []
        while composer.check_node():
            documents.append(build(composer.get_node()))
            seen.clear()
        return documents
    finally:
        composer.dispose()


_KEY_TAGS = frozenset({_STR, *_SCALARS})


@functools.cache
def _composer_class() -> type:
    from yaml.cyaml import CParser
    from yaml.resolver import Resolver

    class Composer(CParser, Resolver):
        """libyaml's parser with PyYAML's implicit resolvers; no path resolvers (load checks), so the
        per-node path bookkeeping is skipped."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Resolver.__init__(self)

        def descend_resolver(self, *_: Any) -> None:
            pass

        def ascend_resolver(self, *_: Any) -> None:
            pass

    return Composer

