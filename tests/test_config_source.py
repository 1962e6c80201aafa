"""Environment files read by libyaml's parser mean what ruamel.yaml reads from them, or are left to ruamel.

`config.source.read_plainly` is only a faster reading: each text it accepts must give the values
ruamel.yaml gives (same keys, same values of the same builtin types once `plain`), and whatever it
cannot read that way it must refuse (NOT_PLAIN), so that ruamel reads it as before.
"""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitops_kafka.config.source import NOT_PLAIN, plain, read_document, read_plainly

PROJECT = Path(__file__).resolve().parent.parent
ENVIRONMENT_FILES = sorted([*PROJECT.glob("environments/*.yaml"), *PROJECT.glob("tests/golden/environments/*.yaml")])


def builtin(value):
    """ruamel's scalar types as the builtin values they stand for (ScalarInt(0) is the int 0)."""
    if isinstance(value, dict):
        return {builtin(k): builtin(v) for k, v in value.items()}
    if isinstance(value, list):
        return [builtin(v) for v in value]
    for kind in (bool, int, float, str):
        if isinstance(value, kind):
            return kind(value)
    return value


def same_reading(text: str):
    """read_plainly's answer, checked against ruamel's where it gives one."""
    fast = read_plainly(text)
    if fast is NOT_PLAIN:
        return fast
    slow = YAML(typ="rt").load(text)
    assert plain(fast) == builtin(plain(slow)), text
    assert repr(plain(fast)) == repr(builtin(plain(slow))), text  # same types: 1 is not 1.0 nor True
    return fast


@pytest.mark.parametrize("path", ENVIRONMENT_FILES, ids=lambda p: str(p.relative_to(PROJECT)))
def test_every_shipped_and_golden_environment_file_is_read_plainly(path):
    assert same_reading(path.read_text()) is not NOT_PLAIN


READ_PLAINLY = [
    "a: 1\nb: -2\nc: +3\nd: 0\n", "a: true\nb: False\nc: TRUE\n", "a: yes\nb: no\nc: on\nd: off\ne: y\n",
    "a: null\nb: ~\nc:\nd: Null\n", "a: '0x1F'\nb: \"1.5\"\nc: 'it''s'\nd: \"tab\\tx\"\n",
    "list: [1, two, 'three', {four: 4}]\nmap: {a: 1, b: [x]}\n", "- a\n- b: 1\n  c: 2\n",
    "a: 512Mi\nb: 500m\nc: 1h30m\nd: 30s\ne: 2g\n", "1: one\n2: two\n", "true: a\nnull: b\n",
    "a: text with:colon\nb: 'quoted # not a comment'\nc: plain # a comment\n", "", "# only a comment\n",
    "a:\n  b:\n    c:\n      d: deep\n", "---\na: 1\n...\n", "a: ünïcödé €\n",
]
LEFT_TO_RUAMEL = [
    "a: 1.5\n", "a: 1e3\n", "a: .inf\n", "a: 0x1F\n", "a: 0o17\n", "a: 017\n", "a: 1_000\n", "a: 2001-12-14\n",
    "a: 12:30\n", "a: 10.0.0.1\n", "a: |\n  block\n", "a: >\n  folded\n", "a: !!str 1\n", "a: &x 1\nb: *x\n",
    "base: &b {x: 1}\nc:\n  <<: *b\n", "a: 1\na: 2\n", "1: a\ntrue: b\n", "? [a]\n: 1\n", "%YAML 1.2\n---\na: 1\n",
    "a: 1\n---\nb: 2\n", "a: x\n---\n", "a:\tb\n", "a: b\r\n", "a: [1, 2\n", "a: b: c\n", "- a\nb: 1\n", "a: =\n", "<<: {a: 1}\n",
]


@pytest.mark.parametrize("text", READ_PLAINLY)
def test_plain_files_are_read_as_ruamel_reads_them(text):
    assert same_reading(text) is not NOT_PLAIN


@pytest.mark.parametrize("text", LEFT_TO_RUAMEL)
def test_what_only_ruamel_reads_as_ruamel_does_is_left_to_it(text):
    assert read_plainly(text) is NOT_PLAIN


def test_random_documents_are_read_alike_or_left_to_ruamel():
    chooser = random.Random(15)
    scalars = ["0", "1", "-7", "+7", "12", "1.5", "1e3", ".5", "007", "0x1f", "1_0", "true", "False", "yes", "null",
               "~", "", "a b", "x: y", "'q'", '"d"', "2001-01-01", "1:2", "<<", "=", "500m", "1Gi", "-", "a#b",
               "#c", "[1]", "{a: 1}", "é", "1.2.3", "Infinity", ".NaN", "0b1", "-.inf", "+.5e+3"]
    keys = ["a", "b", "name", "1", "true", "null", "x y", "<<", "0", "'q'"]

    def node(depth):
        pick = chooser.random()
        if depth > 2 or pick < 0.5:
            return chooser.choice(scalars)
        if pick < 0.75:
            return [node(depth + 1) for _ in range(chooser.randint(0, 3))]
        return {chooser.choice(keys): node(depth + 1) for _ in range(chooser.randint(0, 3))}

    def render(value, indent=""):
        if isinstance(value, dict):
            if not value:
                return " {}\n"
            return "\n" + "".join(f"{indent}{k}:{render(v, indent + '  ')}" for k, v in value.items())
        if isinstance(value, list):
            if not value:
                return " []\n"
            return "\n" + "".join(f"{indent}-{render(v, indent + '  ')}" for v in value)
        return f" {value}\n"

    read = 0
    for _ in range(600):
        text = "top:" + render(node(0), "  ")
        try:
            YAML(typ="rt").load(text)
        except Exception:  # noqa: BLE001 - a text ruamel refuses must be left to ruamel
            assert read_plainly(text) is NOT_PLAIN, text
            continue
        read += same_reading(text) is not NOT_PLAIN
    assert read > 100  # the comparison above ran on many texts read plainly


def test_a_problem_in_a_plainly_read_file_still_names_its_line(tmp_path):
    (tmp_path / "environments").mkdir()
    path = tmp_path / "environments" / "qa.yaml"
    path.write_text("namespace: qa\n\nkafka:\n  replicas: 3\n  bogus: 1\n")
    document = read_document(path, "environments/qa.yaml", tmp_path)
    assert not hasattr(document.root, "lc")  # read plainly
    assert document.line(("kafka", "bogus")) == 5 and document.line(("kafka",)) == 3


def test_generating_valid_files_imports_no_ruamel(repo):
    env = repo / "environments" / "prod.yaml"
    env.write_text(env.read_text().replace("    size: 200Gi", "    size: 300Gi"))
    script = textwrap.dedent(f"""
        import sys
        from gitops_kafka.cli import main
        code = main(["generate", "--env", "prod", "--no-commit", "--repo", {str(repo)!r}])
        print("ruamel imported:", any(m.split(".")[0] == "ruamel" for m in sys.modules))
        sys.exit(code)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0 and "wrote overlays/prod/" in result.stdout, result.stderr
    assert "ruamel imported: False" in result.stdout
