"""The imported environment as `environments/<env>.yaml`: validated like any environment file, written once.

The file is the repository's defaults overridden by what runs, so it is validated merged
over `environments/defaults.yaml` (which must name the GitOps repository: `init` writes
it). It is written under a temporary name and linked into place, so an existing file
is never replaced unless `--force` asks for it, and a reader never sees half a file.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from gitops_kafka import config as cfg
from gitops_kafka.errors import ConfigError, Problem, WriteError

HEADER = """\
# Imported by `gitops-kafka import` from the running cluster in namespace {namespace}.
# `adopt:` keeps the identities the running objects were created with (names, selectors,
# volume claim templates): the first sync patches them in place. Do not edit it by hand.
"""
ORDER = ("namespace", "cluster_name", "zookeeper", "kafka", "kafka_manager", "topics", "adopt")


def display_path(env: str) -> str:
    return f"{cfg.ENVIRONMENTS_DIR}/{env}.yaml"


def check_target(repo: Path, env: str) -> None:
    """The environment name and the repository, before anything is read from the cluster."""
    if not cfg.DNS1123_LABEL.match(env) or env == cfg.DEFAULTS_NAME:
        raise ConfigError([Problem(display_path(env), None, "", "environment names are DNS-1123 labels and 'defaults' is reserved")])
    if not (repo / cfg.ENVIRONMENTS_DIR).is_dir():
        raise ConfigError([Problem(str(repo / cfg.ENVIRONMENTS_DIR), None, "",
                                   "no such directory: --repo must name a GitOps repository (gitops-kafka init)")])


def validate(repo: Path, env: str, environment: dict[str, Any]) -> cfg.EnvironmentConfig:
    """The environment merged over the repository's defaults, validated: ConfigError names each problem."""
    check_target(repo, env)
    documents = [cfg.Document(f"{display_path(env)} (imported)", environment)]
    defaults = repo / cfg.ENVIRONMENTS_DIR / f"{cfg.DEFAULTS_NAME}.yaml"
    data: dict[str, Any] = {"name": env}
    if defaults.is_symlink() or defaults.exists():
        document = cfg.read_document(defaults, f"{cfg.ENVIRONMENTS_DIR}/{cfg.DEFAULTS_NAME}.yaml", repo)
        documents.append(document)
        data = cfg.deep_merge(data, cfg.plain(document.root))
    data = cfg.deep_merge(data, environment)
    return cfg.validate(data, cfg.Locator(documents))


def dump(env: str, environment: dict[str, Any]) -> str:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.default_flow_style = False
    yaml.width = 4096
    yaml.indent(mapping=2, sequence=4, offset=2)
    ordered = {key: environment[key] for key in ORDER if key in environment}
    ordered.update({k: v for k, v in environment.items() if k not in ordered})
    out = io.StringIO()
    yaml.dump(ordered, out)
    return HEADER.format(namespace=environment.get("namespace", "?")) + out.getvalue()


def refuse_existing(repo: Path, env: str) -> None:
    """WriteError when the environment file exists (a symlink, even dangling, counts)."""
    path = repo / cfg.ENVIRONMENTS_DIR / f"{env}.yaml"
    if path.exists() or path.is_symlink():
        raise WriteError(f"{display_path(env)} exists: import never overwrites it (use --force to replace it, "
                         "or --no-write to see the plan only)")


def write(repo: Path, env: str, text: str, force: bool) -> Path:
    """Write atomically; refuse to replace an existing file unless force."""
    path = repo / cfg.ENVIRONMENTS_DIR / f"{env}.yaml"
    if not force:
        refuse_existing(repo, env)
    handle, temporary = tempfile.mkstemp(prefix=f".{env}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if force:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # fails rather than replace a file that appeared meanwhile
            os.unlink(temporary)
    except FileExistsError:
        os.unlink(temporary)
        raise WriteError(f"{display_path(env)} appeared while importing: not replaced") from None
    except OSError as exc:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise WriteError(f"cannot write {display_path(env)}: {exc.strerror or exc}") from None
    return path
