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


def validate(obj: dict[str, Any], kubernetes_version: str) -> None:
    """Raise SchemaError naming the object and the first violation."""
    ref = f"{obj.get('kind', '?')}/{(obj.get('metadata') or {}).get('name', '?')}"
    if obj.get("apiVersion") in CRD_GROUPS:
        _validate_crd(obj, ref)
        return
    import kubernetes_validate
    from kubernetes_validate.utils import SchemaNotFoundError, ValidationError

    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except SchemaNotFoundError:
        raise SchemaError(f"{ref}: Kubernetes {kubernetes_version} has no {obj.get('apiVersion')} "
                          f"{obj.get('kind')} (removed or unknown API)") from None
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.path) or "(object)"
        raise SchemaError(f"{ref}: {where}: {exc.message}") from None


def _validate_crd(obj: dict[str, Any], ref: str) -> None:
    import jsonschema

    schema = _crd_schema(obj["apiVersion"], obj["kind"])
    if schema is None:
        raise SchemaError(f"{ref}: no schema for {obj['apiVersion']} {obj['kind']}")
    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(obj), key=lambda e: list(e.path))
    if errors:
        where = ".".join(str(p) for p in errors[0].path) or "(object)"
        raise SchemaError(f"{ref}: {where}: {errors[0].message}")


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
