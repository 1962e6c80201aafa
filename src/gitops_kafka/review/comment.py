"""The pull-request comment: validation of the head, then the rendered diff against the base.

This is what the GitHub Actions workflow in docs/ runs; the workflow only posts the
file. The comment starts with a marker so the workflow can update its previous
comment instead of adding one per push, and it stays under GitHub's size limit by
dropping the per-object sections (the summary and warnings always stay).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_kafka.review import report
from gitops_kafka.review.diff import diff_revisions
from gitops_kafka.review.policy import validate_environments

GITHUB_COMMENT_LIMIT = 65536


@dataclass
class Comment:
    body: str
    findings: int
    changed: bool


def review_comment(repo_path: Path, base: str, head: str | None = None, limit: int = GITHUB_COMMENT_LIMIT) -> Comment:
    results = validate_environments(repo_path, None, head)
    diffs = diff_revisions(repo_path, base, head, None)
    validation = report.findings_markdown(results)
    body = "\n".join([report.MARKER, validation, report.markdown(diffs)])
    if len(body) > limit:
        note = (f"\n_Per-object sections omitted: the full comment would be {len(body)} characters, over "
                f"GitHub's limit. Run `gitops-kafka diff --base {base} --all` to read them._\n")
        body = "\n".join([report.MARKER, validation, report.markdown(diffs, details=False) + note])
    return Comment(body, sum(len(f) for f in results.values()), any(d.changed for d in diffs))
