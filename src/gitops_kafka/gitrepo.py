"""The one module that runs git: read committed files, export a revision, find uncommitted work, commit.

A local repository (`GitRepo`) is read and written through plain `git` commands: each
is one short process, cheaper than importing GitPython (which starts `git version`
twice on first use) for the few commands a generate or a review runs. GitPython is
used only where it earns its import, keeping a fetched cache of the tracked branch
for the drift detector (`fetch_branch`, `checkout_fetched`; `checkout_branch` does both).
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gitops_kafka.errors import GitError, RepositoryError, RevisionError

SYMLINK_MODE = "120000"
EXECUTABLE_MODE = "100755"


class GitRepo:
    """A working tree and its repository, seen through the few operations the generator needs."""

    def __init__(self, path: Path):
        try:
            found = subprocess.run(["git", "-C", str(path), "rev-parse", "--is-bare-repository",
                                    "--absolute-git-dir", "--show-toplevel"],
                                   capture_output=True, text=True, env=_plain_env())
        except OSError as exc:
            raise GitError(f"cannot run git: {exc}") from None
        lines = found.stdout.splitlines()
        if lines[:1] == ["true"]:
            raise GitError(f"{path} is a bare repository; generate needs a working tree")
        if found.returncode != 0 or len(lines) < 3:
            raise RepositoryError(f"{path} is not inside a git repository (run 'git init' there, or pass --repo)")
        self.git_dir = Path(lines[1])
        self.root = Path(lines[2])
        self._head: str | None | bool = False  # not looked up yet

    def _run(self, *args: str, input: bytes | None = None) -> str:
        return self._run_bytes(*args, input=input).decode("utf-8", errors="surrogateescape")

    def _run_bytes(self, *args: str, input: bytes | None = None) -> bytes:
        result = subprocess.run(["git", *args], cwd=self.root, input=input, capture_output=True, env=_plain_env())
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", errors="replace").strip() or \
                result.stdout.decode("utf-8", errors="replace").strip()
            raise GitError(f"git {args[0]} failed: {detail}")
        return result.stdout

    @property
    def head(self) -> str | None:
        """The commit HEAD names; None on a branch with no commit yet."""
        if self._head is False:
            found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=self.root,
                                   capture_output=True, text=True, env=_plain_env())
            self._head = found.stdout.strip() if found.returncode == 0 else None
        return self._head

    @property
    def has_head(self) -> bool:
        return self.head is not None

    def _blobs(self, commit: str, paths: list[str]) -> list[tuple[str, str, str]]:
        """(mode, object id, path) of every file under paths at commit (submodules left out)."""
        listing = self._run("ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
        out = []
        for record in listing.split("\0"):
            if not record:
                continue
            meta, path = record.split("\t", 1)
            mode, kind, oid = meta.split(" ")
            if kind == "blob":
                out.append((mode, oid, path))
        return out

    def _contents(self, oids: list[str]) -> list[bytes]:
        """The contents of blobs, in order, through one `git cat-file --batch`."""
        if not oids:
            return []
        data = self._run_bytes("cat-file", "--batch", input="".join(f"{oid}\n" for oid in oids).encode())
        out, position = [], 0
        for _ in oids:
            end = data.index(b"\n", position)
            size = int(data[position:end].split(b" ")[2])
            out.append(data[end + 1:end + 1 + size])
            position = end + 1 + size + 1  # the content ends with a newline of its own
        return out

    def head_files(self, directory: str) -> dict[str, str]:
        """Files of directory in HEAD, by path relative to it; empty if HEAD lacks it."""
        try:
            blobs = self._blobs("HEAD", [directory])
        except GitError:
            if not self.has_head:
                return {}
            raise
        prefix = directory.rstrip("/") + "/"
        return {path[len(prefix):]: data.decode("utf-8")
                for (_, _, path), data in zip(blobs, self._contents([oid for _, oid, _ in blobs]))}

    def resolve(self, ref: str) -> str:
        """The commit a revision (branch, tag, sha, HEAD~2, origin/main ...) names."""
        found = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                               cwd=self.root, capture_output=True, text=True, env=_plain_env())
        if found.returncode != 0 or not ref or ref.startswith("-"):
            raise RevisionError(f"unknown revision {ref!r} in {self.root}")
        return found.stdout.strip()

    def export(self, ref: str, destination: Path, paths: list[str] | None = None) -> str:
        """Write the files of a revision (only those under paths, when given) into destination, an
        empty directory; returns the commit.

        Reads the object database only: the working tree, index and HEAD stay as they are,
        so a review never disturbs someone's checkout. Submodules are not followed.
        """
        commit = self.resolve(ref)
        blobs = self._blobs(commit, paths or [])
        for (mode, _, path), data in zip(blobs, self._contents([oid for _, oid, _ in blobs])):
            target = destination / path
            target.parent.mkdir(parents=True, exist_ok=True)
            if mode == SYMLINK_MODE:
                os.symlink(data.decode("utf-8"), target)
            else:
                target.write_bytes(data)
                if mode == EXECUTABLE_MODE:
                    target.chmod(0o755)
        return commit

    def uncommitted(self, paths: list[str]) -> list[tuple[str, str]]:
        """(status, path) of every staged, modified, deleted or untracked file under paths."""
        output = self._run("status", "--porcelain=v1", "-z", "--untracked-files=all", "--", *paths)
        entries, records = [], output.split("\0")
        index = 0
        while index < len(records):
            record = records[index]
            index += 1
            if not record:
                continue
            status, path = record[:2], record[3:]
            if status[0] in "RC":
                index += 1  # the rename's source path follows
            entries.append((status, path))
        return entries

    def changed(self, paths: list[str]) -> list[str]:
        """Those of paths with uncommitted work (staged, modified, deleted or untracked)."""
        return sorted({path for _, path in self.uncommitted(paths)})

    def known(self, paths: list[str]) -> list[str]:
        """Those of paths that exist in the working tree or are tracked (a pathspec git accepts)."""
        tracked = self._run("ls-files", "-z", "--", *paths).split("\0") if paths else []
        return [p for p in paths if (self.root / p).exists()
                or any(t == p or t.startswith(p.rstrip("/") + "/") for t in tracked if t)]

    def current_branch(self) -> str | None:
        found = subprocess.run(["git", "symbolic-ref", "--quiet", "--short", "HEAD"], cwd=self.root,
                               capture_output=True, text=True, env=_plain_env())
        return found.stdout.strip() or None if found.returncode == 0 else None

    def remote_url(self, name: str) -> str | None:
        """The URL of a remote, or None when there is no such remote."""
        found = subprocess.run(["git", "config", "--get", f"remote.{name}.url"], cwd=self.root,
                               capture_output=True, text=True, env=_plain_env())
        return found.stdout.strip() or None if found.returncode == 0 else None

    def commit(self, paths: list[str], message: str, branch: str | None = None) -> str | None:
        """Commit exactly the given paths (nothing else someone staged); None if nothing changed.

        With a branch: a new branch from HEAD, or the current one when it is that
        branch already (regenerating a pull request's branch adds a commit to it).
        """
        if branch and branch == self.current_branch():
            branch = None
        if branch:
            exists = subprocess.run(["git", "show-ref", "--verify", "--quiet", f"refs/heads/{branch}"],
                                    cwd=self.root, env=_plain_env())
            if exists.returncode == 0:
                raise GitError(f"branch {branch!r} already exists; choose a new name for the pull request")
            self._run("check-ref-format", "--branch", branch)
        paths = self.known(paths)
        if not paths:
            return None
        self._run("add", "--all", "--", *paths)
        staged = self._run("diff", "--cached", "--name-only", *(["HEAD"] if self.has_head else []), "--", *paths)
        if not staged.strip():
            return None
        if branch:
            self._run("checkout", "-b", branch)
        self._run("commit", "--quiet", "--only", "-m", message, "--", *paths)
        self._head = False
        return self.head


def _plain_env() -> dict[str, str]:
    """git's environment: the caller's, with messages in English (errors are quoted to the user)."""
    return {**os.environ, "LC_ALL": "C", "LANGUAGE": "C"}


def redact(url: str) -> str:
    """A git URL (or git's message) without the credentials it may carry (https://user:token@host/...)."""
    from gitops_kafka.mask import mask_text

    return mask_text(url)


CREDENTIAL_FILES = {"username": ("username",), "token": ("token", "password"),
                    "key": ("ssh-privatekey", "identity"), "known_hosts": ("known_hosts",)}


def _credential(directory: Path, name: str) -> Path | None:
    return next((directory / f for f in CREDENTIAL_FILES[name] if (directory / f).is_file()), None)


@contextmanager
def credentials_for_git(directory: Path | None) -> Iterator[tuple[list[str], dict[str, str]]]:
    """(git -c options, environment) that let git authenticate from a directory of credential files.

    The directory is a mounted Secret: `username` and `token` (or `password`) for
    HTTPS, `ssh-privatekey` (or `identity`) and `known_hosts` for SSH. Git reads
    the token through a credential helper that cats the file, so it is never on a
    command line, in the environment, in the URL or in the cache's config; the SSH
    key is copied to a private file (ssh refuses a group-readable key, which is
    what a Secret volume with fsGroup gives). Git never prompts, and SSH trusts
    only the given known_hosts.
    """
    import shlex
    import tempfile

    options = ["-c", "credential.helper="]
    environment = {"GIT_TERMINAL_PROMPT": "0", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}
    ssh = ["ssh", "-o", "BatchMode=yes"]
    key_copy = None
    try:
        if directory is not None:
            if not directory.is_dir():
                raise GitError(f"git credentials directory {directory} does not exist (is the Secret mounted?)")
            token, key = _credential(directory, "token"), _credential(directory, "key")
            if token is not None:
                folder = shlex.quote(str(directory))
                options += ["-c", "credential.helper=!f() { test \"$1\" = get || exit 0; "
                                  f"u=$(cat {folder}/username 2>/dev/null || echo git); "
                                  f"printf 'username=%s\\npassword=%s\\n' \"$u\" \"$(cat {shlex.quote(str(token))})\"; }}; f"]
            if key is not None:
                known_hosts = _credential(directory, "known_hosts")
                if known_hosts is None:
                    raise GitError(f"{directory} has an SSH key but no known_hosts: refusing to trust any host key")
                handle, name = tempfile.mkstemp(prefix="gitops-kafka-ssh-")
                key_copy = Path(name)
                with os.fdopen(handle, "wb") as out:
                    out.write(key.read_bytes())
                ssh += ["-i", str(key_copy), "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={known_hosts}",
                        "-o", "StrictHostKeyChecking=yes"]
        environment["GIT_SSH_COMMAND"] = shlex.join(ssh)
        yield options, environment
    finally:
        if key_copy is not None:
            key_copy.unlink(missing_ok=True)


def checkout_branch(source: str, branch: str, cache: Path, timeout: float = 120.0,
                    credentials: Path | None = None) -> tuple[str, Path]:
    """Fetch branch of source (a URL or a path) into a local cache and check its tip out.

    The cache is a normal clone reused across cycles, so a fetch moves only new
    objects; the checkout is forced and cleaned, so the tree is exactly the commit.
    `credentials` is a directory of credential files (see credentials_for_git).
    Returns (commit, tree path).
    """
    commit = fetch_branch(source, branch, cache, timeout, credentials)
    return commit, checkout_fetched(cache, commit, source)


def fetch_branch(source: str, branch: str, cache: Path, timeout: float = 120.0,
                 credentials: Path | None = None) -> str:
    """Fetch branch of source into the cache (a clone reused across cycles) and return its tip's commit,
    without touching the cache's working tree (see checkout_fetched)."""
    import git

    try:
        if (cache / ".git").is_dir():
            repo = git.Repo(cache)
            if "origin" not in repo.remotes or repo.remotes.origin.url != source:  # read in-process
                repo.git.remote("set-url", "origin", source)
        else:
            cache.mkdir(parents=True, exist_ok=True)
            repo = git.Repo.init(cache)
            repo.git.remote("add", "origin", source)
        with credentials_for_git(credentials) as (options, environment), repo.git.custom_environment(**environment):
            repo.git.execute(["git", *options, "fetch", "--quiet", "--prune", "--depth", "1", "origin",
                              f"+refs/heads/{branch}:refs/remotes/origin/{branch}"], kill_after_timeout=timeout)
        # A branch names a commit; read in-process (the ref file or packed-refs), a daemon does this every cycle.
        return git.SymbolicReference.dereference_recursive(repo, f"refs/remotes/origin/{branch}")
    except git.exc.GitCommandError as exc:
        detail = redact((exc.stderr or str(exc)).strip().removeprefix("stderr: ").strip("'\n "))
        raise GitError(f"cannot fetch branch {branch!r} of {redact(source)}: {detail}") from None
    except (git.exc.GitError, OSError, ValueError) as exc:
        raise GitError(f"cannot fetch branch {branch!r} of {redact(source)}: {redact(str(exc))}") from None


def checkout_fetched(cache: Path, commit: str, source: str) -> Path:
    """The cache's working tree at a fetched commit, forced and cleaned (exactly the commit)."""
    import git

    try:
        repo = git.Repo(cache)
        repo.git.checkout("--quiet", "--force", "--detach", commit)
        repo.git.clean("-ffdxq")
        return cache
    except git.exc.GitCommandError as exc:
        detail = redact((exc.stderr or str(exc)).strip().removeprefix("stderr: ").strip("'\n "))
        raise GitError(f"cannot check out {commit[:12]} of {redact(source)}: {detail}") from None
    except (git.exc.GitError, OSError, ValueError) as exc:
        raise GitError(f"cannot check out {commit[:12]} of {redact(source)}: {redact(str(exc))}") from None


def branch_tip(source: str, branch: str, cache: Path, timeout: float = 120.0,
               credentials: Path | None = None) -> str | None:
    """The commit branch's tip names at source, asked with `git ls-remote` (None: no such branch).

    A daemon asks this each cycle before fetching: one ref advertisement, a third of an
    unchanged fetch's cost (which also writes refs and FETCH_HEAD and may start maintenance).
    Run from the cache (when there is one), as the fetch is, so a relative path names the same repository.
    """
    ref = f"refs/heads/{branch}"
    try:
        with credentials_for_git(credentials) as (options, environment):
            result = subprocess.run(["git", *options, "ls-remote", "--", source, ref],
                                    cwd=cache if cache.is_dir() else None, capture_output=True, text=True,
                                    env={**_plain_env(), **environment}, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GitError(f"cannot fetch branch {branch!r} of {redact(source)}: timed out after {timeout:g} s") from None
    except OSError as exc:
        raise GitError(f"cannot fetch branch {branch!r} of {redact(source)}: {redact(str(exc))}") from None
    if result.returncode != 0:
        detail = redact(result.stderr.strip() or f"git ls-remote exited {result.returncode}")
        raise GitError(f"cannot fetch branch {branch!r} of {redact(source)}: {detail}")
    for line in result.stdout.splitlines():
        commit, _, name = line.partition("\t")
        if name == ref:
            return commit
    return None
