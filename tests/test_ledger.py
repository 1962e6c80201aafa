"""generate's shortcut: a run whose inputs and output on disk are as the ledger recorded does nothing,
without parsing or validating; anything else renders in full, exactly as without a ledger."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from helpers import git, run_cli
from gitops_kafka import generator, ledger

LIBRARIES_OFF_THE_SHORTCUT = ("pydantic", "ruamel", "git")  # git: GitPython


def generate_in_subprocess(repo, *args):
    """generate in a fresh interpreter; stdout ends with the libraries it imported."""
    script = textwrap.dedent(f"""
        import sys
        from gitops_kafka.cli import main
        code = main(["generate", *{list(args)!r}, "--repo", {str(repo)!r}])
        print("imported:", sorted({{m.split(".")[0] for m in sys.modules}} & {set(LIBRARIES_OFF_THE_SHORTCUT)!r}))
        sys.exit(code)
        """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def count_renders(monkeypatch) -> list[int]:
    calls = []
    original = generator.plan

    def counting(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)
    monkeypatch.setattr(generator, "plan", counting)
    return calls


def test_an_up_to_date_generate_imports_no_validation_nor_yaml_round_trip_library(repo):
    first = generate_in_subprocess(repo, "--env", "prod", "--no-commit")
    assert first.returncode == 0 and "wrote overlays/prod/" in first.stdout, first.stderr
    assert "pydantic" in first.stdout  # a change is validated
    second = generate_in_subprocess(repo, "--env", "prod", "--no-commit")
    assert second.returncode == 0, second.stderr
    assert "nothing changed" in second.stdout and "imported: []" in second.stdout
    committing = generate_in_subprocess(repo, "--env", "prod")  # written but not committed: must commit
    assert committing.returncode == 0 and "committed" in committing.stdout, committing.stderr
    again = generate_in_subprocess(repo, "--env", "prod")
    assert "nothing changed: the generated files are current and committed" in again.stdout
    assert "imported: []" in again.stdout


def test_an_edited_input_renders_again(repo, monkeypatch):
    generator.generate(repo, ["prod"])
    renders = count_renders(monkeypatch)
    path = repo / "environments" / "prod.yaml"
    original = path.read_text()
    path.write_text(original.replace("partitions: 3", "partitions: 4", 1))
    assert generator.generate(repo, ["prod"]).changed == ["overlays/prod"]
    path.write_text(original)  # back to inputs the ledger knows, but the output on disk is the other one
    assert generator.generate(repo, ["prod"]).changed == ["overlays/prod"]
    assert generator.generate(repo, ["prod"]).changed == []
    assert len(renders) == 2


def test_an_edited_removed_or_added_output_file_is_not_taken_for_current(repo, monkeypatch):
    """Each is someone's uncommitted work: a full run refuses it, and so does a run after the ledger."""
    generator.generate(repo, ["prod"])
    renders = count_renders(monkeypatch)
    edits = {"overlays/prod/kustomization.yaml": lambda path: path.unlink(),
             "base/kafka.yaml": lambda path: path.write_text(path.read_text() + "# a hand edit\n"),
             "base/stray.yaml": lambda path: path.write_text("kind: ConfigMap\n")}
    for path, edit in edits.items():
        edit(repo / path)
        result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
        assert result.returncode == 3 and "refusing to overwrite uncommitted changes" in result.stderr
        assert path in result.stderr
        git(repo, "checkout", "--", ".")
        git(repo, "clean", "-fdq")
    assert generator.generate(repo, ["prod"]).changed == [] and renders == []  # in-process: counted


def test_another_code_version_or_a_broken_ledger_renders_in_full(repo, monkeypatch):
    generator.generate(repo, ["prod"], commit=False)
    renders = count_renders(monkeypatch)
    assert generator.generate(repo, ["prod"], commit=False).changed == []
    assert renders == []
    monkeypatch.setattr(ledger, "code_fingerprint", lambda: b"another release")
    assert generator.generate(repo, ["prod"], commit=False).changed == []
    assert len(renders) == 1
    ledger_file = repo / ".git" / ledger.LEDGER
    ledger_file.write_text("{not json")
    assert generator.generate(repo, ["prod"], commit=False).changed == []
    assert len(renders) == 2
    assert isinstance(json.loads(ledger_file.read_text()), dict)  # rewritten whole


def test_the_shortcut_commits_nothing_only_when_git_has_it(repo, monkeypatch):
    generator.generate(repo, ["prod"], commit=True)
    renders = count_renders(monkeypatch)
    assert generator.generate(repo, ["prod"], commit=True).commit is None and renders == []
    git(repo, "rm", "-q", "--cached", "overlays/prod/kustomization.yaml")
    git(repo, "commit", "-qm", "HEAD loses a generated file; the working tree keeps it")
    result = generator.generate(repo, ["prod"], commit=True)
    assert result.commit and len(renders) == 1
    assert "overlays/prod/kustomization.yaml" in git(repo, "ls-files", "overlays/prod")


def test_a_symbolic_link_or_a_missing_environment_takes_no_shortcut(repo, tmp_path):
    env = repo / "environments" / "prod.yaml"
    assert ledger.inputs_key(repo, ["prod"], ["environments/prod.yaml"]) is not None
    outside = tmp_path / "outside.yaml"
    outside.write_text(env.read_text())
    env.unlink()
    env.symlink_to(outside)
    assert ledger.inputs_key(repo, ["prod"], ["environments/prod.yaml"]) is None
    result = run_cli("generate", "--env", "prod", "--no-commit", cwd=repo)
    assert result.returncode == 2 and "outside the repository" in result.stderr
    missing = run_cli("generate", "--env", "qa", "--no-commit", cwd=repo)
    assert missing.returncode == 2 and "environments/qa.yaml" in missing.stderr
