"""GitHub Classroom and Gradescope in real use: failing steps, caches, budgets, payloads, files."""

from __future__ import annotations

import base64
import json
import math
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from grader import api, exercises
from grader.cli import main as grade_main
from grader.formats import classroom, junit
from grader.report import CheckResult, Environment, ExerciseResult, Report, Status
from grader.template import INSTALL_TIMEOUT_MIN, JOB_TIMEOUT_MIN, SETUP_MIN
from grader.template import main as template_main
from grader.text import MESSAGE_CAP
from tests.conftest import EXERCISES, FAST, SOLUTIONS, Maximum, replace_function, solution_text
from tests.test_templates import unpack_bundle

pytestmark = pytest.mark.slow  # grades in real subprocesses

BIN = str(Path(sys.executable).parent)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("classroom") / "template"
    args = ["student", str(out), "--exercises", str(EXERCISES), "--grader", "dl-grader==0.1.0"]
    result = CliRunner().invoke(template_main, args)
    assert result.exit_code == 0, result.output
    return out


def workflow_steps(template: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    parsed = yaml.safe_load((template / ".github" / "workflows" / "classroom.yml").read_text())
    (job,) = parsed["jobs"].values()
    return job, list(job["steps"])


def test_workflow_passes_actionlint(template: Path) -> None:
    actionlint = shutil.which("actionlint") or str(Path(BIN) / "actionlint")
    assert Path(actionlint).exists(), "actionlint comes with the dev extras"
    workflows = [
        template / ".github" / "workflows" / "classroom.yml",
        Path(__file__).resolve().parents[1] / ".github" / "workflows" / "ci.yml",
    ]
    proc = subprocess.run([actionlint, *map(str, workflows)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_step_after_the_first_grading_step_runs_after_a_failure(template: Path) -> None:
    _, steps = workflow_steps(template)
    first = next(i for i, s in enumerate(steps) if s.get("id") == exercises.names()[0])
    for step in steps[first:]:
        condition = str(step.get("if", ""))
        assert "!cancelled()" in condition or "always()" in condition, step.get("name")


def test_caches_are_restored_first_and_saved_even_when_checks_fail(template: Path) -> None:
    _, steps = workflow_steps(template)
    uses = [str(s.get("uses", "")) for s in steps]
    restore = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/restore@"))
    save = next(i for i, u in enumerate(uses) if u.startswith("actions/cache/save@"))
    install = next(i for i, s in enumerate(steps) if "pip install" in str(s.get("run", "")))
    assert restore < install < save
    assert "always()" in str(steps[save]["if"])
    assert steps[restore]["with"] == steps[save]["with"]
    assert "~/.cache/dl-grader" in steps[save]["with"]["path"]
    assert "hashFiles('.github/workflows/classroom.yml')" in steps[save]["with"]["key"]
    assert not any("cache" in (s.get("with") or {}) for s in steps), "setup-python saves on success"


def test_time_limits_fit_the_job_with_margin(template: Path) -> None:
    job, steps = workflow_steps(template)
    grading = {s["id"]: s for s in steps if s.get("id") in exercises.names()}
    for exercise in exercises.EXERCISES:
        assert grading[exercise.name]["timeout-minutes"] >= math.ceil(exercise.timeout_s / 60) + 1
    used = sum(s["timeout-minutes"] for s in grading.values()) + INSTALL_TIMEOUT_MIN + SETUP_MIN
    assert job["timeout-minutes"] == JOB_TIMEOUT_MIN
    assert used <= 0.9 * JOB_TIMEOUT_MIN, f"{used} of {JOB_TIMEOUT_MIN} minutes"
    readme = (template / "README.md").read_text()
    assert f"the whole job after {JOB_TIMEOUT_MIN} minutes" in readme
    assert all(f"{e.name} {e.timeout_s:g} s" in readme for e in exercises.EXERCISES)


def run_step(step: dict[str, Any], cwd: Path, home: Path, path: str) -> list[str]:
    """A step's script as GitHub runs it; returns the `result=` lines it wrote."""
    output = cwd.parent / f"output-{step['id']}"
    output.write_text("")
    env = {
        "PATH": path,
        "HOME": str(home),
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(cwd.parent / "summary.md"),
        "GRADER_DOWNLOAD": "0",
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", str(step["run"])],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return [line for line in output.read_text().splitlines() if line.startswith("result=")]


REPORTER = """
// What autograding-grading-reporter does with its inputs: decode, parse, sum.
let points = 0, maximum = 0, tests = 0;
for (const runner of process.argv[1].split(",")) {
  const text = Buffer.from(process.env[`${runner.toUpperCase()}_RESULTS`], "base64").toString();
  const result = JSON.parse(text);
  points += result.tests.reduce((sum, test) => sum + (test.score || 0), 0);
  maximum += result.max_score;
  tests += result.tests.length;
}
console.log(JSON.stringify({points, maximum, tests}));
"""


def test_a_simulated_run_with_failing_steps_still_reports_every_exercise(
    template: Path, tmp_path: Path, maximum: Maximum
) -> None:
    """No MNIST (mlp and lenet lose their training checks) and a step without `grade` (the
    install failed): every step still leaves one valid result, and the totals add up."""
    _, steps = workflow_steps(template)
    home = tmp_path / "home"
    home.mkdir()
    results = {}
    for step in (s for s in steps if s.get("id") in exercises.names()):
        path = "/usr/bin:/bin" if step["id"] == "autograd" else f"{BIN}:/usr/bin:/bin"
        lines = run_step(step, template, home, path)
        assert len(lines) == 1, lines
        results[step["id"]] = lines[0].removeprefix("result=")
    payloads = {name: json.loads(base64.b64decode(text)) for name, text in results.items()}
    assert payloads["autograd"]["status"] == "error"
    assert {t["status"] for t in payloads["autograd"]["tests"]} == {"fail"}
    assert all(len(text) < classroom.PAYLOAD_LIMIT for text in results.values())
    assert sum(p["max_score"] for p in payloads.values()) == maximum.total
    if shutil.which("node") is None:
        pytest.skip("node is not installed: the reporter's decoding was not run")
    env = {**os.environ, **{f"{n.upper()}_RESULTS": text for n, text in results.items()}}
    names = ",".join(results)
    proc = subprocess.run(
        ["node", "-e", REPORTER, names], env=env, capture_output=True, text=True, check=True
    )
    totals = json.loads(proc.stdout)
    assert totals == {"points": 0, "maximum": maximum.total, "tests": totals["tests"]}
    assert totals["tests"] == sum(len(p["tests"]) for p in payloads.values())


def load_json_report(folder: Path) -> list[CheckResult]:
    return list(api.grade(folder, FAST).checks())


def report_with(message: str, output: str = "") -> Report:
    check = CheckResult("tensors.x.y", "y", Status.ERROR, 0, 1, message, 0.1, output)
    environment = Environment("cpu", "2", "3.11", 0, 1, "linux")
    exercise = ExerciseResult("tensors", (check,) * 200, 1.0)
    return Report("0.1.0", "sub", "2026-01-01T00:00:00+00:00", 1.0, environment, (exercise,))


def test_a_huge_message_is_cut_to_fit_one_environment_variable() -> None:
    encoded = classroom.render(report_with("x" * 300_000)).strip()
    assert len(encoded) <= classroom.PAYLOAD_LIMIT
    tests = json.loads(base64.b64decode(encoded))["tests"]
    assert len(tests) == 200 and all("characters cut ...]" in t["message"] for t in tests)


def test_junit_with_control_characters_parses_strictly() -> None:
    text = junit.render(report_with("bad \x00\x07\x1b]0;title\x07 \ud800 end", "\x0c\x1b[31m"))
    root = ET.fromstring(text.encode("utf-8"))
    assert root.find(".//error") is not None


def gradescope_run(tmp_path: Path, files: dict[str, str]) -> dict[str, Any]:
    source = unpack_bundle(tmp_path)
    root = tmp_path / "autograder"
    for name, text in files.items():
        (root / "submission" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "submission" / name).write_text(text)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PATH": f"{BIN}:{os.environ['PATH']}"}
    proc = subprocess.run(
        ["bash", str(source / "run_autograder"), "--only", "tensors", "--only", "autograd"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads((root / "results" / "results.json").read_text())
    return data


def test_gradescope_picks_one_file_per_exercise_by_a_stated_rule(
    tmp_path: Path, maximum: Maximum
) -> None:
    stub = (EXERCISES / "tensors.py").read_text()
    results = gradescope_run(
        tmp_path,
        {
            "exercises/tensors.py": solution_text("tensors"),
            "zz_old/tensors.py": stub,
            "Autograd.py": solution_text("autograd"),
        },
    )
    assert results["score"] == maximum["tensors"] + maximum["autograd"]
    output = results["output"]
    said = "tensors: graded exercises/tensors.py; also found zz_old/tensors.py (not graded)"
    assert said in output
    assert "autograd: graded Autograd.py (the name differs in letter case)" in output
    assert results["output_format"] == "text"
    assert {t["output_format"] for t in results["tests"]} == {"text"}


def test_no_colour_on_a_terminal_when_asked() -> None:
    args = [str(SOLUTIONS), "--only", "tensors", "--check", "tensors.slicing.column"]
    coloured = CliRunner().invoke(grade_main, args, color=True, env={"NO_COLOR": ""})
    assert "\x1b[" in coloured.stdout
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}):
        plain = CliRunner().invoke(grade_main, args, color=True, env=env)
        assert plain.exit_code == 0 and "\x1b[" not in plain.stdout, env


def test_a_check_prefix_that_matches_nothing_is_a_usage_error() -> None:
    args = [str(SOLUTIONS), "--only", "tensors", "--check", "tensors.nothing"]
    result = CliRunner().invoke(grade_main, args)
    assert result.exit_code == 2
    assert "--check tensors.nothing: no check id starts with that" in result.output


def test_reports_are_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    args = [str(SOLUTIONS), "--only", "tensors", "--check", "tensors.slicing", "--json"]
    assert CliRunner().invoke(grade_main, [*args, str(target)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def test_hostile_text_from_a_submission_is_cleaned_and_capped(
    write_submission: Callable[[dict[str, str]], Path], tmp_path: Path
) -> None:
    """A lone surrogate, terminal escapes, NUL and 300,000 characters, raised and printed."""
    nasty = "'\\ud800\\x00\\x07\\x1b]0;pwned\\x07\\x1b[2J' + 'x' * 300_000"
    body = f"print({nasty})\nraise ValueError({nasty})"
    folder = write_submission(
        {"tensors.py": replace_function(solution_text("tensors"), "row", body)}
    )
    output = tmp_path / "classroom.txt"
    args = [str(folder), "--only", "tensors", "-v", "--output", f"classroom={output}"]
    result = CliRunner().invoke(grade_main, args)
    assert result.exit_code == 0, result.output
    for bad in ("\x00", "\x07", "\x1b]0", "\x1b[2J", "\ud800"):
        assert bad not in result.stdout
    message = next(c.message for c in load_json_report(folder) if c.id == "tensors.slicing.row")
    assert len(message) < MESSAGE_CAP + 100 and "characters cut" in message
    assert len(output.read_text().strip()) < classroom.PAYLOAD_LIMIT
