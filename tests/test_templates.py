"""The workflows, the student template and the Gradescope bundle, run for real where possible."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from grader import exercises
from grader.template import main
from tests.conftest import EXERCISES, ROOT, SOLUTIONS, Maximum

pytestmark = pytest.mark.slow  # grades in real subprocesses


def steps(workflow: Path) -> list[dict[str, object]]:
    parsed = yaml.safe_load(workflow.read_text())
    (job,) = parsed["jobs"].values()
    return list(job["steps"])


def test_project_ci_installs_as_the_readme_says_and_runs_the_tests() -> None:
    runs = " ".join(str(s.get("run", "")) for s in steps(ROOT / ".github" / "workflows" / "ci.yml"))
    assert "download.pytorch.org/whl/cpu" in runs
    assert 'pip install -e ".[dev]"' in runs and "pytest" in runs
    assert 'pip install -e ".[dev]"' in (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert 'env -u GRADER_DATA_DIR HOME="$fresh/home"' in ci, "the two commands as a new user"
    assert 'pip install -e ".[dev]" && grade solutions/' in ci


def test_student_template_has_stubs_and_workflow_but_no_solutions(tmp_path: Path) -> None:
    out = tmp_path / "template"
    result = CliRunner().invoke(
        main, ["student", str(out), "--exercises", str(EXERCISES), "--grader", "dl-grader==0.1.0"]
    )
    assert result.exit_code == 0, result.output
    files = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert not any("solution" in f for f in files)
    for name in exercises.names():
        assert (out / "exercises" / f"{name}.py").read_text() == (
            EXERCISES / f"{name}.py"
        ).read_text()
    workflow = out / ".github" / "workflows" / "classroom.yml"
    found = steps(workflow)
    ids = [s["id"] for s in found if s.get("id") in exercises.names()]
    assert ids == list(exercises.names())
    for name in exercises.names():
        step = next(s for s in found if s.get("id") == name)
        assert f"--only {name}" in str(step["run"]) and "classroom=" in str(step["run"])
    reporter = found[-1]
    assert str(reporter["uses"]).startswith("classroom-resources/autograding-grading-reporter")
    assert reporter["with"]["runners"] == ",".join(exercises.names())
    env = reporter["env"]
    assert env == {
        f"{n.upper()}_RESULTS": f"${{{{ steps.{n}.outputs.result }}}}" for n in exercises.names()
    }
    install = " ".join(str(s.get("run", "")) for s in found)
    assert "download.pytorch.org/whl/cpu" in install and '"dl-grader==0.1.0"' in install
    assert any(s.get("uses", "").startswith("actions/cache") for s in found)


def test_student_template_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    args = ["student", str(tmp_path), "--exercises", str(EXERCISES), "--grader", "dl-grader"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2 and "is not empty" in result.output


def test_the_grader_to_install_must_be_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["student", str(tmp_path / "t"), "--exercises", str(EXERCISES)]
    )
    assert result.exit_code == 2 and "Missing option '--grader'" in result.output


def unpack_bundle(tmp_path: Path) -> Path:
    bundle = tmp_path / "autograder.zip"
    result = CliRunner().invoke(main, ["gradescope", str(bundle), "--grader", "dl-grader==0.1.0"])
    assert result.exit_code == 0, result.output
    source = tmp_path / "source"
    with zipfile.ZipFile(bundle) as archive:
        assert sorted(archive.namelist()) == ["run_autograder", "setup.sh"]
        for info in archive.infolist():
            assert (info.external_attr >> 16) & 0o111, f"{info.filename} is not executable"
        archive.extractall(source)
    assert '"dl-grader==0.1.0"' in (source / "setup.sh").read_text()
    return source


def test_gradescope_run_autograder_end_to_end(tmp_path: Path, maximum: Maximum) -> None:
    source = unpack_bundle(tmp_path)
    root = tmp_path / "autograder"
    (root / "submission" / "nested").mkdir(parents=True)
    shutil.copy(SOLUTIONS / "tensors.py", root / "submission" / "nested" / "tensors.py")
    script = source / "run_autograder"
    script.chmod(0o755)
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        ["bash", str(script), "--only", "tensors"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == maximum["tensors"]
    assert len(results["tests"]) == 56
    assert all(t["status"] == "passed" for t in results["tests"])


def test_gradescope_run_autograder_reports_a_grader_failure(tmp_path: Path) -> None:
    source = unpack_bundle(tmp_path)
    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    env = {
        **os.environ,
        "AUTOGRADER_ROOT": str(root),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        ["bash", str(source / "run_autograder"), "--only", "nope"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "exit 2" in results["output"]


def test_the_published_wheel_holds_the_grader_but_no_solutions(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "grader/checks/lenet.py" in names and "grader/report.schema.json" in names
    assert "grader/engine/checker.ini" in names
    assert "grader/worker/__main__.py" in names and "grader/kit/training.py" in names
    assert not [n for n in names if n.startswith(("solutions/", "exercises/", "tests/"))]
    assert "grader/course.schema.json" in names
    assert not [n for n in names if "examples/" in n or "hidden" in n], "no course's checks"
