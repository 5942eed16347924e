"""Gradescope: results.json as its autograder specification describes it.

Top level: score, execution_time, output, output_format, visibility, stdout_visibility, tests;
each test: name, number, score, max_score, status ("passed" or "failed"), output,
output_format, visibility. Outputs are plain text ("text"), never rendered as HTML.
"""

from __future__ import annotations

import json
from typing import Any

from grader.report import CheckResult, Report, Status


def test_entry(check: CheckResult) -> dict[str, Any]:
    full = check.status is Status.PASSED and check.score >= check.max_score
    output = (
        check.message
        if check.status is Status.PASSED
        else (f"{check.status.value.replace('_', ' ')}: {check.message}")
    )
    return {
        "name": check.name,
        "number": check.id,
        "score": check.score,
        "max_score": 0 if check.status is Status.SKIPPED else check.max_score,
        "status": "passed" if full else "failed",
        "output": output,
        "output_format": "text",
        "visibility": check.visibility,  # the course's: hidden checks stay hidden
    }


def render(report: Report) -> str:
    env = report.environment
    summary = (
        f"{report.score:g} / {report.max_score:g} points ({report.percent:.1f} %), "
        f"graded on {env.device} with torch {env.torch_version}, seed {env.seed}"
    )
    problems = [f"{e.name}: {e.problem}" for e in report.exercises if e.problem]
    results = {
        "score": report.score,
        "execution_time": round(report.duration_s),
        "output": "\n".join([summary, *problems]),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "tests": [test_entry(c) for c in report.checks()],
    }
    return json.dumps(results, indent=2) + "\n"
