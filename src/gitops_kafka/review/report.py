"""Diffs and findings as a reader wants them: coloured text for a terminal, Markdown for a
pull-request comment, JSON for programs. Every format reads the already-masked objects
of the diff, and masks the messages of warnings and findings (`gitops_kafka.mask`), so no
format can print a credential.

Names and values come from whoever wrote the pull request: in Markdown every one is
escaped (inline code as <code> with character references, prose with backslashes) so
none can break the table or inject HTML; in text every terminal control sequence is
stripped and other control characters are shown escaped.
"""
from __future__ import annotations

import difflib
import html
import json
import re
from typing import Any

import yaml

from gitops_kafka.mask import mask_text
from gitops_kafka.terminal import printable
from gitops_kafka.review.diff import ABSENT, ADDED, CHANGED, REMOVED, REPLACED, EnvironmentDiff, FieldChange, ObjectChange

SIGN = {ADDED: "+", REMOVED: "-", CHANGED: "~", REPLACED: "~"}
COLOR = {"critical": "31;1", "warning": "33", "info": "36", ADDED: "32", REMOVED: "31", CHANGED: "33",
         REPLACED: "33", "head": "1", "minus": "31", "plus": "32", "dim": "2"}
ICON = {"critical": "🛑", "warning": "⚠️", "info": "ℹ️"}
MARKER = "<!-- gitops-kafka review -->"


def counts(diff: EnvironmentDiff) -> str:
    tally: dict[str, int] = {}
    for change in diff.changes:
        tally[change.status] = tally.get(change.status, 0) + 1
    parts = [f"{tally[s]} {s}" for s in (CHANGED, REPLACED, ADDED, REMOVED) if tally.get(s)]
    return ", ".join(parts) if parts else "no change"


