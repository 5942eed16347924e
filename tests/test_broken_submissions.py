"""Broken submissions cost only their own points; every check keeps a status and a reason."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import api
from grader.report import Report, Status
from tests.conftest import FAST, replace_function, solution_text, statuses, validate

pytestmark = pytest.mark.slow  # grades in real subprocesses

Write = Callable[[dict[str, str]], Path]


def grade_source(write_submission: Write, source: str) -> Report:
    report = api.grade(write_submission({"tensors.py": source}), FAST)
    validate(report)
    return report


def only_status(report: Report) -> Status:
    found = set(statuses(report).values())
    assert len(found) == 1, found
    return found.pop()


def messages(report: Report) -> set[str]:
    return {c.message for c in report.checks()}


def test_syntax_error_names_file_and_line(write_submission: Write) -> None:
    source = solution_text("tensors").replace("return A[:, j]", "return A[:, j", 1)
    report = grade_source(write_submission, source)
    assert only_status(report) is Status.ERROR
    (message,) = messages(report)
    assert message.startswith("SyntaxError in submission/tensors.py, line ")
    assert report.exercises[0].problem == message


def test_exception_at_import(write_submission: Write) -> None:
    report = grade_source(write_submission, "import torch\nraise RuntimeError('boom')\n")
    assert only_status(report) is Status.ERROR
    (message,) = messages(report)
    assert "RuntimeError: boom while importing submission/tensors.py" in message
    assert "line 2" in message


def test_sys_exit_at_import(write_submission: Write) -> None:
    report = grade_source(write_submission, "import sys\nsys.exit(0)\n")
    assert only_status(report) is Status.ERROR
    assert "sys.exit(0)" in messages(report).pop()


def test_endless_loop_at_import_is_a_timeout(write_submission: Write) -> None:
    started = time.monotonic()
    report = grade_source(write_submission, "while True:\n    pass\n")
    assert only_status(report) is Status.TIMEOUT
    assert "endless loop at module level" in messages(report).pop()
    assert time.monotonic() - started < 30


def test_missing_file(write_submission: Write) -> None:
    report = api.grade(write_submission({"other.py": "x = 1\n"}), FAST)
    validate(report)
    assert only_status(report) is Status.ERROR
    assert messages(report) == {
        "submission/tensors.py is missing: restore it from the starter code"
    }


def test_endless_loop_in_one_function(write_submission: Write) -> None:
    source = replace_function(solution_text("tensors"), "row", "while True:\n    pass")
    report = grade_source(write_submission, source)
    found = statuses(report)
    assert found.pop("tensors.slicing.row") is Status.TIMEOUT
    assert set(found.values()) == {Status.PASSED}


def test_os_exit_in_one_function_keeps_the_other_checks(write_submission: Write) -> None:
    source = replace_function(solution_text("tensors"), "tile", "import os\nos._exit(1)")
    report = grade_source(write_submission, source)
    found = statuses(report)
    crashed = next(c for c in report.checks() if c.id == "tensors.manipulating.repeat")
    assert crashed.status is Status.ERROR
    assert "exited with code 1" in crashed.message and "during this check" in crashed.message
    del found["tensors.manipulating.repeat"]
    assert set(found.values()) == {Status.PASSED}


def test_one_megabyte_of_output_is_capped(write_submission: Write) -> None:
    body = 'print("x" * 1_000_000)\nreturn A[:, j]'
    report = grade_source(
        write_submission, replace_function(solution_text("tensors"), "column", body)
    )
    assert set(statuses(report).values()) == {Status.PASSED}
    column = next(c for c in report.checks() if c.id == "tensors.slicing.column")
    assert len(column.output) < 10_000
    assert "characters cut" in column.output


def test_warnings_and_stderr_never_fail_a_check(write_submission: Write) -> None:
    body = (
        "import sys, warnings\nwarnings.warn('careful', DeprecationWarning)\n"
        "print('noise', file=sys.stderr)\nreturn A[i]"
    )
    report = grade_source(write_submission, replace_function(solution_text("tensors"), "row", body))
    row = next(c for c in report.checks() if c.id == "tensors.slicing.row")
    assert row.status is Status.PASSED
    assert "noise" in row.output


def test_an_exercise_out_of_time_leaves_the_next_one_graded(write_submission: Write) -> None:
    """One checker grades the exercises in turn. When tensors runs out of its time (every
    name hangs), its remaining checks are timeouts, and autograd is graded in full by a
    fresh checker on its own clock."""
    hang = "def __getattr__(name):\n    while True:\n        pass\n"
    folder = write_submission({"tensors.py": hang, "autograd.py": solution_text("autograd")})
    session = dataclasses.replace(FAST, only=("tensors", "autograd"), timeout_s=15)
    report = api.grade(folder, session)
    validate(report)
    tensors, autograd = report.exercises
    assert {c.status for c in tensors.checks} == {Status.TIMEOUT}
    assert "the exercise's time limit of 15 s ran out" in tensors.problem
    assert {c.status for c in autograd.checks} == {Status.PASSED}
    assert autograd.score == autograd.max_score > 0
