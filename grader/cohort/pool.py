"""Grade packed submissions in parallel, here or on a Dask cluster, one result at a time.

Each submission is graded by the `grade` command itself, in its own process, from a
temporary folder written from the submission's bytes: the same engine, sandbox and
limits as a student's run, and nothing shared between submissions. Locally a thread
pool runs several `grade` processes side by side; with a scheduler address the same
function runs on Dask workers (no shared file system: files travel as bytes, MNIST
comes from each worker's data folder or cache). Results come back to the caller in the
order they finish, so the gradebook can commit each one at once.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

from grader import __version__
from grader.cohort.entries import Packed, unpack
from grader.cohort.gradebook import Graded
from grader.errors import UsageError
from grader.settings import Settings

OUTPUT_TAIL = 400
INTERRUPTED = (130, 143)  # grade's exit codes after Ctrl-C or SIGTERM


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


def grade_files(student: str, files: dict[str, bytes], settings: Settings) -> Graded:
    """Grade one submission from its bytes with the `grade` command; runs on any worker.
    Nothing about one submission stops the class: what fails here is its problem."""
    started = time.monotonic()
    packed = Packed(student, files)
    try:
        done = run_grade(packed, settings)
    except OSError as exc:  # the files could not be written back, or grade not started
        done = subprocess.CompletedProcess([], 1, b"", f"{type(exc).__name__}: {exc}".encode())
    report = parse_report(done.stdout)
    if done.returncode in INTERRUPTED:
        raise Interrupted(f"grading {student} was interrupted")
    problem = "" if report else failure(done)
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


def run_grade(packed: Packed, settings: Settings) -> subprocess.CompletedProcess[bytes]:
    with tempfile.TemporaryDirectory(prefix="grade-class-") as tmp:
        folder = unpack(packed, Path(tmp) / "submission")
        # The report comes back on grade's stdout, a pipe only this process reads: a file
        # could be rewritten by a process the submission left running.
        command = [sys.executable, "-m", "grader", str(folder), "--format=json"]
        return subprocess.run(
            [*command, *settings.arguments(), "--jobs=1"],
            env=child_env(settings),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
        )


def child_env(settings: Settings) -> dict[str, str]:
    """`grade`'s environment: this one without the course secret (the seed is already
    drawn), plus the settings passed there rather than on the command line."""
    secret = settings.course.seed_secret_env
    kept = {k: v for k, v in os.environ.items() if not secret or k != secret}
    return {**kept, **settings.environment()}


def parse_report(stdout: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(stdout.decode("utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def failure(done: subprocess.CompletedProcess[bytes]) -> str:
    """Why `grade` left no report: its exit code and the end of what it printed."""
    said = (done.stderr or b"").decode("utf-8", "replace").strip()
    return f"grade exited with {done.returncode} and no report: {said[-OUTPUT_TAIL:]}"


Finished = Callable[[Graded], None]


def run_local(work: Sequence[Packed], settings: Settings, workers: int, done: Finished) -> None:
    """Grade in `workers` threads, each driving one `grade` process; report each result."""
    queue: Iterator[Packed] = iter(work)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade") as pool:
        running: set[Future[Graded]] = set()
        try:
            for packed in queue:
                own = for_student(settings, packed.student)
                running.add(pool.submit(grade_files, packed.student, packed.files, own))
                if len(running) >= workers:
                    running = collect(running, done)
            while running:
                running = collect(running, done)
        except BaseException:
            for future in running:
                future.cancel()
            raise


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
