#!/usr/bin/env python3
"""Runs every gitops-kafka command README.md shows, as a user gets them: from a plain
`pip install .` (no extras) in its own virtualenv, outside the source tree's import path,
against the shipped environments in a throwaway copy of this repository (nothing is
written or committed in the checkout).

Fails on any traceback, on an exit code other than the one expected, and when a command
that needs a Kubernetes cluster or Kafka's ZooKeeper (none here) fails other than cleanly
(exit 2, one line on stderr; the daemon refuses to start outside a pod). A block that starts with `git init` runs in that new repository, with its git
lines (`git push` excepted: no remote) and its `$EDITOR` step as an edit of a topic's
partitions. A README command missing from EXPECTED is still run and must exit 0.

Usage (from the repository root; .ci/run does this): python3 .ci/readme_commands.py
Stdlib only, so it runs before any virtualenv exists.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_REPO_URL = "https://github.com/example-org/kafka-gitops.git"
BRANCH = "kafka/prod-more-partitions"


@dataclass
class Expect:
    code: int
    one_line_error: bool = False  # no cluster or ZooKeeper here: a clean `gitops-kafka <cmd>: ...` line
    prepare: str | None = None    # name of a Scenario method run first
    json_output: bool = False


EXPECTED = {
    "gitops-kafka generate --env prod": Expect(0),
    "gitops-kafka generate --all": Expect(0),
    "gitops-kafka generate --env prod --no-commit": Expect(0),
    "gitops-kafka generate --all --check": Expect(0),
    f"gitops-kafka generate --env prod --branch {BRANCH}": Expect(0, prepare="edit_prod_partitions"),
    "gitops-kafka generate --env prod --repo ../platform-gitops": Expect(0),
    "gitops-kafka render --env prod": Expect(0),
    "gitops-kafka render --env prod --ref origin/main": Expect(0),
    "gitops-kafka diff --env prod --base origin/main": Expect(1),  # the branch adds partitions
    f"gitops-kafka diff --all --base main --head {BRANCH} --format markdown": Expect(1),
    "gitops-kafka validate --all": Expect(0),
    "gitops-kafka review-comment --base origin/main --output review.md": Expect(0),
    "gitops-kafka check --env prod --kubeconfig ~/.kube/config [--context eks-prod]": Expect(2, one_line_error=True),
    f"gitops-kafka check --env prod --repo {EXAMPLE_REPO_URL} --branch main --format json":
        Expect(2, one_line_error=True),
    "gitops-kafka check --env prod --zookeeper localhost:2181": Expect(2, one_line_error=True),
    # Not in a pod: refuses to start (tests/test_daemon_stop.py runs it serving, then stops it).
    "gitops-kafka daemon --env prod --in-cluster --listen 0.0.0.0:8080": Expect(2, one_line_error=True),
    "gitops-kafka check-kafka --env prod": Expect(2),  # the report says which member is unreachable
    "gitops-kafka check-kafka --env prod --zookeeper zk-0:2181,zk-1:2181,zk-2:2181/kafka --format json":
        Expect(2, json_output=True),
    "gitops-kafka topics plan --env prod": Expect(2, one_line_error=True),
    # "Use it in your own GitOps repository": run in a new, empty repository, as the block says
    "gitops-kafka init --tool argocd --env staging --env prod --repo-url https://github.com/acme/kafka-gitops.git":
        Expect(0),
    "gitops-kafka generate --env prod --branch kafka/more-partitions": Expect(0),
    "gitops-kafka diff --env prod --base main --head kafka/more-partitions": Expect(1),
    "gitops-kafka review-comment --base main --head kafka/more-partitions --output review.md": Expect(0),
    "gitops-kafka check --env prod --kubeconfig ~/.kube/config": Expect(2, one_line_error=True),
}


def readme_blocks(readme: str) -> list[list[str]]:
    """The lines of each shell block of README, comments removed, set-up prefixes of gitops-kafka dropped."""
    blocks, fence, lines = [], None, []
    for line in readme.splitlines():
        if line.startswith("```"):
            if fence is None:
                fence, lines = line[3:].strip(), []
            else:
                if fence in ("", "sh", "bash", "console", "shell") and lines:
                    blocks.append(lines)
                fence = None
            continue
        if fence is None:
            continue
        code = re.sub(r"(^|\s+)#.*$", "", line).strip()
        last = code.split("&&")[-1].strip()  # `python3 -m venv .venv && ... && .venv/bin/gitops-kafka ...`
        if re.match(r"(\S*/)?gitops-kafka ", last):
            code = re.sub(r"^(\S*/)?gitops-kafka ", "gitops-kafka ", last)
        if code:
            lines.append(code)
    return blocks


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True).stdout


class Scenario:
    """A copy of this repository's working tree as `origin`, a clone of it to work in, and a plain install."""

    def __init__(self, base: Path):
        self.base = base
        self.origin, self.work, self.home = base / "origin", base / "repo", base / "home"
        self.venv = base / "venv"

    def set_up(self) -> None:
        files = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                               check=True, capture_output=True, text=True).stdout.split("\0")
        for name in filter(None, files):
            source = ROOT / name
            if source.is_file():
                (self.origin / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, self.origin / name)
        for repo in (self.origin,):
            git(repo, "init", "--quiet", "--initial-branch=main")
            git(repo, "add", "-A")
            git(repo, "-c", "user.email=ci@gitops-kafka.invalid", "-c", "user.name=CI", "commit", "--quiet", "-m", "copy")
        for clone in (self.work, self.base / "platform-gitops"):
            git(self.base, "clone", "--quiet", str(self.origin), str(clone))
            git(clone, "config", "user.email", "ci@gitops-kafka.invalid")
            git(clone, "config", "user.name", "gitops-kafka CI")
        self.home.mkdir()  # no ~/.kube/config: there is no cluster here
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        subprocess.run([str(self.venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", str(self.origin)], check=True)

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "KUBECONFIG", "GITOPS_KAFKA"))}
        env.update(HOME=str(self.home), PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
                   NO_COLOR="1", GIT_TERMINAL_PROMPT="0")
        return env

    def argv(self, command: str) -> list[str]:
        command = command.replace("[--context eks-prod]", "--context eks-prod")
        command = command.replace(EXAMPLE_REPO_URL, self.origin.as_uri())
        words = [f"{self.home}/{w[2:]}" if w.startswith("~/") else w for w in shlex.split(command)]
        return [str(self.venv / "bin" / "gitops-kafka"), *words[1:]]

    def edit_prod_partitions(self, cwd: Path | None = None) -> None:
        """The user's change a pull-request branch carries: twice the partitions of prod's first topic."""
        path = (cwd or self.work) / "environments" / "prod.yaml"
        text = path.read_text(encoding="utf-8")
        edited = re.sub(r"(\n\s+partitions: )(\d+)", lambda m: m[1] + str(int(m[2]) * 2), text, count=1)
        assert edited != text, f"{path} has no topic partitions to change"
        path.write_text(edited, encoding="utf-8")


