"""grades.csv and checks.csv, written from the gradebook (never from memory of this run).

grades.csv has one row per student (points per exercise, raw total, lateness, final
score), for the instructor's own spreadsheet; an LMS import is grader.cohort.lms's job.
checks.csv has one row per student and check, for the instructor's own analysis.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from sqlite3 import Row

from grader.cohort.gradebook import Gradebook
from grader.cohort.lms import points, text
from grader.report import write_atomic


def exercise_scores(report_json: str) -> dict[str, tuple[float, float]]:
    report = json.loads(report_json)
    return {e["name"]: (e["score"], e["max_score"]) for e in report.get("exercises", [])}


GRADES_HEADER = ("total", "max_total", "percent", "late_days", "penalty_percent", "final")


def grades_csv(book: Gradebook) -> str:
    """One row per student: points per exercise, the raw total, lateness and the final
    score. An entry that could not be graded has blank points (a 0 would read as a grade)
    and its problem."""
    rows = book.submissions()
    scores = {row["student"]: exercise_scores(row["report"]) for row in rows}
    exercises = sorted({name for s in scores.values() for name in s}, key=exercise_order)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", *exercises, *GRADES_HEADER, "submitted_at", "graded_at", "problem"])
    for row in rows:
        writer.writerow(
            [
                text(row["student"]),
                *numbers(row, scores[row["student"]], exercises),
                row["submitted_at"],
                row["graded_at"],
                text(row["problem"]),
            ]
        )
    return out.getvalue()


def numbers(row: Row, mine: dict[str, tuple[float, float]], exercises: list[str]) -> list[str]:
    if row["report"] == "{}":
        return [""] * (len(exercises) + len(GRADES_HEADER))
    total, maximum = row["score"], row["max_score"]
    return [
        *(points(mine[name][0]) if name in mine else "" for name in exercises),
        points(total),
        points(maximum),
        points(round(100 * total / maximum, 2) if maximum else 0.0),
        str(row["late_days"]),
        points(round(100 * row["penalty"], 2)),
        points(row["final_score"]),
    ]


def checks_csv(book: Gradebook) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "check_id", "exercise", "status", "score", "max_score", "message"])
    for row in book.checks():
        writer.writerow(
            [
                text(row["student"]),
                row["check_id"],
                row["exercise"],
                row["status"],
                points(row["score"]),
                points(row["max_score"]),
                text(row["message"]),
            ]
        )
    return out.getvalue()


def exercise_order(name: str) -> tuple[int, str]:
    from grader.exercises import names

    known = names()
    return (known.index(name) if name in known else len(known), name)


def write_exports(book: Gradebook, folder: Path) -> list[Path]:
    written = []
    for name, content in (("grades.csv", grades_csv(book)), ("checks.csv", checks_csv(book))):
        write_atomic(folder / name, content)
        written.append(folder / name)
    return written
