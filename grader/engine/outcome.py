"""Turn a failed pytest phase into a status and a message a student can act on.

Runs in the child process. The rules, in order: a problem the submission loader
already classified keeps its status; a timeout is `timeout`; a stub's
NotImplementedError is `not_attempted`; anything raised from the student's files is
`error`; an assertion or `pytest.fail` in the check is `failed` (the answer is wrong).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from grader.engine.remote import StudentError, WorkerGone
from grader.engine.report import Status
from grader.engine.submission import (
    FAIL_EXCEPTION,
    STUB_MESSAGE,
    Submission,
    SubmissionError,
    describe_exception,
    is_timeout,
    student_frames,
    where,
)

SKIP_EXCEPTION = pytest.skip.Exception
ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass(frozen=True)
class Outcome:
    status: Status
    message: str


def out_of_memory(exc: BaseException) -> bool:
    text = str(exc)
    return (
        isinstance(exc, MemoryError)
        or "can't allocate memory" in text
        or ("DefaultCPUAllocator" in text)
    )


def classify(
    submission: Submission, exc: BaseException, when: str, memory_mb: int | None = None
) -> Outcome:
    """Status and message for an exception that ended a check's setup, call or teardown."""
    if out_of_memory(exc) and student_frames(submission, exc.__traceback__):
        limit = f"the memory limit of {memory_mb:,} MB" if memory_mb else "the machine's memory"
        place = where(submission, exc.__traceback__)
        return Outcome(
            Status.ERROR,
            f"out of memory: your code asked for more than {limit} "
            f"allows ({place}): {describe_exception(exc)[:200]}",
        )
    if isinstance(exc, SubmissionError):
        return Outcome(exc.status, exc.message)
    if isinstance(exc, StudentError):
        return from_worker(submission, exc, memory_mb)
    if isinstance(exc, WorkerGone):
        return Outcome(Status.ERROR, str(exc))
    if is_timeout(exc):
        return Outcome(Status.TIMEOUT, f"the check did not finish in time ({exc})")
    missing = missing_name(submission, exc)
    if missing:
        return Outcome(Status.ERROR, missing)
    tb = exc.__traceback__
    from_student = bool(student_frames(submission, tb))
    if from_student:
        return classify_student(submission, exc)
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


def missing_name(submission: Submission, exc: BaseException) -> str:
    """'exercises/tensors.py does not define make_full' for a name the check looked up."""
    if not isinstance(exc, AttributeError) or not isinstance(exc.obj, ModuleType):
        return ""
    file = getattr(exc.obj, "__file__", None) or ""
    if not submission.owns(file):
        return ""
    label = f"{submission.folder.name}/{Path(file).name}"
    return f"{label} does not define {exc.name}: restore it from the starter code"


def classify_student(submission: Submission, exc: BaseException) -> Outcome:
    """An exception whose traceback passes through the submission's files."""
    place = where(submission, exc.__traceback__)
    innermost_is_student = submission.owns(_innermost_file(exc))
    if isinstance(exc, NotImplementedError) and innermost_is_student:
        text = str(exc)
        if not text or STUB_MESSAGE.match(text):
            return Outcome(Status.NOT_ATTEMPTED, f"not attempted yet: {text or place}")
    if isinstance(exc, SKIP_EXCEPTION):
        return Outcome(Status.ERROR, f"your code called pytest.skip ({place}): that is not allowed")
    return Outcome(Status.ERROR, f"{describe_exception(exc)} ({place})")


def _innermost_file(exc: BaseException) -> str:
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def cap_output(text: str, limit: int) -> str:
    """Keep the first and last halves of `limit` characters and say how much was cut."""
    text = ANSI.sub("", text)
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut:,} characters cut ...]\n{text[-half:]}"
