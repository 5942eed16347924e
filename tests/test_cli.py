"""The `grade` command: options, output, exit codes, through CliRunner and a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import __version__
from grader.cli import main
from grader.report import load
from grader.settings import Device, Settings
from tests.conftest import EXERCISES, ROOT, SOLUTIONS, Maximum

pytestmark = pytest.mark.slow  # grades in real subprocesses

GRADE = shutil.which("grade") or f"{sys.executable} -m grader"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_checks_and_points_without_grading() -> None:
    code, out, _ = run_cli("--list")
    assert code == 0
    assert out.startswith("tensors (Tensors): 56 checks, 48 points")
    assert "tensors.slicing.column" in out


def test_unknown_exercise_is_a_usage_error_listing_valid_names() -> None:
    code, _, err = run_cli(str(SOLUTIONS), "--only", "tensor")
    assert code == 2
    assert "Error: --only tensor: no such exercise; valid names: tensors, autograd" in err


def test_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run_cli(str(tmp_path / "nope"))
    assert code == 2
    assert "no such folder" in err


def test_a_file_instead_of_a_folder_is_a_usage_error() -> None:
    code, _, err = run_cli(str(SOLUTIONS / "tensors.py"))
    assert code == 2
    assert "not a folder" in err


def test_cuda_without_a_gpu_is_a_usage_error() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    code, _, err = run_cli(str(SOLUTIONS), "--only", "tensors", "--device", "cuda")
    assert code == 2
    assert "--device cuda: torch sees no CUDA device" in err


def test_json_report_and_format_json_agree(tmp_path: Path, maximum: Maximum) -> None:
    target = tmp_path / "out" / "report.json"
    code, out, _ = run_cli(
        str(EXERCISES), "--only", "tensors", "--json", str(target), "--format", "json"
    )
    assert code == 0
    printed, written = json.loads(out), json.loads(target.read_text())
    assert printed["score"] == written["score"] == 0
    assert printed["exercises"][0]["checks"] == written["exercises"][0]["checks"]
    assert load(target).max_score == maximum["tensors"]
    assert list(target.parent.iterdir()) == [target], "no temporary file is left beside it"


def test_fail_under_exits_with_one() -> None:
    code, out, err = run_cli(str(EXERCISES), "--only", "tensors", "--fail-under", "50")
    assert code == 1
    assert "Total: 0 / 48 points (0.0 %)" in out
    assert "under --fail-under 50 %" in err


def test_text_summary_lists_what_to_fix() -> None:
    code, out, _ = run_cli(str(EXERCISES), "--only", "tensors", "--only", "autograd")
    assert code == 0
    assert "tensors: 56 checks wait for you to write:" in out
    assert "make_full, make_full_like" in out
    assert "\x1b[" not in out, "no colour codes when stdout is not a terminal"


@pytest.mark.usefixtures("mnist_root")
def test_real_subprocess_grades_solutions_with_exit_zero(tmp_path: Path, maximum: Maximum) -> None:
    target = tmp_path / "report.json"
    proc = subprocess.run(
        [*GRADE.split(), str(SOLUTIONS), "--only", "tensors", "--json", str(target), "--seed", "7"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    top = maximum["tensors"]
    assert f"Total: {top:g} / {top:g} points (100.0 %)" in proc.stdout
    report = load(target)
    assert report.environment.seed == 7
    assert report.grader_version == __version__


def test_real_subprocess_usage_and_internal_error_codes(tmp_path: Path) -> None:
    usage = subprocess.run(
        [*GRADE.split(), "--format", "yaml"], capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 2
    assert "'yaml' is not one of 'text', 'json'" in usage.stderr
    blocked = tmp_path / "file"
    blocked.write_text("")
    unwritable = run_cli(
        str(SOLUTIONS), "--only", "tensors", "--json", str(blocked / "report.json")
    )
    assert unwritable[0] == 2
    assert "cannot write" in unwritable[2]


def test_grader_failure_exits_with_three(tmp_path: Path) -> None:
    """A broken grader installation (here: a pytest that cannot start) is exit code 3."""
    (tmp_path / "pytest.py").write_text("raise SystemExit(4)\n")
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [*GRADE.split(), str(SOLUTIONS), "--only", "tensors"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 3, proc.stderr
    assert "grade: internal error: collecting the checks of tensors failed" in proc.stderr


def test_a_checker_that_cannot_start_is_a_grader_error_not_zero_checks() -> None:
    """pytest exits 1 when it cannot even load the grader's plugin (say, the grader is not
    installed where the checker runs): that must stop grading, never read as 0/0 points."""
    from grader.engine.checkers import CheckerRun
    from grader.engine.runner import Run, Session, check_collected
    from grader.errors import GraderError
    from grader.exercises import EXERCISES as ALL

    settings = Run(SOLUTIONS, Settings(device=Device.CPU, threads=1))
    log = "ImportError: Error importing plugin \"grader.engine.plugin\": No module named 'grader'"
    session = Session((ALL[0],), settings, lambda name, done, total, note: None)
    broken = CheckerRun(events=(), returncode=1, timed_out=False, log=log)
    with pytest.raises(GraderError, match="No module named 'grader'"):
        check_collected(session, broken)
    nothing = CheckerRun(events=(), returncode=5, timed_out=False, log="no tests ran")
    check_collected(session, nothing)


def test_the_seed_reaches_code_that_runs_at_import(tmp_path: Path) -> None:
    """A module-level torch.randn sees --seed: make_full's stub message carries its value."""
    import torch

    source = (EXERCISES / "tensors.py").read_text(encoding="utf-8")
    source = source.replace(
        'raise NotImplementedError("tensors: make_full")',
        'raise NotImplementedError(f"tensors: {_DRAWN:.6f}")',
    )
    source += "\n\n_DRAWN = torch.randn(1).item()\n"  # the stubs import torch at the top
    (tmp_path / "tensors.py").write_text(source, encoding="utf-8")
    seen = {}
    for seed in (3, 4):
        args = [str(tmp_path), "--only", "tensors", "--check", "tensors.creating.full"]
        code, out, _ = run_cli(*args, "--seed", str(seed), "--format", "json")
        assert code == 0
        message = json.loads(out)["exercises"][0]["checks"][0]["message"]
        seen[seed] = message
        torch.manual_seed(Settings(seed=seed).worker_seed)
        assert message.endswith(f"tensors: {torch.randn(1).item():.6f}"), message
        torch.manual_seed(seed)
        assert not message.endswith(f"tensors: {torch.randn(1).item():.6f}"), (
            "student code runs under a seed derived one way from --seed, never --seed itself"
        )
    assert seen[3] != seen[4]


def test_verbose_shows_the_students_frames_and_output_once(tmp_path: Path) -> None:
    """-v shows where the student's code raised (their file, line and code, none of the
    grader's frames) and what it printed, once however many checks lost for that cause."""
    source = (SOLUTIONS / "tensors.py").read_text(encoding="utf-8")
    (tmp_path / "tensors.py").write_text(
        source + "\n\nprint('loading my tensors')\nraise ValueError('my mistake')\n"
    )
    code, out, _ = run_cli(str(tmp_path), "--only", "tensors", "-v")
    assert code == 0
    assert "your code raised:" in out and out.count("your code raised:") == 1
    assert f'File "{tmp_path.name}/tensors.py", line' in out
    assert "raise ValueError('my mistake')" in out
    assert out.count("loading my tensors") == 1, out
    for grader_frame in ("_pytest", "pluggy", "grader/engine", "grader/worker"):
        assert grader_frame not in out, grader_frame
