"""A check's verdict: what went wrong, in words a student can act on, and its result.

Runs in the checker. The rules, in order: a problem with importing the submission keeps
its status; what student code raised in the worker (a StudentError, as the worker
described it) is `not_attempted` for a stub's NotImplementedError and `error` otherwise;
a worker that died is `error`; a timeout is `timeout`; an assertion or `pytest.fail` in
the check is `failed` (the answer is wrong). The result carries the student's own frames
(never the grader's) and what their code printed, capped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.engine.sandbox import read_problems
from grader.ipynb import MAP_SUFFIX
from grader.kit.errors import (
    FAIL_EXCEPTION,
    WHERE,
    GraderFault,
    StudentError,
    WorkerGone,
    is_timeout,
)
from grader.report import CheckResult, Status
from grader.settings import Settings
from grader.text import MESSAGE_CAP, cap

SKIP_EXCEPTION = pytest.skip.Exception
OUTCOME = pytest.StashKey["Outcome"]()
CREDIT = pytest.StashKey[tuple[float, str]]()
OUTPUT = pytest.StashKey[str]()
TRACEBACK = pytest.StashKey[str]()
# Set at collection from the course: the exercise a check grades, its points and visibility.
EXERCISE = pytest.StashKey[str]()
POINTS = pytest.StashKey[float]()
VISIBILITY = pytest.StashKey[str]()


class SubmissionError(Exception):
    """A problem with the submission that already knows its status and student message."""

    def __init__(self, status: Status, message: str, traceback: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.traceback = status, message, traceback


@dataclass(frozen=True)
class Submission:
    """The folder being graded, and how to name its files to a student."""

    folder: Path

    def file(self, exercise: str) -> Path:
        return self.folder / f"{exercise}.py"

    def label(self, exercise: str) -> str:
        made = (self.folder / f".{exercise}{MAP_SUFFIX}").is_file()  # from NAME.ipynb
        return f"{self.folder.name}/{exercise}.{'ipynb' if made else 'py'}"

    def problems(self) -> dict[str, str]:
        """What the copy step could not copy (a link outside, a folder, an unreadable file)."""
        return read_problems(self.folder)


def describe_exception(exc: BaseException) -> str:
    """An exception raised in the checker, in one line (student code raises in the worker,
    which describes its own)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str
    grader_fault: bool = False  # the grader or the machine failed, not the student's code


def classify(
    submission: Submission, exc: BaseException, when: str, memory_mb: int | None = None
) -> Outcome:
    """Status and message for an exception that ended a check's setup, call or teardown."""
    if isinstance(exc, SubmissionError):
        return Outcome(exc.status, exc.message)
    if isinstance(exc, StudentError):
        return from_worker(submission, exc, memory_mb)
    if isinstance(exc, GraderFault):
        return Outcome(Status.ERROR, f"grader error, not your code: {exc}", grader_fault=True)
    if isinstance(exc, WorkerGone):
        return Outcome(Status.ERROR, str(exc))
    if is_timeout(exc):
        return Outcome(Status.TIMEOUT, timeout_message(str(exc)))
    if isinstance(exc, SKIP_EXCEPTION):
        return Outcome(Status.SKIPPED, str(exc))
    if isinstance(exc, AssertionError | FAIL_EXCEPTION):
        return Outcome(Status.FAILED, str(exc).strip() or "the check's assertion failed")
    if when != "call":
        return Outcome(Status.ERROR, f"the check could not be prepared: {describe_exception(exc)}")
    return Outcome(Status.FAILED, f"the check could not use your result: {describe_exception(exc)}")


def timeout_message(text: str) -> str:
    """pytest-timeout's 'Timeout (>3.0s) from pytest-timeout.', plus where the worker was
    (grader/engine/workers.py), in a student's words."""
    limit = re.match(r"Timeout \(>([\d.]+)s\)", text)
    seconds = f" (its limit is {float(limit[1]):g} s)" if limit else ""
    where = text.partition(WHERE)[2]
    place = f"; your code was at {where} when time ran out" if where else ""
    return (
        f"the check did not finish in time{seconds}{place}: an endless loop, or far too much work?"
    )


