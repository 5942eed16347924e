"""The trained-accuracy checks: reproducible on the CPU, and recorded in the report."""

from __future__ import annotations

import dataclasses

import pytest

from grader import api
from grader.report import Report
from tests.conftest import FAST, SOLUTIONS

# The exercise trains on MNIST, so grading it needs the data (skipped in one line without).
pytestmark = [pytest.mark.usefixtures("mnist_root"), pytest.mark.slow]

ONLY = dataclasses.replace(FAST, only=("mlp",), check_timeout_s=240, timeout_s=600, threads=2)


@pytest.fixture(scope="module")
def two_runs() -> tuple[Report, Report]:
    return api.grade(SOLUTIONS, ONLY), api.grade(SOLUTIONS, ONLY)


def training(report: Report, check: str) -> dict[str, object]:
    found = next(c for c in report.checks() if c.id == f"mlp.trained_accuracy.{check}")
    return dict(found.details["training"])


@pytest.mark.parametrize(("check", "threshold"), [("logistic_regression", 0.90), ("mlp", 0.96)])
def test_solution_reaches_the_threshold_and_the_report_says_how(
    two_runs: tuple[Report, Report], check: str, threshold: float
) -> None:
    record = training(two_runs[0], check)
    assert record["reached"] is True
    assert float(str(record["accuracy"])) >= threshold
    assert record["device"] == "cpu"
    curve = record["curve"]
    assert isinstance(curve, list) and curve[-1][0] == record["samples"]
    assert int(str(record["samples"])) <= 3 * 60_000
    assert float(str(record["seconds"])) > 0


def test_same_run_gives_the_same_numbers_twice(two_runs: tuple[Report, Report]) -> None:
    first, second = two_runs
    for check in ("logistic_regression", "mlp"):
        a, b = training(first, check), training(second, check)
        assert (a["accuracy"], a["samples"], a["curve"]) == (
            b["accuracy"],
            b["samples"],
            b["curve"],
        )
    assert [c.score for c in first.checks()] == [c.score for c in second.checks()]
