"""generate starts fast: it never imports the daemon's heavy libraries."""
from __future__ import annotations

import subprocess
import sys
import textwrap

HEAVY = ("kubernetes", "kazoo", "deepdiff", "apscheduler", "prometheus_client")


def test_generate_imports_no_client_libraries(repo):
    script = textwrap.dedent(f"""
        import importlib.abc, sys
        attempted = []
        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {HEAVY!r}:
                    attempted.append(name)
                    raise ImportError("generate must not import " + name)
                return None
        sys.meta_path.insert(0, Refuse())
        from gitops_kafka.cli import main
        code = main(["generate", "--all", "--repo", {str(repo)!r}])
        print("attempted:", attempted)
        print("loaded:", sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r}))
        sys.exit(code)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "attempted: []" in result.stdout and "loaded: []" in result.stdout


def test_the_guard_above_would_notice_an_import(repo):
    """The refusing finder is live: importing one of the libraries through it fails."""
    script = textwrap.dedent(f"""
        import importlib.abc, sys
        class Refuse(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {HEAVY!r}:
                    raise ImportError("refused " + name)
        sys.meta_path.insert(0, Refuse())
        try:
            import kazoo
        except ImportError as exc:
            print(exc)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert "refused kazoo" in result.stdout


# Libraries taken off the paths of generate, render and diff (issue 15): GitPython (a local repository
# is plain git commands), ruamel.yaml (lines, for problems only), pydantic (validation: not to render a build).
OFF_THE_HOT_PATH = ("git", "ruamel", "pydantic")


def imported_by(argv: list[str], cwd) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import sys
        from gitops_kafka.cli import main
        code = main({argv!r})
        print("loaded:", sorted({{m.split(".")[0] for m in sys.modules}} & {set(OFF_THE_HOT_PATH)!r}), file=sys.stderr)
        sys.exit(code)
        """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=cwd)


def test_render_and_diff_import_neither_gitpython_nor_ruamel_nor_pydantic(repo):
    subprocess.run([sys.executable, "-m", "gitops_kafka", "generate", "--all"], cwd=repo, check=True, capture_output=True)
    env = repo / "environments" / "prod.yaml"
    env.write_text(env.read_text().replace("partitions: 3", "partitions: 6", 1))
    subprocess.run([sys.executable, "-m", "gitops_kafka", "generate", "--env", "prod"], cwd=repo, check=True,
                   capture_output=True)
    for argv, code in ((["render", "--env", "prod"], 0), (["render", "--env", "prod", "--ref", "HEAD~1"], 0),
                       (["diff", "--env", "prod", "--base", "HEAD~1"], 1)):
        result = imported_by(argv, repo)
        assert result.returncode == code, result.stderr
        assert "loaded: []" in result.stderr, (argv, result.stderr)


def test_generate_after_a_change_imports_neither_gitpython_nor_ruamel(repo):
    env = repo / "environments" / "prod.yaml"
    env.write_text(env.read_text().replace("partitions: 3", "partitions: 6", 1))
    result = imported_by(["generate", "--env", "prod"], repo)
    assert result.returncode == 0 and "committed" in result.stdout, result.stderr
    assert "loaded: ['pydantic']" in result.stderr  # a changed file is validated; its lines are not needed


def test_render_imports_only_its_own_command_and_no_dataclasses_typing_or_tempfile(repo):
    """`render` of the working tree costs a build plus a Python start (issue 15): it imports the review
    commands only, and none of the standard modules that alone cost it a tenth of its time or more."""
    subprocess.run([sys.executable, "-m", "gitops_kafka", "generate", "--all"], cwd=repo, check=True, capture_output=True)
    script = textwrap.dedent("""
        import sys
        from gitops_kafka.cli import main
        code = main(["render", "--env", "prod"])
        print("loaded:", sorted(m for m in sys.modules if m in ("dataclasses", "typing", "tempfile", "inspect")
                                or m.startswith("gitops_kafka.cli.") and m not in ("gitops_kafka.cli.options",
                                                                                  "gitops_kafka.cli.review")),
              file=sys.stderr)
        sys.exit(code)
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=repo)
    assert result.returncode == 0 and result.stdout.startswith("apiVersion: "), result.stderr
    assert "loaded: []" in result.stderr, result.stderr
