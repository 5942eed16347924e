"""Gradescope: results.json as its autograder specification describes it.

Top level: score, execution_time, output, output_format, visibility, stdout_visibility,
extra_data, tests;
each test: name, number, score, max_score, status ("passed" or "failed"), output,
output_format, visibility. Outputs are plain text ("text"), never rendered as HTML.
"""

from __future__ import annotations

import json
from typing import Any

from grader.report import CheckResult, Report, Status, exact_sum


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
    """What Gradescope shows: points of the visible checks only when some are hidden (their
    points show once grades are published), never the seed (a student's own, with a course
    secret); the seed, device and torch version go to staff in `extra_data`."""
    env = report.environment
    shown = [c for c in report.checks() if c.visibility == "visible"]
    if len(shown) < len(list(report.checks())):
        score = exact_sum(c.score for c in shown)
        top = exact_sum(c.max_score for c in shown if c.status is not Status.SKIPPED)
        summary = f"{score:g} / {top:g} points in the checks shown here; more are graded later"
    else:
        summary = f"{report.score:g} / {report.max_score:g} points ({report.percent:.1f} %)"
    problems = [f"{e.name}: {e.problem}" for e in report.exercises if e.problem]
    results = {
        "score": report.score,
        "execution_time": round(report.duration_s),
        "output": "\n".join([f"{summary}, graded on {env.device}", *problems]),
        "output_format": "text",
        "visibility": "visible",
        "stdout_visibility": "hidden",
        "extra_data": {"seed": env.seed, "torch": env.torch_version, "device": env.device},
        "tests": [test_entry(c) for c in report.checks()],
    }
    return json.dumps(results, indent=2) + "\n"
