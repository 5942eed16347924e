"""Import a student's exercise file and turn every way that can go wrong into a status.

Runs in the child pytest process only. The exercise fixture in a check module calls
`load_exercise`; a failure is cached so that every check of the exercise reports the
same reason quickly instead of importing a broken file again.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

import pytest

from grader.report import Status
from grader.sandbox import PROBLEMS_FILE

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
        path = self.folder / PROBLEMS_FILE
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}

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


def classify_import_error(submission: Submission, name: str, exc: BaseException) -> SubmissionError:
    label = submission.label(name)
    if isinstance(exc, SyntaxError):
        file = f"{submission.folder.name}/{Path(exc.filename).name}" if exc.filename else label
        return SubmissionError(
            Status.ERROR, f"{type(exc).__name__} in {file}, line {exc.lineno}: {exc.msg}"
        )
    if is_timeout(exc):
        return SubmissionError(
            Status.TIMEOUT,
            f"importing {label} did not finish in time: is there an endless loop at module level?",
        )
    place = where(submission, exc.__traceback__) or label
    return SubmissionError(
        Status.ERROR, f"{describe_exception(exc)} while importing {label} ({place})"
    )


def import_file(submission: Submission, name: str) -> ModuleType:
    """Execute the student's file as module `name`; raise SubmissionError on any failure."""
    path = submission.file(name)
    problem = submission.problems().get(f"{name}.py")
    if problem:
        raise SubmissionError(Status.ERROR, f"{submission.label(name)} {problem}")
    if not path.is_file():
        raise SubmissionError(
            Status.ERROR, f"{submission.label(name)} is missing: restore it from the starter code"
        )
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise SubmissionError(Status.ERROR, f"{submission.label(name)} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except KeyboardInterrupt:
        raise
    except BaseException as exc:
        sys.modules.pop(name, None)
        raise classify_import_error(submission, name, exc) from None
    return module


def exercise_fixture(name: str, changes_inputs: tuple[str, ...] = ()) -> Callable[..., Any]:
    """A pytest fixture, named after the exercise, that yields the student's module.

    Write `tensors = exercise_fixture("tensors")` in a check module, then take
    `tensors` as an argument in each check. A call that changes a tensor argument in
    place fails its check, except for the functions named in `changes_inputs`.
    """

    @pytest.fixture(name=name)
    def _fixture(request: pytest.FixtureRequest) -> Iterator[Any]:
        from grader.plugin import load_exercise
        from grader.remote import student_module

        yield student_module(load_exercise(request.config, name), changes_inputs)

    return _fixture
