"""grade(path, options) -> Report: select -> collect -> run each exercise -> build the report.

This is the whole grading pipeline without any user interface, so the CLI, the
tests and batch scripts all grade the same way.
"""

from __future__ import annotations

import dataclasses
import enum
import os
import platform
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from grader import __version__, data
from grader.engine.report import Environment, ExerciseResult, Report
from grader.engine.runner import ExerciseRun, Progress, RunSettings
from grader.engine.sandbox import DEFAULT_MEMORY_MB, Limits, physical_memory_mb
from grader.engine.schedule import run_all
from grader.errors import GradingInterrupted, UsageError
from grader.exercises import Exercise, select


class Device(str, enum.Enum):
    """Where tensors and models go; auto picks CUDA when the child's torch sees one."""

    AUTO = "auto"
    CPU = "cpu"
    CUDA = "cuda"


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def default_jobs(threads: int) -> int:
    """Exercises side by side: as many as the cores hold at `threads` torch threads each."""
    return max(1, (os.cpu_count() or 1) // threads)


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
    jobs: int | None = None  # None: default_jobs(threads)


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
    data_dir, data_problem = find_data(exercises, options)
    settings = RunSettings(
        data_dir=data_dir,
        data_problem=data_problem,
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
    jobs = options.jobs or default_jobs(options.threads)
    runs = run_all(exercises, settings, progress or _quiet, jobs)
    interrupted = next((run.interrupted for run in runs.values() if run.interrupted), "")
    interrupted = interrupted or settings.stop.signal_name
    report = Report(
        grader_version=__version__,
        submission=str(path),
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        environment=environment(settings, [runs[e.name] for e in exercises if e.name in runs]),
        exercises=tuple(
            with_data_problem(runs[e.name].result, e, data_problem)
            if e.name in runs
            else not_graded(e, interrupted)
            for e in exercises
        ),
    )
    if interrupted:
        raise GradingInterrupted(report, interrupted)
    if options.select and not any(report.checks()):
        wanted = ", ".join(options.select)
        raise UsageError(f"--check {wanted}: no check id starts with that; see grade --list")
    return report


def not_graded(exercise: Exercise, interrupted: str) -> ExerciseResult:
    """An exercise an interruption left out, listed so the report says so."""
    return ExerciseResult(
        exercise.name, (), 0.0, f"not graded: grading was interrupted by {interrupted}"
    )


def limits(options: Options, exercises: tuple[Exercise, ...]) -> Limits:
    """The memory limit is on the resident memory of each worker's whole process tree.
    By default DEFAULT_MEMORY_MB (or half the machine, if less) on the CPU, none on CUDA,
    whose libraries alone take a few GB."""
    default = (
        None if options.device is Device.CUDA else min(DEFAULT_MEMORY_MB, physical_memory_mb() // 2)
    )
    return Limits(memory_mb=options.memory_mb if options.memory_mb is not None else default)


def find_data(exercises: tuple[Exercise, ...], options: Options) -> tuple[Path | None, str]:
    """The MNIST root, checked file by file, when a selected exercise trains on it; else
    None and why, so that everything that does not need the data is still graded."""
    if not any(e.needs_mnist for e in exercises):
        return None, ""
    try:
        root = data.locate(options.data_dir, options.download)
        data.verify(root)
    except data.MnistError as exc:
        return None, str(exc)
    return root.resolve(), ""


def with_data_problem(result: ExerciseResult, exercise: Exercise, problem: str) -> ExerciseResult:
    """Say once, on the exercise, why its training checks could not run."""
    if not problem or not exercise.needs_mnist:
        return result
    lost = sum(problem in c.message for c in result.checks)
    verb = "check needs" if lost == 1 else "checks need"
    said = f"{lost} {verb} MNIST and could not run: {problem}"
    return dataclasses.replace(result, problem="; ".join(filter(None, (said, result.problem))))


def environment(settings: RunSettings, runs: list[ExerciseRun]) -> Environment:
    """Where the checks ran, as the children's torch reported it."""
    reported = next((run for run in runs if run.torch_version), None)
    return Environment(
        device=reported.device if reported else resolve_device(settings.device),
        torch_version=reported.torch_version if reported else "",
        python_version=platform.python_version(),
        seed=settings.seed,
        threads=settings.threads,
        platform=platform.platform(terse=True),
        isolation=next((run.isolation for run in runs if run.isolation), ""),
    )


def resolve_device(requested: str) -> str:
    """'auto' as a child would resolve it, for a run interrupted before any child reported."""
    if requested != Device.AUTO.value:
        return requested
    import torch  # only on this rare path: the grade process does not need torch otherwise

    return "cuda" if torch.cuda.is_available() else "cpu"


def _quiet(name: str, done: int, total: int, note: str) -> None:
    del name, done, total, note
