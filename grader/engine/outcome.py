"""Turn a failed pytest phase into a status and a message a student can act on.

Runs in the checker. The rules, in order: a problem with importing the submission keeps
its status; what student code raised in the worker (a StudentError, as the worker
described it) is `not_attempted` for a stub's NotImplementedError and `error` otherwise;
a worker that died is `error`; a timeout is `timeout`; an assertion or `pytest.fail` in
the check is `failed` (the answer is wrong).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from grader.engine.remote import GraderFault, StudentError, WorkerGone
from grader.engine.report import Status
from grader.engine.submission import (
    FAIL_EXCEPTION,
    Submission,
    SubmissionError,
    describe_exception,
    is_timeout,
)

SKIP_EXCEPTION = pytest.skip.Exception
ANSI = re.compile(r"\x1b\[[0-9;]*m")


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
        return Outcome(Status.TIMEOUT, f"the check did not finish in time ({exc})")
    if isinstance(exc, SKIP_EXCEPTION):
        return Outcome(Status.SKIPPED, str(exc))
    if isinstance(exc, AssertionError | FAIL_EXCEPTION):
        return Outcome(Status.FAILED, str(exc).strip() or "the check's assertion failed")
    if when != "call":
        return Outcome(Status.ERROR, f"the check could not be prepared: {describe_exception(exc)}")
    return Outcome(Status.FAILED, f"the check could not use your result: {describe_exception(exc)}")


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


def cap_output(text: str, limit: int) -> str:
    """Keep the first and last halves of `limit` characters and say how much was cut."""
    text = ANSI.sub("", text)
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut:,} characters cut ...]\n{text[-half:]}"
