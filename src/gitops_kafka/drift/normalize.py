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
import re
from decimal import Decimal
from typing import Any

from gitops_kafka.kube.lists import LIST_KEYS, PORT_KEYS, item_segment, list_key, managed_fields_segment
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


def declared_equal(wanted: Any, actual: Any, field: str = "") -> bool:
    """Whether every value `wanted` declares is, as written, the same in `actual`: a shortcut that implies
    the normalized forms have no declared difference (never the reverse: False means "compare them").

    Normalizing both sides of every pair was most of a comparison's cost, and nearly every live
    object holds git's values as written, plus what the server added. Scalars must be equal and
    of one type (`True == 1` in Python, not here); a named list must hold its items in the same
    order, each named alike on both sides in its canonical spelling (so both sides become the
    same mapping); any other list must be equal whole, as it is compared whole.
    """
    kind = type(wanted)
    if kind in _SCALARS:
        return type(actual) is kind and wanted == actual
    if isinstance(wanted, dict):
        if not isinstance(actual, dict):
            return False
        for key, value in wanted.items():
            if key in actual and declared_equal(value, actual[key], key):
                continue
            if not _empty(normalize(value, key, field, False)):  # an empty value declares nothing
                return False
        return True
    if isinstance(wanted, list):
        if not isinstance(actual, list) or len(wanted) != len(actual):
            return False
        keys = _IDENTITIES.get(field)
        if not keys or not all(isinstance(i, dict) for i in wanted) or list_key(field, wanted) is None:
            return _same(wanted, actual)
        for want, have in zip(wanted, actual):
            if not isinstance(have, dict):
                return False
            for fields in keys:
                named = _canonical_identity(fields, want)
                if named == () or named != _canonical_identity(fields, have):
                    return False
            if not declared_equal(want, have, field):
                return False
        return True
    return _same(wanted, actual)


_SCALARS = frozenset({str, int, float, bool, type(None)})
# Per list field, the identity fields of each key it may have: (path steps, default when absent).
_IDENTITIES: dict[str, tuple[tuple[tuple[tuple[str, ...], Any], ...], ...]] = {
    field: tuple(tuple((steps, default) for _, steps, default in key.fields) for key in keys)
    for field, keys in [*((f, (k,)) for f, k in LIST_KEYS.items()), ("ports", PORT_KEYS)]}
_DIGIT = re.compile(r"\d")


def _canonical_identity(fields: tuple[tuple[tuple[str, ...], Any], ...], item: dict[str, Any]) -> tuple[Any, ...]:
    """The item's identity values as written when each is a string or integer already in canonical form
    (so that it names the item alike before and after normalize), else () (not a shortcut's case)."""
    out = []
    for steps, default in fields:
        value: Any = item
        for step in steps:
            value = value.get(step) if isinstance(value, dict) else None
        if value is None:
            value = default
        kind = type(value)
        if kind is str:
            if _DIGIT.search(value) and canonical_scalar(value) != value:
                return ()
        elif kind is not int and value is not None:
            return ()
        out.append(value)
    return tuple(out)


def _same(a: Any, b: Any) -> bool:
    """Deep equality with scalars of one type."""
    kind = type(a)
    if kind in _SCALARS:
        return type(b) is kind and a == b
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(v, b[k]) for k, v in a.items())
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return kind is type(b) and a == b


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
