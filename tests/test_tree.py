"""Writes are atomic per directory and a killed write is finished by the next one;
output is byte-identical across runs, hash seeds, locales, time zones and working directories."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers import git, run_cli
from gitops_kafka import tree as tree_module
from gitops_kafka.errors import WriteError
from gitops_kafka.tree import Tree, read_dir, write_tree


def snapshot(root: Path, directories) -> dict:
    return {d: read_dir(root, d) for d in directories}


def old_and_new(tmp_path: Path):
    root = tmp_path / "repo"
    old, new = Tree(), Tree()
    for directory in ("base", "overlays/prod", "clusters/prod"):
        old.own(directory)
        new.own(directory)
        for index in range(3):
            old.add(f"{directory}/file{index}.yaml", f"old {directory} {index}\n")
            new.add(f"{directory}/file{index}.yaml", f"new {directory} {index}\n")
    new.add("overlays/prod/patches/added.yaml", "new patch\n")
    write_tree(root, old, tmp_path / "staging")
    return root, old, new


def state_of(root: Path, directory: str, old: Tree, new: Tree) -> str:
    files = read_dir(root, directory)
    if files == old.in_dir(directory):
        return "old"
    if files == new.in_dir(directory):
        return "new"
    return "mixed"


def test_write_replaces_owned_directories_and_removes_stale_files(tmp_path):
    root, old, new = old_and_new(tmp_path)
    (root / "overlays" / "prod" / "file2.yaml").unlink()
    del new.files["overlays/prod/file2.yaml"]
    changed = write_tree(root, new, tmp_path / "staging")
    assert changed == ["base", "overlays/prod", "clusters/prod"]
    assert snapshot(root, new.owned) == {d: new.in_dir(d) for d in new.owned}
    assert not (tmp_path / "staging").exists()
    assert write_tree(root, new, tmp_path / "staging") == []


def test_failure_while_staging_leaves_the_old_tree(tmp_path, monkeypatch):
    root, old, new = old_and_new(tmp_path)
    real_stage = tree_module._stage
    calls = []

    def failing_stage(directory, files):
        calls.append(directory)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_stage(directory, files)

    monkeypatch.setattr(tree_module, "_stage", failing_stage)
    with pytest.raises(WriteError, match="No space left on device"):
        write_tree(root, new, tmp_path / "staging")
    assert [state_of(root, d, old, new) for d in new.owned] == ["old", "old", "old"]
    assert not (tmp_path / "staging" / "journal.json").exists()


def run_killed_write(tmp_path: Path, action: str) -> subprocess.CompletedProcess:
    """Write `new` over `old` in a child process that is stopped after the first directory exchange."""
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        # Python's own SIGINT handling, whatever was inherited (a background job starts with SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path[:0] = {[str(Path(__file__).parent)]!r}
        from gitops_kafka import tree
        from test_tree import old_and_new
        tmp = Path({str(tmp_path)!r})
        root, old, new = old_and_new(tmp)
        real = tree.exchange
        count = []
        def exchange(a, b):
            real(a, b)
            count.append(b)
            if len(count) == 1:
                {action}
        tree.exchange = exchange
        tree.write_tree(root, new, tmp / "staging")
        print("finished")
        """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_killed_between_exchanges_is_finished_by_the_next_write(tmp_path):
    result = run_killed_write(tmp_path, "os.kill(os.getpid(), signal.SIGKILL)")
    assert result.returncode == -signal.SIGKILL
    root = tmp_path / "repo"
    _, old, new = old_and_new(tmp_path / "again")
    states = [state_of(root, d, old, new) for d in new.owned]
    assert "mixed" not in states  # each directory is wholly old or wholly new, even now
    assert (tmp_path / "staging" / "journal.json").exists()
    assert tree_module.recover(root, tmp_path / "staging") is True
    assert [state_of(root, d, old, new) for d in new.owned] == ["new", "new", "new"]
    assert not (tmp_path / "staging").exists()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupt_during_exchanges_waits_for_the_whole_tree(tmp_path, sig):
    result = run_killed_write(tmp_path, f"os.kill(os.getpid(), {int(sig)})")
    assert "finished" not in result.stdout  # the signal did stop the process...
    root = tmp_path / "repo"
    _, old, new = old_and_new(tmp_path / "again")
    # ...but only once every directory was new and the journal gone.
    assert [state_of(root, d, old, new) for d in new.owned] == ["new", "new", "new"]
    assert not (tmp_path / "staging").exists()


