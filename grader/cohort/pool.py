"""Grade packed submissions in parallel, here or on a Dask cluster, one result at a time.

Each submission is graded by the grading pipeline (`api.grade`, as `grade` runs it) from
a temporary folder written from the submission's bytes: the same engine, sandbox and
limits as a student's run. Its checker is a fresh process and its workers live in a box
of its own: nothing is shared between submissions. Locally a thread pool grades several
side by side, and their checkers are forked from one forkserver for the class
(grader/engine/forkserver.py), so torch, pytest and MNIST are loaded once, not once per
submission. With a scheduler address the same function runs on Dask workers (no shared
file system: files travel as bytes, MNIST comes from each worker's data folder or cache).
Results come back to the caller in the order they finish, so the gradebook can commit
each one at once.
"""

from __future__ import annotations

import dataclasses
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from grader import __version__, api
from grader.cohort.entries import Packed, unpack
from grader.cohort.gradebook import Graded
from grader.engine.checkers import Stop, checker_env
from grader.engine.forkserver import Forkserver
from grader.errors import GraderError, GradingInterrupted, UsageError
from grader.report import dumps
from grader.settings import Settings

OUTPUT_TAIL = 400


class Interrupted(Exception):
    """A `grade` run was stopped before it finished: its partial report is not a grade."""


def grade_key(settings: Settings) -> str:
    """What decides a grade besides the content: the grader's version and the decisive
    settings (not where MNIST lies), as one JSON object with names; equal keys and content
    mean equal grades."""
    return json.dumps({"grader_version": __version__, **json.loads(settings.key())}, sort_keys=True)


def for_student(settings: Settings, student: str) -> Settings:
    """The settings one student is graded with: the course's seed of their own (an HMAC of
    their id under the course secret), else the run's."""
    return dataclasses.replace(settings, seed=settings.course.seed_for(student, settings.seed))


def grade_files(
    student: str,
    files: dict[str, bytes],
    settings: Settings,
    stop: Stop | None = None,
    forks: Forkserver | None = None,
) -> Graded:
    """Grade one submission from its bytes with the grading pipeline; runs on any worker.
    Nothing about one submission stops the class: what fails here is its problem."""
    started = time.monotonic()
    packed = Packed(student, files)
    report, problem = grade_packed(packed, dataclasses.replace(settings, jobs=1), stop, forks)
    if report:
        report["submission"] = student
    return Graded(
        student=student,
        content_hash=packed.content_hash,
        settings=grade_key(settings),
        grader_version=__version__,
        seed=settings.seed,
        device=str((report or {}).get("environment", {}).get("device", settings.device.value)),
        duration_s=round(time.monotonic() - started, 3),
        report=report,
        problem=problem,
    )


def grade_packed(
    packed: Packed, settings: Settings, stop: Stop | None, forks: Forkserver | None
) -> tuple[dict[str, Any] | None, str]:
    """The report as JSON data, or why there is none. An interruption is no grade."""
    try:
        with tempfile.TemporaryDirectory(prefix="grade-class-") as tmp:
            folder = unpack(packed, Path(tmp) / "submission")
            report = api.grade(folder, settings, stop=stop, forks=forks)
    except GradingInterrupted:
        raise Interrupted(f"grading {packed.student} was interrupted") from None
    except OSError as exc:  # the files could not be written back
        return None, f"the submission could not be unpacked: {type(exc).__name__}: {exc}"
    except Exception as exc:  # a usage error, or the grader's own failure: never the class's
        kind = "" if isinstance(exc, GraderError | UsageError) else f"{type(exc).__name__}: "
        return None, f"grade failed: {kind}{exc}"[:OUTPUT_TAIL]
    return json.loads(dumps(report)), ""


Finished = Callable[[Graded], None]


def run_local(work: Sequence[Packed], settings: Settings, workers: int, done: Finished) -> None:
    """Grade in `workers` threads, one submission each, with checkers forked from one
    forkserver for the class; report each result. Ctrl-C stops every thread's checker."""
    queue: Iterator[Packed] = iter(work)
    stop = Stop()
    with (
        Forkserver(settings.data_dir, forkserver_env(settings)) as forks,
        ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade") as pool,
    ):
        running: set[Future[Graded]] = set()
        try:
            for packed in queue:
                own = for_student(settings, packed.student)
                task = pool.submit(grade_files, packed.student, packed.files, own, stop, forks)
                running.add(task)
                if len(running) >= workers:
                    running = collect(running, done)
            while running:
                running = collect(running, done)
        except BaseException as exc:
            stop.set(exc)
            for future in running:
                future.cancel()
            raise


def forkserver_env(settings: Settings) -> dict[str, str]:
    """The forkserver's environment: a checker's, without a run's marker (each checker it
    forks gets its own: grader/engine/checkers.py), never the course secret."""
    return checker_env(settings, token="")


def collect(running: set[Future[Graded]], done: Finished) -> set[Future[Graded]]:
    finished, pending = wait(running, return_when=FIRST_COMPLETED)
    for future in finished:
        done(future.result())
    return pending


def run_dask(work: Sequence[Packed], settings: Settings, address: str, done: Finished) -> None:
    """Send every submission to the cluster at `address`; record results as they finish."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise UsageError(
            "--scheduler needs Dask: pip install -e '.[cluster]' (on this machine and the workers)"
        ) from None
    try:
        client = Client(address, timeout="20s")  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise UsageError(f"--scheduler {address}: cannot connect ({exc})") from None
    with client:
        futures = [
            client.submit(
                grade_files,
                p.student,
                p.files,
                for_student(settings, p.student),
                pure=False,
                key=f"grade-{i}",
            )
            for i, p in enumerate(work)
        ]
        try:
            for future in as_completed(futures):  # type: ignore[no-untyped-call]
                done(future.result())
        except BaseException:
            client.cancel(futures)  # type: ignore[no-untyped-call]
            raise
