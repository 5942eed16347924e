"""Which exercise runs when: one after the other, or side by side when cores allow.

In order, the next exercise's child starts while the current one runs and waits for its
key, so its start-up (mostly importing torch) is hidden. Side by side, each of `jobs`
threads waits on one exercise's children; an interruption reaches the main thread, which
sets the run's Stop so every thread stops its child the same way.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from grader.engine.runner import ExerciseRun, Progress, RunSettings, run_exercise, start_first

if TYPE_CHECKING:
    from grader.exercises import Exercise

POLL_S = 0.2


def run_all(
    exercises: tuple[Exercise, ...], settings: RunSettings, progress: Progress, jobs: int
) -> dict[str, ExerciseRun]:
    """Every exercise's run by name; those an interruption left out are missing."""
    if jobs <= 1 or len(exercises) <= 1:
        return run_in_order(exercises, settings, progress)
    return run_side_by_side(exercises, settings, serialised(progress), jobs)


def run_in_order(
    exercises: tuple[Exercise, ...], settings: RunSettings, progress: Progress
) -> dict[str, ExerciseRun]:
    """One exercise after the other, each next child started early; stop at an interrupt."""
    runs: dict[str, ExerciseRun] = {}
    upcoming = start_first(exercises[0], settings) if exercises else None
    try:
        for index, exercise in enumerate(exercises):
            current, upcoming = upcoming, None
            if index + 1 < len(exercises):
                upcoming = start_first(exercises[index + 1], settings)
            runs[exercise.name] = run_exercise(exercise, settings, progress, first=current)
            if runs[exercise.name].interrupted:
                break
    except KeyboardInterrupt as exc:  # between two exercises: the report says which were left
        settings.stop.set(exc)
    finally:
        if upcoming is not None:
            upcoming.discard()
    return runs


def run_side_by_side(
    exercises: tuple[Exercise, ...], settings: RunSettings, progress: Progress, jobs: int
) -> dict[str, ExerciseRun]:
    """Up to `jobs` exercises at once; an interrupt stops them all and cancels the rest."""
    runs: dict[str, ExerciseRun] = {}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="exercise") as pool:
        futures: dict[Future[ExerciseRun], Exercise] = {
            pool.submit(run_exercise, exercise, settings, progress): exercise
            for exercise in exercises
        }
        pending = set(futures)
        while pending:
            try:
                pending = wait(pending, timeout=POLL_S).not_done
            except KeyboardInterrupt as exc:
                settings.stop.set(exc)
                pending = {future for future in pending if not future.cancel()}
        for future, exercise in futures.items():
            if not future.cancelled():
                try:
                    runs[exercise.name] = future.result()
                except BaseException as exc:
                    settings.stop.set(exc)  # the other threads stop before this is raised
                    raise
    return runs


def serialised(progress: Progress) -> Progress:
    """Progress reports from several threads, one at a time."""
    lock = threading.Lock()

    def report(name: str, done: int, total: int, note: str) -> None:
        with lock:
            progress(name, done, total, note)

    return report