def test_generate_recovers_a_killed_write_before_anything_else(repo, tmp_path):
    assert run_cli("generate", "--env", "prod", cwd=repo).returncode == 0
    staging = repo / ".git" / "gitops-kafka"
    # A journal left by a killed run: the overlay was staged but never exchanged.
    fake = Tree()
    fake.own("overlays/prod")
    fake.add("overlays/prod/kustomization.yaml", "# from the killed run\n")
    txn = staging / "deadbeef"
    tree_module._stage(txn / "0", fake.in_dir("overlays/prod"))
    tree_module._write_journal(staging, txn, [{"target": "overlays/prod", "staged": "deadbeef/0",
                                                "inode": (txn / "0").stat().st_ino,
                                                "files": tree_module.file_hashes(fake.in_dir("overlays/prod"))}])
    result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert not staging.exists()
    # The killed run's files landed first; this run then wrote its own output over them.
    assert "from the killed run" not in (repo / "overlays" / "prod" / "kustomization.yaml").read_text()


def test_output_is_byte_identical_across_processes_and_machines(repo, tmp_path):
    def generate_in(copy: Path, **env_overrides) -> dict:
        env = {**os.environ, **env_overrides}
        result = subprocess.run([sys.executable, "-m", "gitops_kafka", "generate", "--all", "--no-commit",
                                 "--repo", str(copy)], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        return {p.relative_to(copy).as_posix(): p.read_bytes()
                for d in ("base", "overlays", "clusters") for p in sorted((copy / d).rglob("*")) if p.is_file()}

    first = generate_in(repo, PYTHONHASHSEED="1", TZ="UTC", LANG="C")
    second_repo = tmp_path / "second"
    git(tmp_path, "clone", "--quiet", str(repo), str(second_repo))
    second = generate_in(second_repo, PYTHONHASHSEED="4242", TZ="Asia/Seoul", LANG="ko_KR.UTF-8")
    assert first and first == second


def shared_old_and_new(tmp_path: Path):
    """clusters/prod shared with flux bootstrap and a person; the generator's files change between two writes."""
    root = tmp_path / "repo"
    old, new = Tree(), Tree()
    for tree in (old, new):
        tree.share("clusters/prod")
    old.add("clusters/prod/a.yaml", "old a\n")
    old.add("clusters/prod/b.yaml", "old b\n")
    new.add("clusters/prod/a.yaml", "new a\n")
    new.add("clusters/prod/c.yaml", "new c\n")
    write_tree(root, old, tmp_path / "staging")
    (root / "clusters" / "prod" / "flux-system").mkdir()
    (root / "clusters" / "prod" / "flux-system" / "gotk-sync.yaml").write_text("flux's\n")
    (root / "clusters" / "prod" / "mine.yaml").write_text("a person's\n")
    return root, old, new


def test_a_shared_directory_gets_only_the_generators_files_replaced_and_removed(tmp_path):
    root, old, new = shared_old_and_new(tmp_path)
    assert write_tree(root, new, tmp_path / "staging") == ["clusters/prod"]
    assert read_dir(root, "clusters/prod") == {
        ".gitops-kafka-files": tree_module.MANIFEST_HEADER + "a.yaml\nc.yaml\n",
        "a.yaml": "new a\n", "c.yaml": "new c\n",  # b.yaml was the generator's and is no longer: removed
        "flux-system/gotk-sync.yaml": "flux's\n", "mine.yaml": "a person's\n"}
    assert write_tree(root, new, tmp_path / "staging") == []
    assert not (tmp_path / "staging").exists()


def test_a_write_killed_between_file_renames_in_a_shared_directory_is_finished(tmp_path):
    script = textwrap.dedent(f"""
        import os, signal, sys
        from pathlib import Path
        # Python's own SIGINT handling, whatever was inherited (a background job starts with SIGINT ignored).
        signal.signal(signal.SIGINT, signal.default_int_handler)
        sys.path[:0] = {[str(Path(__file__).parent)]!r}
        from gitops_kafka import tree
        from test_tree import shared_old_and_new
        tmp = Path({str(tmp_path)!r})
        root, old, new = shared_old_and_new(tmp)
        real, count = os.replace, []
        def replace(a, b):
            real(a, b)
            count.append(b)
            if len(count) == 2:  # the journal, then the first file
                os.kill(os.getpid(), signal.SIGKILL)
        os.replace = replace
        tree.write_tree(root, new, tmp / "staging")
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -signal.SIGKILL, result.stderr
    root = tmp_path / "repo"
    assert (root / "clusters" / "prod" / "b.yaml").exists()  # stopped half way
    assert tree_module.recover(root, tmp_path / "staging") is True
    _, _, new = shared_old_and_new(tmp_path / "again")
    files = read_dir(root, "clusters/prod")
    assert tree_module.generated(files) == new.expected("clusters/prod")
    assert files["mine.yaml"] == "a person's\n" and files["flux-system/gotk-sync.yaml"] == "flux's\n"


# ---------------------------------------------------------------- libyaml's emitter and PyYAML's own

TRICKY_STRINGS = ["", " ", "yes", "no", "on", "null", "~", "1.0", "0o17", "010", "1e3", "1_000", "12:30",
                  "2001-12-14", "- item", "key: value", "#comment", "a #b", "'quoted'", '"double"', "@at", "`tick",
                  "%percent", "!tag", "&anchor", "*alias", "{a: 1}", "[1]", "a\tb", "trailing ", " leading",
                  "line\nbreak\n", "line\nbreak", "trailing \nspace\n", "tab\tin\nblock\n", "kept\n\n", "\n",
                  "ünïcödé", "€ 5", "\u2028", "\u2029x\n", "\ufeff", "\x00", "\x1b[31m", "\x7f", "\x85", "\r\n",
                  "emoji 🚀", "\U0010ffff", "x" * 300, "a: b\nc: d\n", "--- \n...\n", "...\n", "\\backslash",
                  "colon:", "-", "?", ":", ",", "=", "<<", "0x1F", ".inf", "-.inf", ".nan", "+1", "-0"]


def pure_python_dump(monkeypatch, documents) -> str:
    with monkeypatch.context() as patched:
        patched.setattr(tree_module, "DUMPER", tree_module.PURE_DUMPER)
        return tree_module.dump_yaml(documents)


def test_libyaml_and_pure_python_emitters_write_the_same_bytes(monkeypatch):
    """libyaml's emitter is only a faster path: same documents in, same bytes out as PyYAML's own,
    also for the strings the two escape differently (those go through PyYAML's own)."""
    assert tree_module.DUMPER is not tree_module.PURE_DUMPER, "PyYAML here has libyaml: the test compares both"
    for text in TRICKY_STRINGS:
        for documents in ([{"key": text, "list": [text]}], [{text: 1}], [{"a": {"b": [{"c": text}]}}, [text]]):
            fast = tree_module.dump_yaml(documents)
            assert fast == pure_python_dump(monkeypatch, documents), repr(text)
    numbers = [{"numbers": [0, -1, 2**40, 1.5, 1e-7, float("inf"), True, False, None], "empty": [{}, [], {"a": []}]}]
    assert tree_module.dump_yaml(numbers) == pure_python_dump(monkeypatch, numbers)


def test_emitter_agreement_on_random_text(monkeypatch):
    import random
    chooser = random.Random(15)
    alphabet = [chr(c) for c in range(0x20, 0x7f)] + ["\n"] * 8 + ["\t", "   ", "ü", "\u2028", "\xa0", "\ufeff",
                                                                     "- ", ": ", " #", "---", "...", "'", '"']
    texts = ["".join(chooser.choice(alphabet) for _ in range(chooser.choice([1, 2, 3, 5, 8, 20, 60])))
             for _ in range(3000)]
    documents = [{"values": texts}, {text: text for text in texts if text.strip()}, texts[:50]]
    assert tree_module.dump_yaml(documents) == pure_python_dump(monkeypatch, documents)


def test_the_emitters_differ_where_the_guard_says(monkeypatch):
    """Without the guard the C emitter would write other bytes: the comparisons above can fail."""
    import yaml
    documents = [{"key": "emoji 🚀"}]
    raw = yaml.dump_all(documents, Dumper=tree_module.DUMPER, allow_unicode=True, sort_keys=False)
    pure = yaml.dump_all(documents, Dumper=tree_module.PURE_DUMPER, allow_unicode=True, sort_keys=False)
    assert raw != pure and tree_module.dump_yaml(documents).endswith(pure)


@pytest.mark.parametrize("inputs", ["golden", "shipped"])
def test_every_generated_file_is_the_same_from_either_emitter(monkeypatch, inputs):
    from gitops_kafka.generator import plan

    root = Path(__file__).parent / "golden" if inputs == "golden" else Path(__file__).parent.parent
    fast = plan(root, None).tree.files
    monkeypatch.setattr(tree_module, "DUMPER", tree_module.PURE_DUMPER)
    assert plan(root, None).tree.files == fast
