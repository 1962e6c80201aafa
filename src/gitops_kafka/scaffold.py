"""init: the files a new GitOps repository starts from, and their careful first write.

`files` is pure (choices in, {path: text} out) and reads the templates shipped in the
package; `write` creates them without ever replacing anything that exists.
"""
from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

from gitops_kafka import __version__
from gitops_kafka.config import DNS1123_LABEL, DEFAULTS_NAME, ENVIRONMENTS_DIR
from gitops_kafka.errors import GitopsKafkaError, WriteError

EXAMPLE_REPO_URL = "https://github.com/example-org/kafka-gitops.git"
TOOL_NAMES = {"argocd": "Argo CD", "flux": "Flux"}
GIT_URL = re.compile(r"^(https?|ssh)://\S+$|^git@\S+:\S+$")
WORKFLOW = ".github/workflows/gitops-kafka-review.yaml"


def template(name: str) -> str:
    return resources.files("gitops_kafka").joinpath("templates", name).read_text(encoding="utf-8")


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def files(tool: str, envs: list[str], repo_url: str, version: str = __version__) -> dict[str, str]:
    """Every file init writes, by repository-relative path."""
    problems = [f"--env {env}: environment names are DNS-1123 labels (a-z, 0-9, -) and 'defaults' is reserved"
                for env in envs if not DNS1123_LABEL.match(env) or env == DEFAULTS_NAME]
    if tool not in TOOL_NAMES:
        problems.append(f"--tool {tool}: expected argocd or flux")
    if not GIT_URL.match(repo_url):
        problems.append(f"--repo-url {repo_url}: expected a git URL (https://, ssh:// or git@host:path)")
    if problems:
        raise GitopsKafkaError("; ".join(problems))
    values = {"VERSION": version, "TOOL": tool, "TOOL_NAME": TOOL_NAMES[tool], "REPO_URL": repo_url}
    out = {f"{ENVIRONMENTS_DIR}/{DEFAULTS_NAME}.yaml": _fill(template("defaults.yaml"), values)}
    for env in envs:
        out[f"{ENVIRONMENTS_DIR}/{env}.yaml"] = _fill(template("environment.yaml"),
                                                       {**values, "ENV": env, "NAMESPACE": f"kafka-{env}"})
    out[WORKFLOW] = _fill(template("github-workflow.yaml"), values)
    out["docs/runbooks.md"] = template("runbooks.md")
    out[".gitignore"] = template("gitignore")
    out["README.md"] = _fill(template("README.md"), values)
    return out


def write(root: Path, planned: dict[str, str]) -> list[str]:
    """Create every file, or none if any exists already: init never overwrites anything.

    Each file is written under a temporary name and linked into place; link() fails
    rather than replace a file that appeared in the meantime.
    """
    existing = [path for path in planned if os.path.lexists(root / path)]
    if existing:
        raise WriteError("refusing to overwrite what exists: " + ", ".join(existing)
                         + " (init starts a repository; edit the existing files instead)")
    written = []
    for path, text in planned.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.gitops-kafka-init")
        temporary.write_text(text, encoding="utf-8")
        try:
            os.link(temporary, target)
        except FileExistsError:
            raise WriteError(f"refusing to overwrite {path}: it appeared while init ran; "
                             f"written so far: {', '.join(written) or 'nothing'}") from None
        finally:
            temporary.unlink()
        written.append(path)
    return written


def repository_root(path: Path) -> Path:
    """The top of the git work tree holding path; init writes nowhere else."""
    from gitops_kafka.gitrepo import GitRepo

    return GitRepo(path).root


def origin_url(root: Path) -> str | None:
    """The repository's origin remote, the natural default for gitops.repo_url."""
    from gitops_kafka.gitrepo import GitRepo

    return GitRepo(root).remote_url("origin")
