"""The submission as the checker knows it, and the fixture that hands checks its module.

The checker never imports the student's files: the exercise fixture yields a Remote of
the module the worker imported (grader/plugin.py `load_exercise`). A failure to import
is cached so that every check of the exercise reports the same reason quickly.
"""

from __future__ import annotations

import functools
import re
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import pytest

from grader.engine.report import Status
from grader.engine.sandbox import read_problems

STUB_MESSAGE = re.compile(r"^[\w.]+: ")
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

    def owns(self, filename: str) -> bool:
        resolved = resolve(filename)
        return resolved is not None and resolved.is_relative_to(self.folder)


@functools.lru_cache(maxsize=4096)
def resolve(filename: str) -> Path | None:
    """A traceback's file name as a real path, once per name: every failed check walks
    tens of frames, and resolving each costs a system call per path component."""
    try:
        return Path(filename).resolve()
    except (OSError, ValueError):
        return None


def student_frames(
    submission: Submission, tb: TracebackType | None
) -> list[traceback.FrameSummary]:
    """The traceback entries that lie in the submission's files, outermost first."""
    return [f for f in traceback.extract_tb(tb) if submission.owns(f.filename)]


def where(submission: Submission, tb: TracebackType | None) -> str:
    """'exercises/tensors.py, line 12, in column' for the innermost student frame, or ''."""
    frames = student_frames(submission, tb)
    if not frames:
        return ""
    frame = frames[-1]
    file = f"{submission.folder.name}/{Path(frame.filename).name}"
    return f"{file}, line {frame.lineno}, in {frame.name}"


def is_timeout(exc: BaseException) -> bool:
    return isinstance(exc, FAIL_EXCEPTION) and str(exc).startswith(TIMEOUT_PREFIX)


def describe_exception(exc: BaseException) -> str:
    text = str(exc).strip()
    if isinstance(exc, SystemExit):
        return f"SystemExit: sys.exit({exc.code!r}) was called"
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
