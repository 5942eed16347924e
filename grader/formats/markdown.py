"""A Markdown summary for $GITHUB_STEP_SUMMARY and pull-request comments."""

from __future__ import annotations

import html
import re

from grader.report import Report, Status

PUNCTUATION = re.compile(r"([\\`*_\[\]~|])")

ICONS = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.ERROR: "💥",
    Status.NOT_ATTEMPTED: "📝",
    Status.TIMEOUT: "⏱️",
    Status.SKIPPED: "⏭️",
}


def cell(text: str) -> str:
    """Text safe inside a table cell: one line, HTML escaped, and Markdown's punctuation
    (links and images need [], emphasis, code, pipes) shown as typed rather than interpreted."""
    return PUNCTUATION.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))


def render(report: Report) -> str:
    lines = [
        f"## Grade: {report.score:g} / {report.max_score:g} points ({report.percent:.1f} %)",
        "",
        "| exercise | points | passed | checks |",
        "| --- | ---: | ---: | ---: |",
    ]
    for exercise in report.exercises:
        passed = sum(c.status is Status.PASSED for c in exercise.checks)
        lines.append(
            f"| {exercise.name} | {exercise.score:g} / {exercise.max_score:g} | "
            f"{passed} | {len(exercise.checks)} |"
        )
    lost = [c for c in report.checks() if c.score < c.max_score and c.status is not Status.SKIPPED]
    if lost:
        lines += ["", "| | check | points | what to fix |", "| --- | --- | ---: | --- |"]
        lines += [
            f"| {ICONS[c.status]} | `{c.id}` | {c.score:g} / {c.max_score:g} | {cell(c.message)} |"
            for c in lost
        ]
    return "\n".join(lines) + "\n"
