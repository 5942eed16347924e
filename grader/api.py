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
from grader.errors import UsageError
from grader.exercises import Exercise, select
from grader.report import Environment, Report
from grader.runner import ExerciseRun, Progress, RunSettings, run_exercise


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
    )
    runs = [run_exercise(exercise, settings, progress or _quiet) for exercise in exercises]
    return Report(
        grader_version=__version__,
        submission=str(path),
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        environment=environment(settings, runs),
        exercises=tuple(run.result for run in runs),
    )


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
