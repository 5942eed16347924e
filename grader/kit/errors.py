"""What a check can meet besides a right or wrong answer: the exceptions that cross from
the worker (student code raised, a name is missing, the worker died, the grader failed),
and pytest's failure and timeout as the checker bound them before any student code ran."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

# Bound now, before student code runs: a submission may replace pytest.fail later.
FAIL_EXCEPTION = pytest.fail.Exception
TIMEOUT_PREFIX = "Timeout (>"
WHERE = "; your code was at "  # what a timeout adds: where the worker's stack was


class StudentError(Exception):
    """Student code raised in the worker; `failure` says what, as the worker described it:
    its kind, type, message, where (file, line, function) and the student's own frames."""

    def __init__(self, failure: Mapping[str, str]) -> None:
        self.kind = failure.get("kind", "raised")
        self.type = failure.get("type", "Exception")
        self.message = failure.get("message", "")
        self.where = failure.get("where", "")
        self.traceback = failure.get("traceback", "")
        super().__init__(self.message)


class MissingName(StudentError, AttributeError):
    """The student's module does not define a name a check asked for."""


class WorkerGone(Exception):
    """The worker process ended (student code exited, crashed or was killed)."""


class GraderFault(Exception):
    """The worker failed before any student code ran in it: the grader's or the machine's
    fault (a lost folder, torch failing to import, no memory to start), never the student's."""


def is_timeout(exc: BaseException) -> bool:
    """Whether pytest-timeout ended the check (it fails the check with this prefix)."""
    return isinstance(exc, FAIL_EXCEPTION) and str(exc).startswith(TIMEOUT_PREFIX)
