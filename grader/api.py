"""grade(path, options) -> Report: select -> collect -> run each exercise -> build the report.

This is the whole grading pipeline without any user interface, so the CLI, the
tests and batch scripts all grade the same way.
"""

from __future__ import annotations

import enum
import os
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader import __version__, data
from grader.errors import GradingInterrupted, UsageError
from grader.exercises import Exercise, select
from grader.report import Environment, ExerciseResult, Report
from grader.runner import ExerciseRun, Progress, RunSettings, run_exercise
from grader.sandbox import Limits, physical_memory_mb


class Device(str, enum.Enum):
    """Where tensors and models go; auto picks CUDA when the child's torch sees one."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


@dataclass(frozen=True)
class Options:
    """How to grade; every default lives here and the CLI reads it from here."""

    only: tuple[str, ...] = ()
    device: Device = Device.AUTO
    seed: int = 0
    timeout_s: float | None = None
    check_timeout_s: float | None = None
    threads: int = default_threads()
    output_cap: int = 8192
    data_dir: Path | None = None
    download: bool = True
    select: tuple[str, ...] = ()
    memory_mb: int | None = None
    keep_env: tuple[str, ...] = ()


def check_submission(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"no such folder: {path}")
    if not path.is_dir():
        raise UsageError(f"not a folder: {path} (give the folder that holds the exercise files)")
    return path.resolve()


def grade(path: Path, options: Options = Options(), progress: Progress | None = None) -> Report:
    """Grade the submission folder `path` and return the full report."""
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    submission = check_submission(path)
    try:
        exercises = select(options.only)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    settings = RunSettings(
        data_dir=find_data(exercises, options),
        submission=submission,
        device=options.device.value,
        seed=options.seed,
        threads=options.threads,
        output_cap=options.output_cap,
        timeout_s=options.timeout_s,
        check_timeout_s=options.check_timeout_s,
        select=options.select,
        limits=limits(options, exercises),
        keep_env=options.keep_env,
    )
    runs: list[ExerciseRun] = []
    for exercise in exercises:
        runs.append(run_exercise(exercise, settings, progress or _quiet))
        if runs[-1].interrupted:
            break
    report = Report(
        grader_version=__version__,
        submission=str(path),
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        environment=environment(settings, runs),
        exercises=tuple(run.result for run in runs) + not_graded(exercises[len(runs) :], runs),
    )
    if runs and runs[-1].interrupted:
        raise GradingInterrupted(report, runs[-1].interrupted)
    return report


def not_graded(rest: tuple[Exercise, ...], runs: list[ExerciseRun]) -> tuple[ExerciseResult, ...]:
    """The exercises an interruption left out, listed so the report says so."""
    why = f"not graded: grading was interrupted by {runs[-1].interrupted}" if runs else ""
    return tuple(ExerciseResult(e.name, (), 0.0, why) for e in rest)


def limits(options: Options, exercises: tuple[Exercise, ...]) -> Limits:
    """The memory limit applies on the CPU only: CUDA needs a huge address space."""
    memory = options.memory_mb if options.memory_mb is not None else physical_memory_mb()
    return Limits(memory_mb=memory if options.device is not Device.CUDA else None)


def find_data(exercises: tuple[Exercise, ...], options: Options) -> Path | None:
    """The MNIST root, checked file by file, when a selected exercise trains on it."""
    if not any(e.needs_mnist for e in exercises):
        return None
    try:
        root = data.locate(options.data_dir, options.download)
        data.verify(root)
    except data.MnistError as exc:
        raise UsageError(str(exc)) from None
    return root.resolve()


def environment(settings: RunSettings, runs: list[ExerciseRun]) -> Environment:
    """Where the checks ran, as the children's torch reported it."""
    return Environment(
        device=runs[0].device if runs else settings.device,
        torch_version=runs[0].torch_version if runs else "",
        python_version=platform.python_version(),
        seed=settings.seed,
        threads=settings.threads,
        platform=platform.platform(terse=True),
    )


def _quiet(name: str, done: int, total: int, note: str) -> None:
    del name, done, total, note
