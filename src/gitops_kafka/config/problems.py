"""Validation errors as problems a person can act on: file, line, field, and a plain message."""
from __future__ import annotations

import difflib
import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel

from gitops_kafka.config.fields import refused_kafka_property
from gitops_kafka.config.model import EnvironmentConfig
from gitops_kafka.config.source import Document
from gitops_kafka.errors import Problem


def format_field(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif "." in part:
            out += f"[{part!r}]"
        else:
            out += f".{part}" if out else part
    return out


def _fields_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """Keys accepted at loc, for "did you mean" suggestions."""
    annotation: Any = model
    for part in loc:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = next((f for n, f in annotation.model_fields.items() if (f.alias or n) == part), None)
            if field is None:
                return []
            annotation = field.annotation
        elif typing.get_origin(annotation) in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            return []
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [f.alias or n for n, f in annotation.model_fields.items() if n != "name" or annotation is not EnvironmentConfig]
    return []


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0] if len(args) == 1 else annotation
            if len(args) != 1:
                return annotation
        else:
            return annotation


def _message(error: dict, loc: tuple) -> str:
    kind = error["type"]
    if kind == "extra_forbidden" and loc[:2] == ("kafka", "settings") and refused_kafka_property(str(loc[-1])):
        return refused_kafka_property(str(loc[-1]))
    if kind == "extra_forbidden":
        known = _fields_at(EnvironmentConfig, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else (f"; expected one of: {', '.join(known)}" if known else "")
        return f"unknown key {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required but not set"
    message = error["msg"].removeprefix("Value error, ")
    if kind.endswith("_type") or kind in ("literal_error", "enum"):
        value = error.get("input")
        shown = repr(value) if not isinstance(value, (dict, list)) else type(value).__name__
        message = f"{message} (got {shown})"
    return message


class Locator:
    """Finds the file and line a field path comes from: the environment file, else the defaults."""

    def __init__(self, documents: list[Document]):
        self.documents = documents

    def problem(self, loc: tuple, message: str) -> Problem:
        holder = next((d for d in self.documents if d.holds(loc)), None)
        document = holder or self.documents[0]
        return Problem(document.path, document.line(loc), format_field(loc), message)
