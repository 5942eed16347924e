"""The score report: frozen dataclasses, exact point sums, JSON in and out.

This module depends on nothing else in the grader, so writers, the runner and the
plugin can all share it without import circles.
"""

from __future__ import annotations

import enum
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

SCHEMA_VERSION = "1"
SCHEMA_PATH = Path(__file__).with_name("report.schema.json")


class Status(str, enum.Enum):
    """What happened to one check; the order is the order students should read them in."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    NOT_ATTEMPTED = "not_attempted"
    TIMEOUT = "timeout"
    SKIPPED = "skipped"


def exact_sum(values: Iterable[float]) -> float:
    """Sum points without float drift: 0.1 + 0.2 is 0.3 here."""
    return float(sum((Fraction(str(v)) for v in values), Fraction(0)))


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome, as the student sees it."""

    id: str
    name: str
    status: Status
    score: float
    max_score: float
    message: str = ""
    duration_s: float = 0.0
    output: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)
    visibility: str = "visible"  # the course's: visible, hidden, after_due_date


@dataclass(frozen=True)
class ExerciseResult:
    """All checks of one exercise, with why the exercise could not run if it could not."""

    name: str
    checks: tuple[CheckResult, ...]
    duration_s: float = 0.0
    problem: str = ""
    notes: tuple[str, ...] = ()  # what the grader did with the file, e.g. a notebook's cells

    @property
    def score(self) -> float:
        return exact_sum(c.score for c in self.checks)

    @property
    def max_score(self) -> float:
        """Skipped checks count neither for nor against; no shipped check skips itself."""
        return exact_sum(c.max_score for c in self.checks if c.status is not Status.SKIPPED)


@dataclass(frozen=True)
class Environment:
    """Where the checks ran: needed to reproduce or defend a score."""

    device: str
    torch_version: str
    python_version: str
    seed: int
    threads: int
    platform: str
    isolation: str = ""  # how student code was boxed: namespaces+user, user, namespaces, process


@dataclass(frozen=True)
class Report:
    """A whole grading run."""

    grader_version: str
    submission: str
    started_at: str
    duration_s: float
    environment: Environment
    exercises: tuple[ExerciseResult, ...]
    schema_version: str = SCHEMA_VERSION
    # The course file graded with (grader.course.Course.record): source, hash, what it set.
    course: Mapping[str, Any] = field(default_factory=dict)

    @property
    def score(self) -> float:
        return exact_sum(e.score for e in self.exercises)

    @property
    def max_score(self) -> float:
        return exact_sum(e.max_score for e in self.exercises)

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0

    def checks(self) -> Iterable[CheckResult]:
        for exercise in self.exercises:
            yield from exercise.checks


def to_dict(report: Report) -> dict[str, Any]:
    """The JSON form: every stored field plus the derived totals."""
    data = asdict(report)
    data["score"] = report.score
    data["max_score"] = report.max_score
    for exercise_data, exercise in zip(data["exercises"], report.exercises, strict=True):
        exercise_data["score"] = exercise.score
        exercise_data["max_score"] = exercise.max_score
        for check in exercise_data["checks"]:
            check["status"] = Status(check["status"]).value
    return data


def check_from_dict(data: Mapping[str, Any]) -> CheckResult:
    fields = {k: v for k, v in data.items() if k in CheckResult.__dataclass_fields__}
    return CheckResult(**{**fields, "status": Status(data["status"])})


def from_dict(data: Mapping[str, Any]) -> Report:
    """Read a report back (for the writers and for tests); derived totals are recomputed."""
    exercises = tuple(
        ExerciseResult(
            name=e["name"],
            checks=tuple(check_from_dict(c) for c in e["checks"]),
            duration_s=e["duration_s"],
            problem=e.get("problem", ""),
            notes=tuple(e.get("notes", ())),
        )
        for e in data["exercises"]
    )
    return Report(
        grader_version=data["grader_version"],
        submission=data["submission"],
        started_at=data["started_at"],
        duration_s=data["duration_s"],
        environment=Environment(**data["environment"]),
        exercises=exercises,
        schema_version=data["schema_version"],
        course=data.get("course", {}),
    )


def dumps(report: Report) -> str:
    return json.dumps(to_dict(report), indent=2, sort_keys=False) + "\n"


def load(path: Path) -> Report:
    return from_dict(json.loads(path.read_text(encoding="utf-8")))


def write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # as any new file: mkstemp's 0600 would hide it from others
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
