"""Strict schema validation of built objects for a target Kubernetes version.

Built-in kinds use kubernetes-validate's strict schemas (unknown fields are
errors; a removed apiVersion has no schema at all). The Prometheus Operator's
kinds use the JSON schema of its published CRD models, made strict the same way.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from gitops_kafka.errors import GitopsKafkaError

CRD_GROUPS = {"monitoring.coreos.com/v1"}


class SchemaError(GitopsKafkaError):
    """An object does not match its schema, or no schema exists for its apiVersion and kind."""

    exit_code = 1


def violations(obj: dict[str, Any], kubernetes_version: str) -> list[tuple[list, str]] | None:
    """(path, message) of every schema violation; [] when valid; None when no schema is known.

    A built-in apiVersion without a schema (removed, like policy/v1beta1 in 1.25)
    is a violation; a custom resource of a group this module has no models for is
    unknown (None): its schema lives in the cluster.
    """
    if obj.get("apiVersion") in CRD_GROUPS:
        schema = _crd_schema(obj["apiVersion"], obj["kind"])
        if schema is None:
            return [(["kind"], f"{obj['apiVersion']} has no kind {obj.get('kind')}")]
        import jsonschema

        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
        return [(list(e.path), e.message) for e in errors]
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except SchemaNotFoundError:
        group = obj.get("apiVersion", "").rpartition("/")[0]
        if "." in group and not group.endswith(".k8s.io"):
            return None
        return [(["apiVersion"], f"{obj.get('apiVersion')} {obj.get('kind')} is not served by "
                                 f"Kubernetes {kubernetes_version}")]
    except ValidationError as exc:
        return [(list(exc.path), exc.message)]
    return []


def validate(obj: dict[str, Any], kubernetes_version: str) -> None:
    """Raise SchemaError naming the object and its first violation (or the lack of any schema)."""
    ref = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"
    found = violations(obj, kubernetes_version)
    if found is None:
        raise SchemaError(f"{ref}: no schema known for {obj.get('apiVersion')} {obj.get('kind')}")
    if found:
        path, message = found[0]
        where = ".".join(str(p) for p in path) or "(object)"
        raise SchemaError(f"{ref}: {where}: {message}")


@lru_cache(maxsize=None)
def _crd_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    from cloudcoil.models.prometheus_operator import v1

    model = getattr(v1, kind, None)
    if model is None:
        return None
    return _strict(model.model_json_schema(by_alias=True, mode="validation"))


def _strict(node: Any) -> Any:
    """Every object schema with known properties rejects unknown ones (kubernetes-validate's strict mode)."""
    if isinstance(node, dict):
        out = {k: _strict(v) for k, v in node.items()}
        if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node
