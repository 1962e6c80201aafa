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
