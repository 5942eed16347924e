"""The submission as the checker knows it, and the fixture that hands checks its module.

The checker never imports the student's files: the exercise fixture yields a Remote of
the module the worker imported (grader/plugin.py `load_exercise`). A failure to import
is cached so that every check of the exercise reports the same reason quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.engine.report import Status
from grader.engine.sandbox import read_problems

# Bound now, before student code runs: a submission may replace pytest.fail later.
FAIL_EXCEPTION = pytest.fail.Exception
TIMEOUT_PREFIX = "Timeout (>"


class SubmissionError(Exception):
    """A problem with the submission that already knows its status and student message."""

    def __init__(self, status: Status, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Submission:
    """The folder being graded, and how to name its files to a student."""

    folder: Path

    def file(self, exercise: str) -> Path:
        return self.folder / f"{exercise}.py"

    def label(self, exercise: str) -> str:
        return f"{self.folder.name}/{exercise}.py"

    def problems(self) -> dict[str, str]:
        """What the copy step could not copy (a link outside, a folder, an unreadable file)."""
        return read_problems(self.folder)


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, FAIL_EXCEPTION) and str(exc).startswith(TIMEOUT_PREFIX)


def describe_exception(exc: BaseException) -> str:
    """An exception raised in the checker, in one line (student code raises in the worker,
    which describes its own)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