def from_worker(submission: Submission, exc: StudentError, memory_mb: int | None) -> Outcome:
    """What student code raised in the worker, as the worker described it."""
    place = f" ({exc.where})" if exc.where else ""
    if exc.kind == "stub":
        return Outcome(Status.NOT_ATTEMPTED, f"not attempted yet: {exc.message}")
    if exc.kind == "missing":
        return Outcome(
            Status.ERROR,
            f"{exc.where} does not define {exc.message}: restore it from the starter code",
        )
    if exc.type == "Skipped":
        return Outcome(Status.ERROR, f"your code called pytest.skip{place}: that is not allowed")
    if exc.type == "MemoryError" or "can't allocate memory" in exc.message:
        limit = f"the memory limit of {memory_mb:,} MB" if memory_mb else "the machine's memory"
        return Outcome(
            Status.ERROR,
            f"out of memory: your code asked for more than {limit} allows{place}: "
            f"{exc.message[:200]}",
        )
    if exc.where:
        return Outcome(Status.ERROR, f"{exc.message}{place}")
    return Outcome(Status.FAILED, f"the check could not use your result: {exc.message}")


def student_traceback(exc: BaseException, outcome: Outcome, grader_traceback: str) -> str:
    """What -v shows under a check: the student's own frames (file, line, code) where their
    code raised; the grader's traceback only when the grader itself failed; nothing for a
    wrong answer, whose message says what to fix."""
    if isinstance(exc, StudentError | SubmissionError):
        return exc.traceback
    return grader_traceback if outcome.grader_fault else ""


def check_id(item: pytest.Item) -> str:
    """A stable id: exercise, family (the test class) and check, e.g. tensors.slicing.column."""
    parts = [exercise_of(item)]
    cls = getattr(item, "cls", None)
    if cls is not None:
        family = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__.removeprefix("Test")).lower()
        parts.append(family)
    parts.append(item.name.removeprefix("test_"))
    return ".".join(parts)


def exercise_of(item: pytest.Item) -> str:
    """The exercise a check grades: as the course's modules say, else its module's name."""
    return item.stash.get(EXERCISE, Path(str(item.path)).stem)


def check_name(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
    name = doc[0].rstrip(".") if doc else item.name.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    return f"{name} ({callspec.id})" if callspec is not None else name


def points(item: pytest.Item) -> float:
    """The check's points: the course's, else its own marker's."""
    if POINTS in item.stash:
        return item.stash[POINTS]
    return marked_points(item)


def marked_points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{item.nodeid}: every check needs @pytest.mark.points(n)")
    return float(marker.args[0])


def build_result(item: pytest.Item, settings: Settings, duration: float) -> CheckResult:
    possible = points(item)
    outcome = item.stash.get(OUTCOME, Outcome(Status.PASSED, ""))
    score = possible if outcome.status is Status.PASSED else 0.0
    fraction, message = item.stash.get(CREDIT, (1.0, outcome.message))
    if outcome.status is Status.PASSED and fraction < 1.0:
        outcome = Outcome(Status.FAILED, message)
        score = round(possible * fraction, 4)
    details: dict[str, Any] = dict(item.user_properties)
    if outcome.grader_fault:
        details["grader_fault"] = True  # grade exits 3: the run must be repeated
    if item.stash.get(TRACEBACK, "") and outcome.status is not Status.SKIPPED:
        details["traceback"] = cap(item.stash[TRACEBACK], 4 * settings.output_cap)
    return CheckResult(
        id=check_id(item),
        name=check_name(item),
        status=outcome.status,
        score=score,
        max_score=possible,
        message=cap(outcome.message, MESSAGE_CAP),
        duration_s=round(duration, 4),
        output=cap(item.stash.get(OUTPUT, ""), settings.output_cap),
        details=details,
        visibility=item.stash.get(VISIBILITY, "visible"),
    )
