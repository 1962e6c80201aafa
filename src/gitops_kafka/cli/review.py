"""render, diff, validate and review-comment: the rendered manifests of revisions, for pull requests."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gitops_kafka.cli.options import add_env, add_envs, add_format, add_repo, output_file, selected_envs
from gitops_kafka.errors import GitopsKafkaError


def register(commands: argparse._SubParsersAction) -> None:
    render = commands.add_parser(
        "render", help="print an environment's manifests as kustomize builds them at a revision",
        description="Print `kubectl kustomize overlays/<env>` as it builds at a git revision (default: the working tree).")
    add_env(render)
    render.add_argument("--ref", metavar="REV", help="branch, tag or commit (default: the working tree)")
    add_repo(render)
    render.set_defaults(handler=run_render)

    diff = commands.add_parser(
        "diff", help="the change in the rendered manifests between two revisions, with risk warnings",
        description="Build overlays/<env> at two revisions and show what changes, object by object, with warnings "
                    "for changes the cluster will refuse or that risk data. Exit 0 no change, 1 change, 2 error.")
    add_envs(diff)
    diff.add_argument("--base", required=True, metavar="REV", help="the revision merged into (e.g. origin/main)")
    diff.add_argument("--head", metavar="REV", help="the proposed revision (default: the working tree)")
    add_format(diff, "markdown", "json")
    diff.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="colour the text format (auto: when writing to a terminal and NO_COLOR is unset)")
    add_repo(diff)
    diff.set_defaults(handler=run_diff, error_exit_code=2)

    validate = commands.add_parser(
        "validate", help="strict schema validation and policy checks of the rendered manifests",
        description="Build overlays/<env> and validate every object against the Kubernetes schema of the "
                    "environment's kubernetes_version (strict), then against the policy rules. Exit 1 on findings.")
    add_envs(validate)
    validate.add_argument("--ref", metavar="REV", help="validate a revision instead of the working tree")
    add_format(validate, "markdown")
    add_repo(validate)
    validate.set_defaults(handler=run_validate)

    comment = commands.add_parser(
        "review-comment", help="the pull-request comment: validate, then diff --all against the base (Markdown)",
        description="Write the Markdown comment the pull-request workflow posts: validation findings of the head, "
                    "then the rendered diff of every environment against the base. Exit 1 on validation findings.")
    comment.add_argument("--base", required=True, metavar="REV")
    comment.add_argument("--head", metavar="REV", help="default: the working tree")
    comment.add_argument("--output", type=output_file, metavar="FILE", help="write the comment here (default: stdout)")
    add_repo(comment)
    comment.set_defaults(handler=run_review_comment)


def run_render(args: argparse.Namespace) -> int:
    from gitops_kafka.review.snapshot import render

    sys.stdout.write(render(args.repo, args.env, args.ref))
    return 0


def run_diff(args: argparse.Namespace) -> int:
    import os

    from gitops_kafka.review import report
    from gitops_kafka.review.diff import diff_revisions

    diffs = diff_revisions(args.repo, args.base, args.head, selected_envs(args))
    if args.format == "json":
        sys.stdout.write(report.to_json(diffs))
    elif args.format == "markdown":
        sys.stdout.write(report.markdown(diffs))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty() and "NO_COLOR" not in os.environ)
        sys.stdout.write(report.text(diffs, color=color))
    return 1 if any(d.changed for d in diffs) else 0


def run_validate(args: argparse.Namespace) -> int:
    from gitops_kafka.review import report
    from gitops_kafka.review.policy import validate_environments

    results = validate_environments(args.repo, selected_envs(args), args.ref)
    sys.stdout.write(report.findings_markdown(results) if args.format == "markdown" else report.findings_text(results))
    return 1 if any(results.values()) else 0


def run_review_comment(args: argparse.Namespace) -> int:
    from gitops_kafka.review.comment import review_comment

    comment = review_comment(args.repo, args.base, args.head)
    if args.output:
        write_atomically(args.output, comment.body)
    else:
        sys.stdout.write(comment.body)
    return 1 if comment.findings else 0


def write_atomically(path: Path, text: str) -> None:
    """The whole file or nothing (tree.replace_file), or one line naming --output."""
    from gitops_kafka.tree import replace_file

    try:
        replace_file(path, text)
    except OSError as exc:
        raise GitopsKafkaError(f"--output {str(path)!r}: cannot write: {exc.strerror or exc}") from None
