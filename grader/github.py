"""Inside GitHub Actions: the step summary and the `result` step output for Classroom.

Both files are appended to, never replaced: other steps of the same job write there too.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from grader.formats import classroom, markdown
from grader.report import Report


def publish(report: Report, env: Mapping[str, str], classroom_output: bool) -> list[Path]:
    """Append to $GITHUB_STEP_SUMMARY and, when asked, $GITHUB_OUTPUT; return what was written."""
    if env.get("GITHUB_ACTIONS") != "true":
        return []
    written = []
    summary = env.get("GITHUB_STEP_SUMMARY")
    if summary:
        with Path(summary).open("a", encoding="utf-8") as handle:
            handle.write(markdown.render(report))
        written.append(Path(summary))
    output = env.get("GITHUB_OUTPUT")
    if classroom_output and output:
        with Path(output).open("a", encoding="utf-8") as handle:
            handle.write(f"result={classroom.render(report).strip()}\n")
        written.append(Path(output))
    return written
