"""Every output format rendered from one saved report, and checked field by field."""

from __future__ import annotations

import base64
import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader import github
from grader.cli import main
from grader.formats import WRITERS, Format, classroom, gradescope, junit, markdown, text
from grader.report import (
    CheckResult,
    Environment,
    ExerciseResult,
    Report,
    Status,
    dumps,
    load,
)
from tests.conftest import SOLUTIONS, Maximum


def check(
    cid: str, status: Status, score: float, max_score: float, message: str = ""
) -> CheckResult:
    return CheckResult(cid, f"name of {cid}", status, score, max_score, message, 0.25, "printed")


@pytest.fixture
def saved(tmp_path: Path) -> Report:
    """A report with every status and fractional points, saved and loaded back."""
    checks = (
        check("tensors.slicing.column", Status.PASSED, 1, 1),
        check(
            "tensors.slicing.row", Status.FAILED, 0, 1, "row(A, 3): expected shape (4,), got (5,)"
        ),
        check(
            "tensors.math.det",
            Status.ERROR,
            0,
            0.5,
            "ValueError: boom (exercises/tensors.py, line 3)",
        ),
        check(
            "tensors.math.inv",
            Status.TIMEOUT,
            0,
            0.5,
            "the check did not finish within its limit of 5 s",
        ),
        check("tensors.math.cuda", Status.SKIPPED, 0, 2, "no CUDA device"),
        check("tensors.io.save", Status.FAILED, 0.25, 0.5, "partial: 91 % of 96 %"),
        check("tensors.io.load", Status.NOT_ATTEMPTED, 0, 1, "not attempted yet: tensors: load"),
    )
    env = Environment("cpu", "2.14.1", "3.11.7", 0, 2, "Linux")
    report = Report(
        "0.1.0",
        "exercises",
        "2026-11-26T00:00:00+00:00",
        12.5,
        env,
        (ExerciseResult("tensors", checks, 12.0),),
    )
    path = tmp_path / "report.json"
    path.write_text(dumps(report))
    return load(path)


def test_every_format_has_a_writer() -> None:
    assert set(WRITERS) == set(Format)


def test_classroom_payload(saved: Report) -> None:
    payload = json.loads(base64.b64decode(classroom.render(saved)))
    assert payload["version"] == 1
    assert payload["status"] == "fail"
    assert payload["max_score"] == 4.5, "skipped checks do not count"
    tests = {t["name"].split(":")[0]: t for t in payload["tests"]}
    assert "tensors.math.cuda" not in tests
    assert len(payload["tests"]) == 6
    assert sum(t["score"] for t in payload["tests"]) == 1.25
    column, partial = tests["tensors.slicing.column"], tests["tensors.io.save"]
    assert (column["status"], column["score"], column["line_no"]) == ("pass", 1, 0)
    assert isinstance(column["score"], int)
    assert (partial["status"], partial["score"]) == ("fail", 0.25), "pass only at full marks"
    assert tests["tensors.slicing.row"]["message"] == "row(A, 3): expected shape (4,), got (5,)"
    assert tests["tensors.math.det"]["filename"] == "exercises/tensors.py"
    assert tests["tensors.math.det"]["test_code"] == "grade --only tensors --check tensors.math.det"
    assert tests["tensors.math.inv"]["duration"] == 250
    assert set(column) == {
        "name",
        "status",
        "score",
        "message",
        "test_code",
        "filename",
        "line_no",
        "duration",
    }


def test_classroom_max_score_stays_positive(saved: Report) -> None:
    empty = Report(saved.grader_version, "x", saved.started_at, 0, saved.environment, ())
    payload = json.loads(base64.b64decode(classroom.render(empty)))
    assert payload["max_score"] == 1 and payload["tests"] == [] and payload["status"] == "pass"


def test_gradescope_results(saved: Report) -> None:
    results = json.loads(gradescope.render(saved))
    assert results["score"] == 1.25
    assert results["execution_time"] == 12
    assert results["visibility"] == "visible" and results["stdout_visibility"] == "hidden"
    assert "1.25 / 4.5 points" in results["output"]
    tests = {t["number"]: t for t in results["tests"]}
    assert len(tests) == 7
    assert tests["tensors.slicing.column"] == {
        "name": "name of tensors.slicing.column",
        "number": "tensors.slicing.column",
        "score": 1,
        "max_score": 1,
        "status": "passed",
        "output": "",
        "output_format": "text",
        "visibility": "visible",
    }
    assert results["output_format"] == "text", "never rendered as HTML"
    assert tests["tensors.io.save"]["status"] == "failed"
    assert tests["tensors.io.save"]["score"] == 0.25
    assert tests["tensors.math.inv"]["output"].startswith("timeout: ")
    assert tests["tensors.math.cuda"]["max_score"] == 0
    assert tests["tensors.io.load"]["output"].startswith("not attempted: ")


