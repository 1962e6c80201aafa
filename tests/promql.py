"""Helpers for alert tests: metric names in a PromQL expression, promtool, and alert template expansion."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

# Words of PromQL that look like metric names but are not.
KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or",
                      "unless", "offset", "inf", "nan"})
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENTIFIER = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads: identifiers outside strings, matchers, ranges and groupings, not calls."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = GROUPING.sub(" ", text)
    names = set()
    for match in IDENTIFIER.finditer(text):
        if match.start() > 0 and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            continue  # a unit or exponent of a number
        if text[match.end():].lstrip().startswith("(") or match.group().lower() in KEYWORDS:
            continue
        names.add(match.group())
    return names


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.fail("promtool not found: install Debian's prometheus package (.ci/run does)")
    return path


def run_promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], cwd=cwd, capture_output=True, text=True, timeout=120)


def write_rules(rule: dict, path: Path) -> Path:
    """The `spec` of a PrometheusRule is a Prometheus rule file."""
    path.write_text(yaml.safe_dump(rule["spec"], sort_keys=False))
    return path


def expand(template: str, labels: dict[str, str], value: float) -> str:
    """The alert templates use only `{{ $labels.x }}` and `{{ $value }}`; expand them as Go's text/template does."""
    shown = str(int(value)) if float(value).is_integer() else repr(float(value))
    out = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels.get(m.group(1), ""), template)
    out = out.replace("{{ $value }}", shown)
    assert "{{" not in out, f"template uses more than this helper expands: {template}"
    return out
