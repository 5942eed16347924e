"""GitHub Classroom: the payload that `autograding-grading-reporter` reads from a step output.

The reporter reads the environment variable `<STEP_ID>_RESULTS` (the step id upper-cased),
base64-decodes it to JSON, sums `tests[].score` for the points and takes `max_score` as
the maximum; it also reads `tests.length` and `status`. A test is `pass` only at full marks.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from grader.report import Report, Status
from grader.text import cap


def whole(value: float) -> float | int:
    """Integers stay integers (workflows pass them on as such); fractions stay exact floats."""
    return int(value) if float(value).is_integer() else value


def test_entry(
    check_id: str,
    name: str,
    score: float,
    max_score: float,
    status: Status,
    message: str,
    duration_s: float,
) -> dict[str, Any]:
    exercise = check_id.split(".", 1)[0]
    full = status is Status.PASSED and score >= max_score
    return {
        "name": f"{check_id}: {name}",
        "status": "pass" if full else "fail",
        "score": whole(score),
        "message": message,
        "test_code": f"grade --only {exercise} --check {check_id}",
        "filename": f"exercises/{exercise}.py",
        "line_no": 0,
        "duration": round(duration_s * 1000),
    }


# One result travels as one environment variable of the reporter's process; Linux takes at
# most 128 KiB per variable, so the base64 text stays well below that.
PAYLOAD_LIMIT = 60_000
MESSAGE_CAPS = (1000, 300, 80, 0)


def payload(report: Report, message_cap: int = MESSAGE_CAPS[0]) -> dict[str, Any]:
    tests = [
        test_entry(
            c.id,
            c.name,
            c.score,
            c.max_score,
            c.status,
            cap(c.message, message_cap),
            c.duration_s,
        )
        for c in report.checks()
        if c.status is not Status.SKIPPED
    ]
    problems = any(e.problem for e in report.exercises)
    status = (
        "error" if problems else "pass" if all(t["status"] == "pass" for t in tests) else "fail"
    )
    maximum = report.max_score or 1
    return {"version": 1, "status": status, "max_score": whole(maximum), "tests": tests}


def render(report: Report) -> str:
    """base64 of the JSON payload, one line, as the step output `result` must hold it;
    messages are cut shorter until it fits PAYLOAD_LIMIT."""
    for limit in MESSAGE_CAPS:
        text = json.dumps(payload(report, limit), separators=(",", ":"))
        encoded = base64.b64encode(text.encode("utf-8")).decode("ascii")
        if len(encoded) <= PAYLOAD_LIMIT:
            break
    return encoded + "\n"
