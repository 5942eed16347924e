"""The two runs every instructor and student does first: the solutions and the untouched stubs."""

from __future__ import annotations

import platform

import pytest
import torch

from grader.engine.runner import collect
from grader.exercises import EXERCISES as EXERCISE_REGISTRY
from grader.report import Report, Status
from tests.conftest import Maximum, validate

pytestmark = pytest.mark.slow  # grades in real subprocesses


def test_solutions_score_full_marks(solutions_report: Report) -> None:
    failing = {c.id: c.message for c in solutions_report.checks() if c.status is not Status.PASSED}
    assert failing == {}
    assert solutions_report.score == solutions_report.max_score > 0
    assert solutions_report.percent == 100.0


def test_the_maximum_is_the_same_on_every_machine_and_in_the_list(
    solutions_report: Report, maximum: Maximum
) -> None:
    """No check depends on a GPU: nothing is skipped, and --list totals the same points."""
    assert not [c.id for c in solutions_report.checks() if c.status is Status.SKIPPED]
    listed = collect(EXERCISE_REGISTRY)
    assert sum(s.points for specs in listed.values() for s in specs) == solutions_report.max_score
    assert solutions_report.max_score == maximum.total
    assert solutions_report.course == {}, "no course file: the built-in course"


def test_untouched_stubs_score_zero_and_are_not_attempted(exercises_report: Report) -> None:
    assert exercises_report.score == 0
    expected = {Status.NOT_ATTEMPTED}
    assert {c.status for c in exercises_report.checks()} == expected
    full = next(c for c in exercises_report.checks() if c.id == "tensors.creating.full")
    assert full.message == "not attempted yet: tensors: make_full"


def test_both_runs_list_the_same_checks(solutions_report: Report, exercises_report: Report) -> None:
    assert [c.id for c in solutions_report.checks()] == [c.id for c in exercises_report.checks()]
    assert solutions_report.max_score == exercises_report.max_score


def test_report_is_valid_and_records_the_environment(solutions_report: Report) -> None:
    data = validate(solutions_report)
    env = solutions_report.environment
    assert env.torch_version == torch.__version__
    assert env.python_version == platform.python_version()
    assert (env.device, env.seed, env.threads) == ("cpu", 0, 1)
    assert data["score"] == solutions_report.score
    assert data["exercises"][0]["checks"][0]["id"] == "tensors.creating.full"


def test_fractional_points_are_summed_exactly(solutions_report: Report) -> None:
    halves = [c for c in solutions_report.checks() if c.max_score == 0.5]
    assert len(halves) >= 3
    tensors = solutions_report.exercises[0]
    assert tensors.max_score == sum(c.max_score for c in tensors.checks)
    assert tensors.max_score == int(tensors.max_score)