def test_junit_parses_and_counts(saved: Report) -> None:
    root = ET.fromstring(junit.render(saved))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.attrib["name"] == "tensors"
    assert (
        suite.attrib["tests"],
        suite.attrib["failures"],
        suite.attrib["errors"],
        suite.attrib["skipped"],
    ) == ("7", "4", "1", "1")
    cases = {f"{c.attrib['classname']}.{c.attrib['name']}": c for c in suite.iter("testcase")}
    row = cases["tensors.slicing.row"].find("failure")
    assert row is not None and row.attrib["message"] == "row(A, 3): expected shape (4,), got (5,)"
    assert cases["tensors.math.det"].find("error") is not None
    assert cases["tensors.math.cuda"].find("skipped") is not None
    assert cases["tensors.slicing.column"].find("failure") is None
    points = {
        p.attrib["name"]: p.attrib["value"] for p in cases["tensors.io.save"].iter("property")
    }
    assert points == {"score": "0.25", "max_score": "0.5"}


def test_markdown_table(saved: Report) -> None:
    text = markdown.render(saved)
    assert text.startswith("## Grade: 1.25 / 4.5 points (27.8 %)")
    assert "| tensors | 1.25 / 4.5 | 1 | 7 |" in text
    assert (
        "| ❌ | `tensors.slicing.row` | 0 / 1 | row(A, 3): expected shape (4,), got (5,) |" in text
    )
    assert "tensors.math.cuda" not in text
    assert "tensors.slicing.column" not in text


def test_markdown_shows_student_text_as_typed() -> None:
    """A message cannot add a link, an image (a tracking pixel) or HTML to the summary."""
    hostile = "see ![x](http://evil.example/p.png) <img src=x onerror=1> [here](http://e) **x** |"
    assert markdown.cell(hostile) == (
        "see !\\[x\\](http://evil.example/p.png) &lt;img src=x onerror=1&gt; "
        "\\[here\\](http://e) \\*\\*x\\*\\* \\|"
    )


def test_github_actions_outputs_are_appended(saved: Report, tmp_path: Path) -> None:
    summary, output = tmp_path / "summary.md", tmp_path / "output"
    summary.write_text("earlier step\n")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(output),
    }
    assert github.publish(saved, env, classroom_output=True) == [summary, output]
    assert summary.read_text().startswith("earlier step\n## Grade:")
    key, _, value = output.read_text().strip().partition("=")
    assert key == "result"
    assert json.loads(base64.b64decode(value))["max_score"] == 4.5
    assert github.publish(saved, {}, classroom_output=True) == []


@pytest.mark.slow
def test_cli_writes_several_formats_from_one_run(tmp_path: Path, maximum: Maximum) -> None:
    outputs = {f: tmp_path / f"out.{f}" for f in ("json", "junit", "gradescope", "markdown")}
    args = [str(SOLUTIONS), "--only", "tensors", "--format", "classroom"]
    for fmt, path in outputs.items():
        args += ["--output", f"{fmt}={path}"]
    result = CliRunner().invoke(main, args, env={"GITHUB_ACTIONS": "false"})
    assert result.exit_code == 0, result.stderr
    payload = json.loads(base64.b64decode(result.stdout))
    assert payload["status"] == "pass" and payload["max_score"] == maximum["tensors"]
    assert load(outputs["json"]).score == maximum["tensors"]
    assert json.loads(outputs["gradescope"].read_text())["score"] == maximum["tensors"]
    assert ET.parse(outputs["junit"]).getroot().find("testsuite") is not None
    assert (
        f"## Grade: {maximum['tensors']:g} / {maximum['tensors']:g}"
        in outputs["markdown"].read_text()
    )


def test_bad_output_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["--output", "yaml=x.yml"])
    assert result.exit_code == 2
    assert "expected FORMAT=PATH" in result.stderr


def test_text_summary_names_exercises_that_were_not_graded(saved: Report) -> None:
    skipped = ExerciseResult("lenet", (), 0.0, "not graded: grading was interrupted by SIGINT")
    report = dataclasses.replace(saved, exercises=(*saved.exercises, skipped))
    shown = click.unstyle(text.render(report))
    assert "lenet: not graded: grading was interrupted by SIGINT" in shown
    assert "FAIL tensors.slicing.row  [0/1]" in shown
    assert "todo tensors: 1 checks wait for you to write:\n      load" in shown
