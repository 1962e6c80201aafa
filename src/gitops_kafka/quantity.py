"""Kubernetes resource quantities and JVM heap sizes, parsed to exact numbers.

Validation compares a memory limit with a JVM heap, and "1Gi", "1024Mi" and
"1073741824" must compare equal, so both are parsed to Decimal (no float rounding).
"""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1),
            "k": Decimal(10**3), "M": Decimal(10**6), "G": Decimal(10**9),
            "T": Decimal(10**12), "P": Decimal(10**15), "E": Decimal(10**18)}
_QUANTITY = re.compile(r"^([+-]?[0-9]+(?:\.[0-9]*)?|[+-]?\.[0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?[0-9]+)?$")
MAX_QUANTITY = Decimal(2**63 - 1)
_JAVA_SIZE = re.compile(r"^([0-9]+)([kKmMgGtT]?)$")
_JAVA_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "t": 2**40}


def parse_quantity(text: str | int | float) -> Decimal:
    """Parse a Kubernetes quantity ("500m", "1Gi", "2", "1e3") to its exact value.

    The whole text must be the quantity: the API server refuses " 500m" and "1Gi\n".
    Raises ValueError with the accepted forms when the text is not a quantity.
    """
    match = _QUANTITY.fullmatch(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a Kubernetes quantity (e.g. 500m, 2, 512Mi, 1Gi)")
    number, suffix = match.group(1), match.group(2) or ""
    try:
        value = Decimal(number)
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only numbers
        raise ValueError(f"{text!r} is not a Kubernetes quantity") from exc
    try:
        if suffix in _BINARY:
            value *= _BINARY[suffix]
        elif suffix in _DECIMAL:  # before the exponent: "1E" is one exa
            value *= _DECIMAL[suffix]
        else:
            value *= Decimal(10) ** int(suffix[1:])
    except ArithmeticError:  # an exponent beyond Decimal's range
        raise ValueError(f"{text!r} is beyond the largest Kubernetes quantity (2^63-1)") from None
    if abs(value) > MAX_QUANTITY:
        raise ValueError(f"{text!r} is beyond the largest Kubernetes quantity (2^63-1): the API server would cap it")
    return value


def parse_java_size(text: str) -> int:
    """Parse a JVM size such as -Xmx takes it ("512m", "2g", "96M") to bytes."""
    match = _JAVA_SIZE.fullmatch(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a JVM heap size (e.g. 512m, 2g)")
    return int(match.group(1)) * _JAVA_UNITS[match.group(2).lower()]


def format_bytes(value: Decimal | int) -> str:
    """Render a byte count for messages, in the largest binary unit that divides it."""
    value = int(value)
    for unit in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        size = _BINARY[unit]
        if value >= size and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


_DURATION_PART = re.compile(r"([0-9]+)(ms|s|m|h)")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}


def parse_duration(text: str) -> float:
    """A Go-style duration as the environment files write them ("60s", "5m", "1h30m") in seconds."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{text!r} is not a duration such as 30s, 5m or 1h30m")
    return sum(int(n) * _DURATION_UNITS[u] for n, u in parts)
