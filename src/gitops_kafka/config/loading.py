"""Load an environment: read, merge over the defaults, validate, and repair to report every problem at once."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gitops_kafka.config.fields import DNS1123_LABEL
from gitops_kafka.config.files import DEFAULTS_NAME, ENVIRONMENTS_DIR, environment_names  # noqa: F401 (re-exported)
from gitops_kafka.config.model import EnvironmentConfig
from gitops_kafka.config.problems import Locator, _message
from gitops_kafka.config.rules import check_rules
from gitops_kafka.config.source import Document, deep_merge, plain, read_document
from gitops_kafka.errors import ConfigError, Problem

# Stand-ins for required values that were missing or broken, so the other rules can still run.
PLACEHOLDERS: dict[str, Any] = {
    "namespace": "placeholder", "repo_url": "https://placeholder.invalid/repo.git",
    "name": "placeholder-{index}", "partitions": 1, "replication_factor": 1,
    "kind": "Placeholder", "pointer": "/placeholder",
}


def load_environment(repo: Path, env: str) -> EnvironmentConfig:
    """Load, merge over the shared defaults, validate; raise ConfigError naming every problem."""
    if not DNS1123_LABEL.fullmatch(env) or env == DEFAULTS_NAME:
        raise ConfigError([Problem(f"{ENVIRONMENTS_DIR}/{env}.yaml", None, "",
                                   "environment names are DNS-1123 labels and 'defaults' is reserved")])
    if not (repo / ENVIRONMENTS_DIR).is_dir():
        raise ConfigError([Problem(str(repo / ENVIRONMENTS_DIR), None, "",
                                   "no such directory: --repo must name a GitOps repository")])
    documents = [read_document(repo / ENVIRONMENTS_DIR / f"{env}.yaml", f"{ENVIRONMENTS_DIR}/{env}.yaml", repo)]
    defaults = repo / ENVIRONMENTS_DIR / f"{DEFAULTS_NAME}.yaml"
    if defaults.is_symlink() or defaults.exists():
        documents.append(read_document(defaults, f"{ENVIRONMENTS_DIR}/{DEFAULTS_NAME}.yaml", repo))
    if "name" in documents[0].root:
        raise ConfigError([Locator(documents).problem(("name",), "the environment name is the file name; remove this key")])
    data = {"name": env}
    for document in reversed(documents):
        data = deep_merge(data, plain(document.root))
    return validate(data, Locator(documents))


def load_defaults(repo: Path) -> EnvironmentConfig:
    """The shared defaults alone, as an environment: what base/ is rendered from."""
    defaults = repo / ENVIRONMENTS_DIR / f"{DEFAULTS_NAME}.yaml"
    display = f"{ENVIRONMENTS_DIR}/{DEFAULTS_NAME}.yaml"
    document = read_document(defaults, display, repo) if defaults.is_symlink() or defaults.exists() else Document(display, {})
    locator = Locator([document])
    data = plain(document.root)
    if "namespace" in data:
        raise ConfigError([locator.problem(("namespace",), "the namespace belongs to each environment, not to the defaults")])
    data = {"name": "base", "namespace": "placeholder", **data}
    data.setdefault("gitops", {})
    if isinstance(data["gitops"], dict):
        data["gitops"] = {"repo_url": PLACEHOLDERS["repo_url"], **data["gitops"]}
    return validate(data, locator)


def validate(data: dict, locator: Locator) -> EnvironmentConfig:
    """Structure first, then cross-field rules, all problems reported together.

    A broken value is replaced by its default (or a placeholder when it is required)
    and validation repeats, so that the cross-field rules still run on everything
    that was well-formed; rules touching a reported field stay silent.
    """
    problems: list[Problem] = []
    reported: set[tuple] = set()
    for _ in range(10):
        try:
            config = EnvironmentConfig.model_validate(data)
            break
        except ValidationError as exc:
            for error in exc.errors(include_url=False):
                loc = tuple(error["loc"])
                if loc not in reported:
                    problems.append(locator.problem(loc, _message(error, loc)))
                    reported.add(loc)
                    item = next((loc[:i + 1] for i, part in enumerate(loc) if isinstance(part, int)), None)
                    if item:
                        reported.add(item)
                data = _repair(data, loc, missing=error["type"] == "missing")
    else:  # pragma: no cover - every round repairs at least one value
        raise ConfigError(problems)
    for loc, message in check_rules(config):
        if not any(loc[:len(r)] == r for r in reported):
            problems.append(locator.problem(loc, message))
    if problems:
        raise ConfigError(sorted(_unique(problems), key=lambda p: (p.file, p.line or 0)))
    return config


def _repair(data: Any, loc: tuple, missing: bool) -> Any:
    """A copy of data with the value at loc removed, or set to a placeholder if required."""
    head, rest = loc[0], loc[1:]
    if not rest:
        if missing and head in PLACEHOLDERS and isinstance(data, dict):
            index = next((p for p in loc if isinstance(p, int)), 0)
            value = PLACEHOLDERS[head]
            return {**data, head: value.format(index=id(data)) if isinstance(value, str) else value}
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if k != head}
        if isinstance(data, list) and isinstance(head, int) and head < len(data):
            return [*data[:head], {}, *data[head + 1:]] if missing else data
        return data
    if isinstance(data, dict) and head in data and isinstance(data[head], (dict, list)):
        return {**data, head: _repair(data[head], rest, missing)}
    if isinstance(data, list) and isinstance(head, int) and head < len(data):
        return [*data[:head], _repair(data[head], rest, missing), *data[head + 1:]]
    if isinstance(data, dict) and head in data:
        return {k: v for k, v in data.items() if k != head}
    if isinstance(data, dict) and missing and loc[-1] in PLACEHOLDERS:
        return {**data, head: _repair({}, rest, missing)}
    return data


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, out = set(), []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
