"""Which exercises share a checker: all of them, in turn, or `jobs` groups side by side.

In order, one checker session grades every exercise, so torch is imported once for the
checks (each exercise's worker imports it too, started two exercises ahead). Side by
side, the exercises are dealt in course order into `jobs` sessions, each waited on by
one thread; an interruption reaches the main thread, which sets the run's Stop so every
thread stops its checker the same way.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TYPE_CHECKING

from grader.engine.runner import ExerciseRun, Progress, Run, run_session

if TYPE_CHECKING:
    from grader.exercises import Exercise

POLL_S = 0.2


def run_all(
    exercises: tuple[Exercise, ...], run: Run, progress: Progress
) -> dict[str, ExerciseRun]:
    """Every exercise's run by name; those an interruption left out are missing."""
    jobs = run.settings.jobs_or_default
    if jobs <= 1 or len(exercises) <= 1:
        return run_session(exercises, run, progress)
    return run_side_by_side(exercises, run, serialised(progress), jobs)


def run_side_by_side(
    exercises: tuple[Exercise, ...], run: Run, progress: Progress, jobs: int
) -> dict[str, ExerciseRun]:
    """`jobs` sessions at once; an interrupt stops them all."""
    runs: dict[str, ExerciseRun] = {}
    with ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="exercise") as pool:
        futures = [
            pool.submit(run_session, group, run, progress) for group in dealt(exercises, jobs)
        ]
        pending = set(futures)
        while pending:
            try:
                pending = wait(pending, timeout=POLL_S).not_done
            except KeyboardInterrupt as exc:
                run.stop.set(exc)
                pending = {future for future in pending if not future.cancel()}
        for future in futures:
            if not future.cancelled():
                try:
                    runs.update(future.result())
                except BaseException as exc:
                    run.stop.set(exc)  # the other threads stop before this is raised
                    raise
    return runs


def dealt(exercises: tuple[Exercise, ...], jobs: int) -> list[tuple[Exercise, ...]]:
    """The exercises dealt in course order into `jobs` groups (one each when jobs allow):
    a group is one checker, which imports torch once for all of its exercises."""
    count = min(jobs, len(exercises))
    return [exercises[start::count] for start in range(count)]


def serialised(progress: Progress) -> Progress:
    """Progress reports from several threads, one at a time."""
    lock = threading.Lock()

    def report(name: str, done: int, total: int, note: str) -> None:
        with lock:
            progress(name, done, total, note)

    return report
