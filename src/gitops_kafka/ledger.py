"""What generate last wrote, and from which inputs: the shortcut of a generate with nothing to do.

The output is a pure function of the environment files it reads and of the code that renders
them (same input, same bytes: docs/architecture.md), so a run whose inputs hash to a recorded
key, and whose output on disk still hashes as recorded, would write exactly what is there.
Such a run knows it from a few reads and hashes, without parsing, validating or rendering,
and so without importing pydantic or ruamel.yaml. Anything else (a changed or missing input,
an edited output file, another version of the code or of a library that shapes the output)
misses the record, and the run renders in full as before.

The ledger lives in the git directory (never committed, one per worktree), holds the last
few records, and is written atomically; a ledger that cannot be read or written is no ledger.
"""
from __future__ import annotations

import functools
import hashlib
import json
import stat
import sys
from pathlib import Path

from gitops_kafka.tree import Tree, generated, replace_file

LEDGER = "gitops-kafka-ledger.json"
KEEP = 8  # records: one per set of environments generated lately
MAX_SOURCE_BYTES = 4 * 1024 * 1024  # config.source.MAX_FILE_BYTES: a larger file is an error a full run reports
# Libraries whose code shapes the output (validation defaults, emitted bytes).
LIBRARIES = ("yaml", "pydantic", "pydantic_core")


@functools.cache
def code_fingerprint() -> bytes:
    """A hash of the package's own code and of the libraries that shape the output.

    The package is hashed by content; a library by its installed entry file's size and time
    (an upgrade rewrites it), found without importing the library."""
    import importlib.util

    digest = hashlib.sha256(sys.version.encode())
    package = Path(__file__).resolve().parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)
        origin = Path(spec.origin) if spec and spec.origin else None
        info = origin.stat() if origin else None
        digest.update(f"{name} {origin} {info.st_size if info else ''} {info.st_mtime_ns if info else ''}\0".encode())
    return digest.digest()


def inputs_key(root: Path, envs: list[str], sources: list[str]) -> str | None:
    """sha256 of the code, the environments asked for and every source file's bytes (repository-relative
    paths in sources); None when a source is not a regular file of a sensible size."""
    digest = hashlib.sha256(code_fingerprint())
    digest.update(json.dumps(envs).encode())
    inside = root.resolve()
    for source in sources:
        path = root / source
        try:
            status = path.lstat()
        except FileNotFoundError:
            digest.update(source.encode() + b"\0absent\0")
            continue
        except OSError:
            return None
        if (not stat.S_ISREG(status.st_mode) or status.st_size > MAX_SOURCE_BYTES
                or not path.resolve().is_relative_to(inside)):
            return None  # a link, a device, a huge file, a file elsewhere: what only a full run checks and reports
        try:
            data = path.read_bytes()
        except OSError:
            return None
        digest.update(source.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def output_record(tree: Tree) -> dict:
    """What a ledger remembers of an output: per directory, whether it is shared, and each file's sha256."""
    return {directory: {"shared": directory in tree.shared,
                        "files": {name: hashlib.sha256(text.encode("utf-8")).hexdigest()
                                  for name, text in tree.expected(directory).items()}}
            for directory in tree.directories}


def on_disk(root: Path, directory: str, shared: bool) -> dict[str, str]:
    """sha256 of what directory holds of the generator's output: all of it, or its part of a shared one."""
    base = root / directory
    if not base.is_dir():
        return {}
    files = {path.relative_to(base).as_posix(): path for path in base.rglob("*") if path.is_file()}
    if shared:
        mine = generated({name: path.read_text(encoding="utf-8", errors="replace") for name, path in files.items()})
        files = {name: path for name, path in files.items() if name in mine}
    return {name: hashlib.sha256(path.read_bytes()).hexdigest() for name, path in files.items()}


def recorded(git_dir: Path, key: str) -> dict | None:
    """The output recorded for key, or None."""
    try:
        records = json.loads((git_dir / LEDGER).read_text(encoding="utf-8"))
        return records[key] if isinstance(records, dict) and isinstance(records.get(key), dict) else None
    except (OSError, ValueError):
        return None


def up_to_date(root: Path, output: dict) -> bool:
    """True when every directory of a recorded output holds exactly what was recorded."""
    try:
        return all(on_disk(root, directory, entry["shared"]) == entry["files"] for directory, entry in output.items())
    except (OSError, KeyError, TypeError):
        return False


def record(git_dir: Path, key: str, output: dict) -> None:
    """Remember output under key (the newest KEEP records stay); a failure to write is ignored."""
    path = git_dir / LEDGER
    try:
        records = json.loads(path.read_text(encoding="utf-8"))
        records = records if isinstance(records, dict) else {}
    except (OSError, ValueError):
        records = {}
    records.pop(key, None)
    records[key] = output
    records = dict(list(records.items())[-KEEP:])
    try:
        replace_file(path, json.dumps(records))
    except OSError:
        pass
