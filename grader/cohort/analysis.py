"""What the class report says, as data: the roster, failures grouped by cause, statistics
over graded submissions only, and what each model reached in training.

A cause is what a student must fix: an exercise that did not import is one cause for that
student and exercise (not one per check it broke); otherwise each check that lost points
is one, and messages that differ only in their numbers are the same cause.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from sqlite3 import Row
from typing import Any

MNIST_TRAIN = 60_000  # the training images an epoch goes through


@dataclass(frozen=True)
class Cause:
    where: str  # an exercise (it did not import) or a check id
    message: str  # one example
    students: int


@dataclass(frozen=True)
class Stats:
    graded: int
    ungradable: int
    mean: float
    median: float
    low: float
    high: float
    maximum: float


@dataclass(frozen=True)
class Trained:
    """One model's training in one submission."""

    student: str
    check: str
    accuracy: float
    epochs: float
    reached: bool


def reports(rows: Sequence[Row]) -> Iterator[tuple[Row, dict[str, Any]]]:
    """The graded submissions with their reports (an ungradable one has none)."""
    for row in rows:
        report = json.loads(row["report"])
        if report:
            yield row, report


def stats(rows: Sequence[Row]) -> Stats:
    """Final scores over graded submissions only: an unreadable entry is not a 0."""
    finals = [float(row["final_score"]) for row, _ in reports(rows)]
    maximum = max((float(row["max_score"]) for row, _ in reports(rows)), default=0.0)
    if not finals:
        return Stats(0, len(rows), 0.0, 0.0, 0.0, 0.0, maximum)
    return Stats(
        len(finals),
        len(rows) - len(finals),
        statistics.fmean(finals),
        statistics.median(finals),
        min(finals),
        max(finals),
        maximum,
    )


def pattern(message: str) -> str:
    """Messages that differ only in their numbers are the same mistake."""
    first = message.strip().splitlines()[0] if message.strip() else "(no message)"
    return re.sub(r"\d[\d,.]*", "#", first)[:200]


def causes(rows: Sequence[Row]) -> list[Cause]:
    """Every cause with the number of students it hit, the most frequent first."""
    counts: Counter[tuple[str, str]] = Counter()
    example: dict[tuple[str, str], str] = {}
    for _, report in reports(rows):
        mine = set()
        for exercise in report.get("exercises", []):
            for where, message in exercise_causes(exercise):
                key = (where, pattern(message))
                mine.add(key)
                example.setdefault(key, message.strip()[:300])
        counts.update(mine)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [Cause(where, example[(where, key)], count) for (where, key), count in ranked]


def exercise_causes(exercise: dict[str, Any]) -> Iterator[tuple[str, str]]:
    if exercise.get("problem"):
        yield exercise["name"], exercise["problem"]
        return
    for check in exercise.get("checks", []):
        lost = check["score"] < check["max_score"]
        if lost and check["status"] != "not_attempted" and check.get("visibility") != "hidden":
            yield check["id"], check.get("message", "")


def trained(rows: Sequence[Row]) -> list[Trained]:
    """What each trained-accuracy check measured: the accuracy reached and the epochs it
    took (training stops at the threshold, so epochs tell models apart, not accuracy)."""
    found = []
    for row, report in reports(rows):
        for exercise in report.get("exercises", []):
            for check in exercise.get("checks", []):
                record = (check.get("details") or {}).get("training")
                if isinstance(record, dict) and "accuracy" in record:
                    found.append(training(row["student"], check["id"], record))
    return found


def training(student: str, check: str, record: dict[str, Any]) -> Trained:
    samples = float(record.get("samples", 0))
    return Trained(
        student,
        check,
        float(record["accuracy"]),
        samples / MNIST_TRAIN,
        bool(record.get("reached")),
    )


def exercise_points(report: dict[str, Any]) -> dict[str, tuple[float, float]]:
    return {e["name"]: (e["score"], e["max_score"]) for e in report.get("exercises", [])}


def roster(rows: Sequence[Row]) -> tuple[list[str], list[list[object]]]:
    """The roster table: per student the points per exercise, the test accuracy each model
    reached (and in how many epochs), raw total, late days, final score and what went
    wrong; and the names of the middle columns (exercises in the order graded, models)."""
    names: dict[str, None] = {}
    for _, report in reports(rows):
        names.update(dict.fromkeys(exercise_points(report)))
    models = {(m.student, m.check): m for m in trained(rows)}
    checks = list(dict.fromkeys(check for _, check in models))
    table = []
    for row in rows:
        report = json.loads(row["report"])
        mine = exercise_points(report)
        cells: list[object] = [row["student"]]
        cells += [f"{mine[n][0]:g}/{mine[n][1]:g}" if n in mine else "" for n in names]
        cells += [reached(models.get((row["student"], check))) for check in checks]
        graded = bool(report)
        cells += [
            f"{row['score']:g}/{row['max_score']:g}" if graded else "",
            row["late_days"] or "",
            f"{row['final_score']:g}" if graded else "",
            row["problem"] or problems(report),
        ]
        table.append(cells)
    return [*names, *(f"{check.split('.')[-1]} accuracy" for check in checks)], table


def reached(model: Trained | None) -> str:
    if model is None:
        return ""
    return f"{100 * model.accuracy:.2f} % ({model.epochs:.2g} epochs)"


def problems(report: dict[str, Any]) -> str:
    """The exercises that did not import, and checks that errored or timed out, briefly."""
    said = [f"{e['name']}: {e['problem']}" for e in report.get("exercises", []) if e.get("problem")]
    counts: defaultdict[str, int] = defaultdict(int)
    for exercise in report.get("exercises", []):
        if not exercise.get("problem"):
            for check in exercise.get("checks", []):
                if check["status"] in ("error", "timeout"):
                    counts[check["status"]] += 1
    said += [f"{n} check{'s' * (n > 1)}: {status}" for status, n in sorted(counts.items())]
    return "; ".join(said)[:300]