def check(command: str, expect: Expect, code: int, stdout: str, stderr: str) -> list[str]:
    problems = []
    if "Traceback (most recent call last)" in stdout + stderr:
        problems.append("traceback:\n" + stderr[-3000:])
    if code != expect.code:
        problems.append(f"exit {code}, expected {expect.code}; stderr: {stderr.strip()[-1500:]}")
    if expect.one_line_error:
        lines = [line for line in stderr.splitlines() if line.strip()]
        name = command.split()[1]
        if len(lines) != 1 or not lines[0].startswith(f"gitops-kafka {name}: "):
            problems.append(f"expected one line 'gitops-kafka {name}: ...' on stderr, got:\n{stderr[-1500:]}")
    if expect.json_output:
        try:
            json.loads(stdout)
        except ValueError:
            problems.append(f"stdout is not JSON: {stdout[:300]}")
    return problems


def main() -> int:
    blocks = readme_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    count = sum(line.startswith("gitops-kafka ") for block in blocks for line in block)
    if not count:
        print("README.md shows no gitops-kafka command", file=sys.stderr)
        return 1
    failures = 0
    with tempfile.TemporaryDirectory(prefix="gitops-kafka-readme-") as base:
        scenario = Scenario(Path(base))
        started = time.monotonic()
        scenario.set_up()
        print(f"plain install of this checkout (pip install ., no extras) and a copy of the repository: "
              f"{time.monotonic() - started:.0f}s")
        outputs = []
        for block in blocks:
            cwd = scenario.work  # each block starts in the copy of this repository
            for line in block:
                if line.startswith("git init "):  # a repository of your own, as the block makes it
                    cwd = scenario.base / line.split()[2].split("&&")[0].strip()
                    git(scenario.base, "init", "--quiet", "--initial-branch=main", str(cwd))
                    git(cwd, "config", "user.email", "ci@gitops-kafka.invalid")
                    git(cwd, "config", "user.name", "gitops-kafka CI")
                elif line.startswith("$EDITOR environments/prod.yaml"):
                    scenario.edit_prod_partitions(cwd)
                elif line.startswith("git ") and not line.startswith("git push"):  # no remote here
                    subprocess.run(line, shell=True, cwd=cwd, check=True, capture_output=True)
                elif line.startswith("gitops-kafka "):
                    failures += run_command(scenario, line, cwd)
                    if "--output review.md" in line:
                        outputs.append(cwd / "review.md")
        for output in outputs:
            if not output.is_file():
                print(f"FAIL review-comment --output review.md wrote no {output}")
                failures += 1
    print(f"README commands in a plain install: {failures} of {count} not as expected")
    return 1 if failures else 0


def run_command(scenario: Scenario, command: str, cwd: Path) -> int:
    """Run one README command in cwd and report it; 1 when it did not do as expected."""
    expect = EXPECTED.get(command, Expect(0))
    if expect.prepare:
        getattr(scenario, expect.prepare)()
    argv = scenario.argv(command)
    started = time.monotonic()
    result = subprocess.run(argv, cwd=cwd, env=scenario.environment(), capture_output=True,
                            text=True, stdin=subprocess.DEVNULL, timeout=300)
    problems = check(command, expect, result.returncode, result.stdout, result.stderr)
    code = result.returncode
    note = "" if command in EXPECTED else "  (not in EXPECTED: must exit 0)"
    print(f"{'FAIL' if problems else 'ok  '} exit {code} {time.monotonic() - started:5.1f}s  {command}{note}")
    for problem in problems:
        print("     " + problem.replace("\n", "\n     "))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
