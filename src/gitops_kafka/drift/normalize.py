"""Objects in a canonical form, so that equal meaning compares equal.

A drift detector that cries wolf gets muted. What the API server writes on its
own must not read as drift: quantities in another spelling (`1000m` is `1`,
`1Gi` is `1024Mi`), empty values against missing ones, a default `protocol: TCP`,
`stringData` against base64 `data`, numbers typed as strings. Lists of named
things become mappings by their merge key, so that order never matters and a
field path can name an item (`containers[name=kafka]`) the way managedFields does
(the keys: `gitops_kafka.kube.lists`).
"""
from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

from gitops_kafka.kube.lists import item_segment, list_key, managed_fields_segment
from gitops_kafka.quantity import parse_quantity


class Keyed(dict):
    """A list of named items, as a mapping from each item's key to the item."""


QUANTITY_PARENTS = {"requests", "limits", "capacity", "allocatable", "hard"}


def item_key(field: str, item: dict[str, Any]) -> str | None:
    """The path segment naming one item of a list field (`name=kafka`), or None when the list has no key."""
    return item_segment(field, item)


def key_from_managed_fields(field: str, key: dict[str, Any]) -> str | None:
    """The item key of a managedFields `k:{...}` entry, spelled as item_key spells it."""
    return managed_fields_segment(field, key)


def canonical_quantity(value: Any) -> Any:
    try:
        number = parse_quantity(value)
    except ValueError:
        return value
    return format(number.normalize(), "f") if number != number.to_integral() else str(int(number))


def canonical_scalar(value: Any) -> Any:
    """Numbers and numeric strings compare by value: 3, 3.0 and "3" are one value."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float)):
        number = Decimal(str(value))
        return str(int(number)) if number == number.to_integral() else format(number.normalize(), "f")
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        if number.is_finite() and value.strip() == value and value[:1] not in ("+",):
            return str(int(number)) if number == number.to_integral() else format(number.normalize(), "f")
    return value


def normalize(node: Any, field: str = "", parent: str = "", canonical: bool = True) -> Any:
    """The canonical form of any part of an object (see the module docstring).

    With canonical=False only the structure changes (named lists become mappings,
    empty values go), and scalars stay as written: that is what reports show.
    """
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            normal = normalize(value, key, field, canonical)
            if not _empty(normal):
                out[key] = normal
        return out
    if isinstance(node, list):
        items = [normalize(i, field, parent, canonical) for i in node]
        items = [i for i in items if not _empty(i)]
        key = list_key(field, items)
        if key is not None:
            return Keyed((item_segment(field, i, key), i) for i in items)
        return items
    if not canonical:
        return node
    if field == "storage" or parent in QUANTITY_PARENTS:
        return canonical_quantity(node)
    return canonical_scalar(node)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, (dict, list)) and not value)


def secret_data(obj: dict[str, Any]) -> dict[str, Any]:
    """A Secret with stringData folded into base64 data, as the API server stores it."""
    if obj.get("kind") != "Secret" or "stringData" not in obj:
        return obj
    data = dict(obj.get("data") or {})
    for key, value in (obj.get("stringData") or {}).items():
        data[key] = base64.b64encode(str(value).encode()).decode()
    out = {k: v for k, v in obj.items() if k != "stringData"}
    out["data"] = data
    return out


def prepare(obj: dict[str, Any], canonical: bool = True) -> dict[str, Any]:
    """Desired or live object -> canonical form for comparison (or, canonical=False, for reports)."""
    return normalize(secret_data(obj), canonical=canonical)


def fingerprint(node: Any) -> str:
    """A stable text form of a normalized value (for equality checks and hashing)."""
    return json.dumps(node, sort_keys=True, default=str)
