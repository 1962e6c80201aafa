"""One shallow exception tree: every error a user can cause is a GitopsKafkaError.

The CLI prints these without a traceback and maps each class to an exit code;
anything else escaping is a bug in gitops-kafka, not a user mistake.
"""
from __future__ import annotations

from collections import namedtuple


class GitopsKafkaError(Exception):
    """Base of every error reported to the user as a message, not a traceback."""

    exit_code = 2


class Problem(namedtuple("Problem", "file line field message")):
    """One finding in an input file: where it is and what is wrong (`file`, `line` or None, `field`,
    `message`). A named tuple, not a dataclass: every command imports this module, and importing
    `dataclasses` (with `inspect`) costs about 10 ms of CPU, a fifth of what `render` adds to its build."""

    __slots__ = ()

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class ConfigError(GitopsKafkaError):
    """An environment file is invalid; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        if count == 1:  # one line, as every other error
            super().__init__(str(self.problems[0]))
            return
        head = f"{count} problems in environment configuration"
        super().__init__("\n".join([head, *(f"  {p}" for p in self.problems)]))


class RenderError(GitopsKafkaError):
    """The configuration is valid but cannot be turned into manifests."""


class WriteError(GitopsKafkaError):
    """The output tree cannot be written without losing someone's work."""

    exit_code = 3


class GitError(GitopsKafkaError):
    """A git operation failed or would overwrite uncommitted work."""

    exit_code = 3


class RepositoryError(GitopsKafkaError):
    """The path given as the GitOps repository is not inside a git repository (invalid input, exit 2)."""


class RevisionError(GitopsKafkaError):
    """A revision named on the command line, or an environment at that revision, does not exist."""


class KustomizeError(GitopsKafkaError):
    """The kustomize binary is missing or failed to build an overlay."""


class SourceError(GitopsKafkaError):
    """An outside system the drift detector reads (git, kustomize, kubernetes, zookeeper) failed.

    `source` names the system, for metrics and reports; the message says what failed
    in words an operator can act on, never with credentials in it.
    """

    def __init__(self, source: str, message: str):
        self.source = source
        self.message = message
        super().__init__(f"{source}: {message}")
