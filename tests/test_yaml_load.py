"""`kube.objects.load` reads plain streams by its own walk over libyaml's nodes, and anything
else through PyYAML's safe loader: both paths must give what PyYAML's pure-Python safe loader gives."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
import yaml

from gitops_kafka.kube import objects

GOLDEN = Path(__file__).resolve().parent / "golden" / "expected"
LOAD_ALL = yaml.load_all  # kept: the `fallbacks` fixture replaces the module's own


def reference(text: str) -> list:
    """PyYAML's own pure-Python safe loader, the meaning `load` must keep."""
    return [d for d in LOAD_ALL(text, Loader=yaml.SafeLoader) if isinstance(d, dict)]


@pytest.fixture
def fallbacks(monkeypatch) -> list[str]:
    """The texts `load` handed to PyYAML's loader instead of reading them itself."""
    handed: list[str] = []
    monkeypatch.setattr(objects.yaml, "load_all", lambda text, Loader: handed.append(text) or LOAD_ALL(text, Loader))
    return handed


def test_libyaml_is_there():
    assert yaml.__with_libyaml__  # the walk needs libyaml's parser; CI installs PyYAML's wheel


def test_generated_files_are_read_by_the_walk_alike(fallbacks):
    texts = [p.read_text() for p in sorted(GOLDEN.rglob("*.yaml"))]
    assert len(texts) > 20
    for text in texts:
        assert repr(objects.load(text)) == repr(reference(text))
    assert fallbacks == []


PLAIN = [
    "a: [1.0, 1e3, 0x1F, 0o17, 010, 0b101, 1_000, +5, -0, .inf, -.Inf, .NaN, ~, null, '', yes, No, on, OFF, y]\n",
    "a: 12:30:45\nb: 1:20.5\nc: '12:30:45'\nd: !!str 5\ne: !!int '7'\nf: !!float '1'\ng: !!bool 'true'\n",
    "? 1\n: int key\n? 1.5\n: float key\n~: null key\ntrue: bool key\n'1': str key\n",
    "a: 1\na: 2\n",  # a duplicate key: the last wins, in both
    "--- [1, 2]\n--- scalar\n---\n--- {a: {b: [{c: d}]}}\n...\n",
    'a: "\\u00e9\\t\\x41"\nb: |\n  line\n   kept\nc: >-\n  folded\n  text\n',
    "",
]
UNUSUAL = [
    "a: &x {b: 1}\nc: *x\n",  # an alias: PyYAML shares the object
    "base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n",  # a merge key
    "when: 2026-11-25\nat: 2026-11-25T10:00:00Z\n",  # timestamps
    "data: !!binary aGVsbG8=\n",
    "s: !!set {a, b}\no: !!omap [{a: 1}]\n",
    "? [a, b]\n: complex key\n",  # unhashable: PyYAML's error
    "a: !custom x\n",  # an unknown tag: PyYAML's error
    "a: !!python/name:os.system\n",
    "a: =\n",  # the value tag
    "a: [1, 2\n",  # malformed: libyaml's error
]


@pytest.mark.parametrize("text", PLAIN)
def test_plain_data_is_read_by_the_walk_as_pyyaml_reads_it(text, fallbacks):
    assert repr(objects.load(text)) == repr(reference(text))
    assert fallbacks == []


@pytest.mark.parametrize("text", UNUSUAL)
def test_anything_else_goes_to_pyyaml_whole(text, fallbacks):
    try:
        expected = reference(text)
    except yaml.YAMLError:
        with pytest.raises(yaml.YAMLError) as raised:
            objects.load(text)
        with pytest.raises(type(raised.value)) as before:  # what `load` said before it had the walk: libyaml's words
            list(LOAD_ALL(text, Loader=yaml.CSafeLoader))
        assert str(raised.value) == str(before.value)
    else:
        assert repr(objects.load(text)) == repr(expected)
    assert fallbacks in ([], [text])  # malformed text fails in the walk already, with libyaml's own error
    assert fallbacks or text == UNUSUAL[-1]


def test_an_alias_keeps_pyyamls_shared_object():
    loaded = objects.load(UNUSUAL[0])[0]
    assert loaded["a"] is loaded["c"]


def test_without_libyaml_pyyaml_reads_everything(monkeypatch, fallbacks):
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    text = PLAIN[0] + "---\n" + PLAIN[2]
    assert repr(objects.load(text)) == repr(reference(text))
    assert fallbacks == [text]


TOKENS = ["0", "07", "0o7", "0x1f", "1_0", "1e3", "1.5", ".5", "-.inf", ".nan", "~", "null", "Null", "NULL", "true",
          "True", "yes", "n", "off", "On", "1:30", "190:20:30", "<<<", "a", "a b", "+1", "0b11", "1,000", "3.",
          "'quoted'", '"0x1f"', "'yes'", "é", "[]", "{}", "[a, 1]", "{a: 1}"]


def random_document(rng: random.Random, depth: int = 0) -> str:
    """Block-style YAML with plain scalars picked to hit each implicit resolver and its near misses."""
    indent = "  " * depth
    lines = []
    for index in range(rng.randint(1, 5)):
        key = rng.choice(["k", "1", "true", "~", "2.5", "name", "k k"]) + str(index)
        if depth < 3 and rng.random() < 0.3:
            lines.append(f"{indent}{key}:\n{random_document(rng, depth + 1)}")
        elif depth < 3 and rng.random() < 0.2:
            items = "".join(f"{indent}- {rng.choice(TOKENS)}\n" for _ in range(rng.randint(0, 3)))
            lines.append(f"{indent}{key}:\n{items}" if items else f"{indent}{key}: []\n")
        else:
            lines.append(f"{indent}{key}: {rng.choice(TOKENS)}\n")
    return "".join(lines)


def test_random_plain_streams_read_alike(fallbacks):
    rng = random.Random(15)
    for _ in range(300):
        text = "---\n".join(random_document(rng) for _ in range(rng.randint(1, 3)))
        assert repr(objects.load(text)) == repr(reference(text)), text
    assert fallbacks == []