def scalar(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    if isinstance(value, str):
        return json.dumps(value) if value == "" or value.strip() != value or ":" in value[:1] else value
    return json.dumps(value, default=str, sort_keys=False)


def is_text_block(change: FieldChange) -> bool:
    return any(isinstance(v, str) and "\n" in v for v in (change.before, change.after))


def field_lines(change: FieldChange) -> list[tuple[str, str]]:
    """(kind, text) lines of one field change: kind is 'minus', 'plus' or 'dim'."""
    if is_text_block(change):
        old = change.before.splitlines() if isinstance(change.before, str) else []
        new = change.after.splitlines() if isinstance(change.after, str) else []
        out = []
        for line in list(difflib.unified_diff(old, new, lineterm="", n=1))[2:]:
            out.append(("minus" if line.startswith("-") else "plus" if line.startswith("+") else "dim", line))
        return out
    return [("minus", f"- {scalar(change.before)}"), ("plus", f"+ {scalar(change.after)}")]


def object_yaml(change: ObjectChange) -> str:
    return yaml.safe_dump(change.after if change.after is not None else change.before,
                          sort_keys=False, default_flow_style=False, width=1000)


# ---------------------------------------------------------------- text

def text(diffs: list[EnvironmentDiff], color: bool = False) -> str:
    def paint(kind: str, s: str) -> str:
        s = printable(s)
        return f"\033[{COLOR[kind]}m{s}\033[0m" if color else s

    lines = []
    for diff in diffs:
        lines.append(paint("head", f"{diff.env}: {diff.base} -> {diff.head}: {counts(diff)}"))
        for r in diff.risks:
            lines.append("  " + paint(r.severity, f"{r.severity.upper()} [{r.rule}] {r.object}: {mask_text(r.message)}"))
        for change in diff.changes:
            title = f"{SIGN[change.status]} {change.ref}" + (f" (replaces {change.previous_name})" if change.previous_name else "")
            lines.append("  " + paint(change.status, title + ("" if change.status == CHANGED else f"  {change.status}")))
            for field in change.fields:
                lines.append(f"      {printable(field.path)}:")
                lines.extend("        " + paint(kind, s) for kind, s in field_lines(field))
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- Markdown

def fence(body: str, language: str = "") -> str:
    ticks = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", body)), default=0))
    return f"{ticks}{language}\n{body.rstrip(chr(10))}\n{ticks}"


def markdown(diffs: list[EnvironmentDiff], title: str = "gitops-kafka diff", details: bool = True) -> str:
    """Warnings first, then a summary table, then one collapsible section per object (unless details=False)."""
    out = [f"## {title}", ""]
    for diff in diffs:
        out.append(f"- **{_inline(diff.env)}**: {_code(diff.base)} → {_code(diff.head)}: {counts(diff)}")
    out.append("")
    risks = [(d.env, r) for d in diffs for r in d.risks]
    if risks:
        out += ["### Warnings", ""]
        for env, r in sorted(risks, key=lambda er: ("critical", "warning", "info").index(er[1].severity)):
            out.append(f"- {ICON[r.severity]} **{r.severity}** {_code(r.rule)} ({_inline(env)}) {_code(r.object)}: "
                       f"{_inline(r.message)}")
        out.append("")
    changes = [(d.env, c) for d in diffs for c in d.changes]
    if not changes:
        out.append("No change in the rendered manifests.")
        return "\n".join(out) + "\n"
    out += ["### Summary", "", "| environment | change | object | namespace | fields |", "|---|---|---|---|---|"]
    for env, c in changes:
        fields = str(len(c.fields)) if c.status in (CHANGED, REPLACED) else "all"
        out.append(f"| {_inline(env)} | {c.status} | {_code(c.ref)} | {_inline(c.namespace) if c.namespace else '—'} "
                   f"| {fields} |")
    if not details:
        return "\n".join(out) + "\n"
    out += ["", "### Objects", ""]
    for env, c in changes:
        out.append(_details(env, c))
    return "\n".join(out) + "\n"


def _details(env: str, change: ObjectChange) -> str:
    summary = f"{_html(env)}: {change.status} <code>{_html(change.ref)}</code>"
    if change.previous_name:
        summary += f" (replaces <code>{_html(change.previous_name)}</code>)"
    if change.status in (CHANGED, REPLACED):
        summary += f" ({len(change.fields)} field{'s' if len(change.fields) != 1 else ''})"
        lines = []
        for field in change.fields:
            lines.append(f"@@ {field.path}")
            lines.extend(s for _, s in field_lines(field))
        body = fence("\n".join(lines), "diff")
    else:
        body = fence(object_yaml(change), "yaml")
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>\n"


MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&|~!#])")
CODE_SAFE = re.compile(r"[A-Za-z0-9 .,:/=+-]")
CODE_SPAN_SAFE = re.compile(r"[^`|\x00-\x1f\x7f-\x9f\u2028\u2029]*[^`|\s\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _inline(message: str) -> str:
    """Prose for a Markdown line or table cell: every character Markdown or HTML would read is escaped."""
    return MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(mask_text(str(message)).split()))


def _code(value: object) -> str:
    """Inline code whatever the value holds. A backtick span shows everything but backticks, '|' and
    line breaks literally; a value holding one of those becomes <code> with every character but
    the plainest a character reference, so it can neither end the span nor split a table row."""
    text = str(value)
    if CODE_SPAN_SAFE.fullmatch(text):
        return f"`{text}`"
    return "<code>" + "".join(c if CODE_SAFE.fullmatch(c) else f"&#{ord(c)};" for c in text) + "</code>"


def _html(value: object) -> str:
    """Text inside raw HTML (a <summary>): escaped, and without the blank line that would end the HTML block."""
    return html.escape(str(value)).replace("\n", "&#10;").replace("\r", "&#13;")


# ---------------------------------------------------------------- JSON

def to_json(diffs: list[EnvironmentDiff]) -> str:
    def field(f: FieldChange) -> dict:
        out = {"path": f.path}
        if f.before is not ABSENT:
            out["before"] = f.before
        if f.after is not ABSENT:
            out["after"] = f.after
        return out

    def change(c: ObjectChange) -> dict:
        out = {"status": c.status, "apiVersion": c.api_version, "kind": c.kind, "namespace": c.namespace,
               "name": c.name}
        if c.previous_name:
            out["previousName"] = c.previous_name
        if c.status in (CHANGED, REPLACED):
            out["fields"] = [field(f) for f in c.fields]
        else:
            out["object"] = c.after if c.after is not None else c.before
        return out

    document = {
        "changed": any(d.changed for d in diffs),
        "environments": [{
            "env": d.env, "base": d.base, "head": d.head, "changed": d.changed,
            "warnings": [{"severity": r.severity, "rule": r.rule, "object": r.object, "message": mask_text(r.message)}
                         for r in d.risks],
            "changes": [change(c) for c in d.changes],
        } for d in diffs],
    }
    return json.dumps(document, indent=2, default=str) + "\n"


# ---------------------------------------------------------------- validation findings

def findings_text(results: dict) -> str:
    """results: {env: [Finding]}."""
    lines = []
    for env, findings in results.items():
        if not findings:
            lines.append(f"{env}: valid (schema and policy)")
        for f in findings:
            lines.append(printable(mask_text(f"{env}: {f}")))
    return "\n".join(lines) + "\n"


def findings_markdown(results: dict) -> str:
    total = sum(len(f) for f in results.values())
    if not total:
        return f"## gitops-kafka validate\n\n✅ {', '.join(results)}: schema and policy checks pass.\n"
    out = ["## gitops-kafka validate", "", f"❌ {total} finding{'s' if total != 1 else ''}.", "",
           "| environment | object | field | rule | message |", "|---|---|---|---|---|"]
    for env, findings in results.items():
        for f in findings:
            out.append(f"| {_inline(env)} | {_code(f.object)} | {_code(f.field)} | {_code(f.rule)} | {_inline(f.message)} |")
    return "\n".join(out) + "\n"
