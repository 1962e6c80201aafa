"""Object identity, loading built YAML, and the kinds that live outside any namespace."""
from __future__ import annotations

import gc
from typing import Any, NamedTuple

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
    """The objects of a multi-document YAML stream (kustomize's output, a generated file); libyaml when present.

    The cyclic garbage collector is paused meanwhile: a parse only allocates (tens of thousands
    of dicts and lists, no cycles), and every full collection it set off walked all the objects
    of the process: a third of a 5,000-object parse in a daemon's heap.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    collecting = gc.isenabled()
    gc.disable()
    try:
        return [d for d in yaml.load_all(text, Loader=loader) if isinstance(d, dict)]
    finally:
        if collecting:
            gc.enable()
