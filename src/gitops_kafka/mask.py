"""The one masking rule of the product: what a credential looks like, and how it is hidden.

Every output that can carry a value from git or the cluster (drift reports in every
format, /drift, log lines, the pull-request diff in every format) masks through this
module, so they all hide the same things the same way.

A credential is recognised by name (an env var, a Secret's data, a flag or property
whose name says password, secret, token, credential or key) and by value, wherever it
hides under an innocent name:

- `key=value` or `key: value` pairs whose key is a secret name, quoted or not:
  JAAS `password="..."`, `-Djavax.net.ssl.keyStorePassword=...`, `--password=...`,
  `?token=...` in a URL, `ssl.key.password=...` in a properties file;
- a secret flag followed by its value: `--password s3cret`, or `["--password", "s3cret"]`;
- the user information of a URL: `https://user:token@host` -> `https://***@host`.

Only the secret part is replaced, by `***`, so the rest still says what changed
(`-Djavax.net.ssl.keyStorePassword=***`, `username="alice" password="***"`). A whole
value is masked when its name is a secret name (`SASL_PASSWORD`, Secret data). When two
values differ only in a masked part they read the same; the second then reads
`<masked> (changed)`, so a rotation is visible without showing either value.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any

MASK = "***"
CHANGED = " (changed)"

# Names that say their value is a credential.
SECRET_NAME = re.compile(r"(?i)(passw(or)?d|passphrase|(^|[_.\-])pass$|secret|token|credential|"
                         r"private[_.\-]?key|api[_.\-]?key|[_.\-]key$)")
# Names that refer to a credential without holding it (secretName, secretKeyRef, tokenFile...).
REFERENCE_NAME = re.compile(r"(?i)(name|ref|refs|file|path|location|dir|type|secrets)$")

_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/@\s\"']+@")
_PAIR = re.compile(r"""(?P<key>[A-Za-z_\-][\w.\-]*)(?P<sep>\s*=\s*|\s*:\s+|"\s*:\s*)"""
                   r"""(?P<value>"(?:[^"\\]|\\.)*"|'[^']*'|[^\s"',;&]+)""")
_FLAG_VALUE = re.compile(r"(?P<flag>(?<!\S)--?[A-Za-z][\w.\-]*)(?P<sep>\s+)(?P<value>[^\s\-][^\s]*)")


def secret_name(name: Any) -> bool:
    """Whether a name (env var, flag, property, key) says its value is a credential."""
    name = str(name).strip("\"'")
    return bool(SECRET_NAME.search(name)) and not REFERENCE_NAME.search(name)


def mask_text(text: str) -> str:
    """The text with every credential it carries replaced by `***`; the rest kept."""
    if not isinstance(text, str) or not text:
        return text
    text = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _masked_pairs(text)
    return _FLAG_VALUE.sub(lambda m: f"{m['flag']}{m['sep']}{MASK}" if _secret_flag(m["flag"]) else m[0], text)


def _masked_pairs(text: str) -> str:
    """Every `key=value` whose key is a secret name, masked; a value may itself hold pairs (a URL's query)."""
    out, position = [], 0
    while (match := _PAIR.search(text, position)) is not None:
        key, value = match["key"], match["value"]
        if secret_name(key) and value.strip("\"'") != MASK:
            quote = value[0] if value[0] in "\"'" and len(value) > 1 and value[-1] == value[0] else ""
            out.append(f"{text[position:match.start('value')]}{quote}{MASK}{quote}")
            position = match.end()
        else:
            out.append(text[position:match.start("value")])
            position = match.start("value")
    out.append(text[position:])
    return "".join(out)


def _secret_flag(arg: Any) -> bool:
    return isinstance(arg, str) and arg.startswith("-") and "=" not in arg and secret_name(arg.lstrip("-"))


def mask_args(args: list) -> list:
    """A command line with the value after a secret flag masked, and every argument's text masked."""
    out = []
    for index, arg in enumerate(args):
        if index and _secret_flag(args[index - 1]) and isinstance(arg, str) and not arg.startswith("-"):
            out.append(MASK)
        else:
            out.append(mask_text(arg) if isinstance(arg, str) else mask_value(arg))
    return out


def mask_value(value: Any, name: Any = None) -> Any:
    """A copy of a value (scalar, map or list) with its credentials masked; `name` is what holds it."""
    if name is not None and secret_name(name) and not isinstance(value, (dict, list, bool)) and value is not None:
        return MASK
    if isinstance(value, str):
        return _mask_string(value)
    if isinstance(value, dict):
        if isinstance(value.get("name"), str) and "value" in value and secret_name(value["name"]):
            return {k: (MASK if k == "value" and v is not None else mask_value(v)) for k, v in value.items()}
        return {k: mask_value(v, k if isinstance(v, str) else None) for k, v in value.items()}
    if isinstance(value, list):
        return mask_args(value) if all(isinstance(v, str) for v in value) else [mask_value(v) for v in value]
    return value


def _mask_string(value: str) -> str:
    """A string's credentials masked; a JSON document in a string (last-applied-configuration) masked inside."""
    if value[:1] in "{[" and value[-1:] in "}]":
        try:
            document = json.loads(value)
        except ValueError:
            pass
        else:
            return json.dumps(mask_value(document), separators=(",", ":"))
    return mask_text(value)


def mask_object(obj: Any, other: Any = None) -> Any:
    """A Kubernetes object (or any value) masked; a Secret's data and stringData masked whole.

    With `other` (the same object at another revision, or its other side in a comparison),
    a leaf that differs from its counterpart but masks to the same text reads `... (changed)`.
    """
    masked = mask_value(obj)
    if isinstance(obj, dict) and obj.get("kind") == "Secret":
        for section in ("data", "stringData"):
            if isinstance(obj.get(section), dict):
                masked[section] = {k: MASK for k in obj[section]}
    if other is not None:
        masked = _mark_changes(obj, other, masked, mask_object(other))
    return masked


def _mark_changes(raw: Any, raw_other: Any, masked: Any, masked_other: Any) -> Any:
    if isinstance(raw, dict) and isinstance(raw_other, dict) and isinstance(masked, dict) and isinstance(masked_other, dict):
        return {k: _mark_changes(raw[k], raw_other[k], v, masked_other.get(k)) if k in raw_other else v
                for k, v in masked.items()}
    if isinstance(raw, list) and isinstance(raw_other, list) and isinstance(masked, list) and isinstance(masked_other, list):
        theirs = _by_name(raw_other, masked_other)
        if theirs is not None and all(isinstance(i, dict) and "name" in i for i in raw):
            return [_mark_changes(r, theirs[r["name"]][0], m, theirs[r["name"]][1]) if r["name"] in theirs else m
                    for r, m in zip(raw, masked)]
        if len(raw) == len(raw_other):
            return [_mark_changes(r, ro, m, mo) for r, ro, m, mo in zip(raw, raw_other, masked, masked_other)]
        return masked
    if raw != raw_other and masked == masked_other and isinstance(masked, str):
        return masked + CHANGED
    return masked


def _by_name(raw: list, masked: list) -> dict | None:
    if not all(isinstance(i, dict) and "name" in i for i in raw):
        return None
    return {i["name"]: (i, m) for i, m in zip(raw, masked)}


class LogFilter(logging.Filter):
    """Masks every record's message, so no log line carries a credential whatever logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def mask_logs(logger: logging.Logger | None = None) -> None:
    """Install the mask on every handler of a logger (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, LogFilter) for f in handler.filters):
            handler.addFilter(LogFilter())
