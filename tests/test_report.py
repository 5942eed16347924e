"""The report model: exact sums, a lossless JSON round trip, atomic writes, the schema."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from grader import api
from grader.report import (
    CheckResult,
    Environment,
    ExerciseResult,
    Report,
    Status,
    dumps,
    exact_sum,
    from_dict,
    load,
    to_dict,
    write_atomic,
)
from grader.settings import Settings
from tests.conftest import validate, validate_data


def sample_report() -> Report:
    checks = tuple(
        CheckResult(f"tensors.family.c{i}", f"check {i}", status, score, 0.1, "msg", 0.01)
        for i, (status, score) in enumerate(
            [
                (Status.PASSED, 0.1),
                (Status.PASSED, 0.1),
                (Status.FAILED, 0.0),
                (Status.TIMEOUT, 0.0),
                (Status.SKIPPED, 0.0),
                (Status.PASSED, 0.1),
            ]
        )
    )
    env = Environment("cpu", "2.14.1", "3.11.7", 0, 2, "Linux")
    return Report(
        "0.1.0",
        "exercises",
        "2026-11-26T00:00:00+00:00",
        1.5,
        env,
        (ExerciseResult("tensors", checks, 1.0),),
    )


def test_fractional_points_sum_exactly() -> None:
    assert exact_sum([0.1, 0.2]) == 0.3
    report = sample_report()
    assert report.score == 0.3
    assert report.max_score == 0.5, "the skipped check counts neither way"
    assert report.percent == 60.0


def test_round_trip_is_lossless() -> None:
    report = sample_report()
    assert from_dict(json.loads(dumps(report))) == report
    assert to_dict(report)["exercises"][0]["checks"][3]["status"] == "timeout"


def test_schema_accepts_a_report_and_rejects_a_bad_status() -> None:
    data = validate(sample_report())
    data["exercises"][0]["checks"][0]["status"] = "passed-ish"
    with pytest.raises(jsonschema.ValidationError):
        validate_data(data)


def test_unknown_status_fails_at_once() -> None:
    with pytest.raises(ValueError, match="'pass' is not a valid Status"):
        Status("pass")


def test_atomic_write_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    write_atomic(target, dumps(sample_report()))
    assert load(target) == sample_report()
    assert os.listdir(tmp_path) == ["report.json"]


def test_interrupted_write_keeps_the_old_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def interrupted(src: str, dst: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, dumps(sample_report()))
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["report.json"]


def test_a_run_interrupted_before_any_check_still_names_a_real_device() -> None:
    environment = api.environment(Settings(threads=1), [])
    assert environment.device in ("cpu", "cuda")
    assert environment.torch_version == ""
