"""grade(path, settings) -> Report: select -> resolve settings -> run each exercise -> report.

This is the whole grading pipeline without any user interface, so the CLI, the
tests and batch scripts all grade the same way.
"""

from __future__ import annotations

import dataclasses
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

from grader import __version__, course, data, ipynb, layout
from grader.engine.checkers import Stop
from grader.engine.forkserver import Forkserver
from grader.engine.runner import ExerciseRun, Progress, Run
from grader.engine.sandbox import DEFAULT_MEMORY_MB, physical_memory_mb
from grader.engine.schedule import run_all
from grader.errors import GradingInterrupted, UsageError
from grader.exercises import Exercise
from grader.report import Environment, ExerciseResult, Report
from grader.settings import Device, Settings

# The name the settings had before they were one object for every process; `api.Device`
# is imported above. Both kept for scripts that use them.
Options = Settings
__all__ = ["Device", "Options", "Settings", "grade"]


def check_submission(path: Path) -> Path:
    if not path.exists():
        raise UsageError(f"no such folder: {path}")
    if not path.is_dir():
        raise UsageError(f"not a folder: {path} (give the folder that holds the exercise files)")
    return path.resolve()


def grade(
    path: Path,
    settings: Settings | None = None,
    progress: Progress | None = None,
    *,
    stop: Stop | None = None,
    forks: Forkserver | None = None,
) -> Report:
    """Grade the submission folder `path` and return the full report. A class grades
    many in threads: `stop` stops them all at once, and `forks` starts their checkers."""
    settings = settings or Settings()
    started_at = datetime.now(timezone.utc).isoformat(timespec="seconds")
    started = time.monotonic()
    submission = check_submission(path)
    settings = with_course(settings)
    exercises = settings.course.select(settings.only)
    run = Run(submission, resolve(settings, exercises), stop or Stop(), forks)
    runs = run_all(exercises, run, progress or _quiet)
    interrupted = next((r.interrupted for r in runs.values() if r.interrupted), "")
    interrupted = interrupted or run.stop.signal_name
    report = build_report(path, run, exercises, runs, interrupted, started_at, started)
    if interrupted:
        raise GradingInterrupted(report, interrupted)
    if settings.select and not any(report.checks()):
        wanted = ", ".join(settings.select)
        raise UsageError(f"--check {wanted}: no check id starts with that; see grade --list")
    return report


def with_course(settings: Settings) -> Settings:
    """The settings with their course file found, read once and validated (a bad file is
    a usage error of one line), so every process grades the same course."""
    path = course.find(settings.course_file)
    text = course.read(path) if path is not None else ""
    parsed = course.parse(text, path)
    return dataclasses.replace(
        settings, course_file=path, course_text=text, course_digest=parsed.digest
    )


def resolve(settings: Settings, exercises: tuple[Exercise, ...]) -> Settings:
    """The settings as every process will use them: MNIST's folder found (or why not) and
    the memory limit decided, once, here."""
    data_dir, problem = find_data(exercises, settings)
    return dataclasses.replace(
        settings, data_dir=data_dir, data_problem=problem, memory_mb=memory_limit(settings)
    )


def build_report(
    path: Path,
    run: Run,
    exercises: tuple[Exercise, ...],
    runs: dict[str, ExerciseRun],
    interrupted: str,
    started_at: str,
    started: float,
) -> Report:
    problem = run.settings.data_problem
    notes = submission_notes(run.submission, tuple(e.name for e in exercises))
    return Report(
        course=run.settings.course.record() if run.settings.course.source else {},
        grader_version=__version__,
        submission=str(path),
        started_at=started_at,
        duration_s=round(time.monotonic() - started, 3),
        environment=environment(run.settings, [runs[e.name] for e in exercises if e.name in runs]),
        exercises=tuple(
            with_notes(with_data_problem(runs[e.name].result, e, problem), notes)
            if e.name in runs
            else not_graded(e, interrupted)
            for e in exercises
        ),
    )


def submission_notes(submission: Path, names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Per exercise, which file was graded when that is worth saying (grader.layout), and
    what its notebook left out."""
    chosen = layout.choose(layout.files_of(submission), names)
    notebooks = {c.exercise: submission / c.path for c in chosen.values() if c.suffix == ".ipynb"}
    left_out = ipynb.notes(notebooks)
    return {
        name: tuple(n for n in (choice.note(), *left_out.get(name, ())) if n)
        for name, choice in chosen.items()
    }


def with_notes(result: ExerciseResult, notes: dict[str, tuple[str, ...]]) -> ExerciseResult:
    return dataclasses.replace(result, notes=notes.get(result.name, ()))


def not_graded(exercise: Exercise, interrupted: str) -> ExerciseResult:
    """An exercise an interruption left out, listed so the report says so."""
    return ExerciseResult(
        exercise.name, (), 0.0, f"not graded: grading was interrupted by {interrupted}"
    )


def memory_limit(settings: Settings) -> int | None:
    """The limit on the resident memory of each submission's box (its zygote, worker and
    what they started): as given, or
    DEFAULT_MEMORY_MB (or half the machine, if less) on the CPU, none on CUDA, whose
    libraries alone take a few GB."""
    if settings.memory_mb is not None:
        return settings.memory_mb
    if settings.device is Device.CUDA:
        return None
    return min(DEFAULT_MEMORY_MB, physical_memory_mb() // 2)


def find_data(exercises: tuple[Exercise, ...], settings: Settings) -> tuple[Path | None, str]:
    """The MNIST root, checked file by file, when a selected exercise trains on it; else
    None and why, so that everything that does not need the data is still graded."""
    if not any(e.needs_mnist for e in exercises):
        return None, ""
    try:
        root = data.locate(settings.data_dir, settings.download)
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


def environment(settings: Settings, runs: list[ExerciseRun]) -> Environment:
    """Where the checks ran, as the checkers' torch reported it."""
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


def resolve_device(requested: Device) -> str:
    """'auto' as a checker would resolve it, for a run interrupted before any reported."""
    if requested is not Device.AUTO:
        return str(requested.value)
    import torch  # only on this rare path: the grade process does not need torch otherwise

    return "cuda" if torch.cuda.is_available() else "cpu"


def _quiet(name: str, done: int, total: int, note: str) -> None:
    del name, done, total, note
