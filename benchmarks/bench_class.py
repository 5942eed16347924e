"""Grading a class: grade-class against the README's serial loop, in one run on one machine.

A synthetic class of --size submissions (solutions, untouched stubs, half-done ones whose
second half of functions are stubs, and broken ones with a syntax error) is graded four
ways, each a whole process tree, each into a fresh output folder:

1. baseline: the README's shell loop, one `grade` after the other;
2. `grade-class --workers 1`: the same work serially, so the difference is grade-class's
   own overhead per submission (packing, hashing, SQLite, exports, report.html);
3. `grade-class` with its default pool (CPU cores // --threads);
4. `grade-class --scheduler` on a local Dask cluster (a scheduler and --dask-workers
   single-threaded workers, started here).

    python benchmarks/bench_class.py --data-dir ../shared/data [--size 24] [--only tensors]

With --before REV, grade-class as it was at that revision runs first on the same class,
as the baseline (#25 measured the forkserver and the per-submission box against 73b38ec,
the grade-class that ran one `grade` process per submission).
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import click

ROOT = Path(__file__).resolve().parents[1]
KINDS = ("solution", "stub", "half", "broken")


def half_done(solution: str, stub: str) -> str:
    """The solution's functions up to the middle of the file, the stub's after it."""
    cut = solution.index("\ndef ", len(solution) // 2)
    rest = stub.index(solution[cut : solution.index("(", cut)])
    return solution[:cut] + stub[rest - 1 :]


def make_class(root: Path, size: int, only: Sequence[str]) -> None:
    for i in range(size):
        kind = KINDS[i % len(KINDS)]
        folder = root / f"s{i:03d}-{kind}"
        folder.mkdir(parents=True)
        for name in only:
            solution = (ROOT / "solutions" / f"{name}.py").read_text(encoding="utf-8")
            stub = (ROOT / "exercises" / f"{name}.py").read_text(encoding="utf-8")
            text = {
                "solution": solution,
                "stub": stub,
                "half": half_done(solution, stub),
                "broken": solution.replace("\ndef ", "\ndef def ", 1),
            }[kind]
            (folder / f"{name}.py").write_text(text, encoding="utf-8")


def timed(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


@contextmanager
def dask_cluster(workers: int, folder: Path) -> Iterator[str]:
    """A `dask scheduler` and `workers` one-thread `dask worker` processes on localhost."""
    dask = str(Path(sys.executable).with_name("dask"))
    info = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs = [
        subprocess.Popen(
            [
                dask,
                "scheduler",
                "--scheduler-file",
                str(info),
                "--port",
                "0",
                "--dashboard-address",
                ":0",
                "--host",
                "127.0.0.1",
            ],
            **quiet,  # type: ignore[call-overload]
        )
    ]
    try:
        while not info.exists():
            time.sleep(0.2)
        address = json.loads(info.read_text(encoding="utf-8"))["address"]
        procs += [
            subprocess.Popen(
                [
                    dask,
                    "worker",
                    address,
                    "--nthreads",
                    "1",
                    "--no-dashboard",
                    "--host",
                    "127.0.0.1",
                ],
                **quiet,  # type: ignore[call-overload]
            )
            for _ in range(workers)
        ]
        from distributed import Client

        with Client(address) as client:  # type: ignore[no-untyped-call]
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@click.command()
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--size", type=click.IntRange(min=4), default=24, show_default=True)
@click.option("--only", multiple=True, default=("tensors",), show_default=True)
@click.option("--pool", type=click.IntRange(min=1), multiple=True, help="Also these --workers.")
@click.option("--overhead/--no-overhead", default=True, help="Run grade-class --workers 1.")
@click.option("--dask-workers", type=click.IntRange(min=0), default=2, show_default=True)
@click.option("--serial/--no-serial", default=True, help="Run the README's serial loop.")
@click.option(
    "--before",
    metavar="REV",
    help="Also run grade-class as it was at this git revision (a worktree of it), on the "
    "same class, and check that both give every student the same points.",
)
def main(
    data_dir: Path,
    size: int,
    only: tuple[str, ...],
    pool: tuple[int, ...],
    overhead: bool,
    dask_workers: int,
    serial: bool,
    before: str | None,
) -> None:
    """Throughput of grade-class against the serial loop (or an earlier grade-class), and
    its overhead per submission."""
    env = {**os.environ, "GRADER_DATA_DIR": str(data_dir.resolve())}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        make_class(work / "class", size, only)
        flags = [f"--only={name}" for name in only]
        grade = " ".join([sys.executable, "-m", "grader", *flags, "--no-download"])
        loop = (
            f"mkdir -p {work}/loop && for d in {work}/class/*/; do "
            f'{grade} "$d" --json "{work}/loop/$(basename "$d").json" >/dev/null || true; done'
        )
        cls = [sys.executable, "-m", "grader.cohort", str(work / "class"), *flags, "--no-download"]
        times = {SERIAL: timed(["bash", "-c", loop], env)} if serial else {}
        if before:
            times[f"{BEFORE} ({before})"] = timed_before(
                before, [*cls, "--out", f"{work}/before"], env, work
            )
        if overhead:
            times[ONE] = timed([*cls, "--out", f"{work}/w1", "--workers", "1"], env)
        times[DEFAULT] = timed([*cls, "--out", f"{work}/pool"], env)
        for workers in pool:
            times[f"grade-class --workers {workers}"] = timed(
                [*cls, "--out", f"{work}/pool{workers}", "--workers", str(workers)], env
            )
        if dask_workers:
            with dask_cluster(dask_workers, work) as address:
                times[f"grade-class on Dask ({dask_workers} workers)"] = timed(
                    [*cls, "--out", f"{work}/dask", "--scheduler", address], env
                )
        report(times, size, os.cpu_count() or 1, only)
        if before:
            same_points(work / "before" / "grades.csv", work / "pool" / "grades.csv")


def timed_before(rev: str, command: list[str], env: dict[str, str], work: Path) -> float:
    """grade-class as it was at `rev`: run from a worktree of it, whose `grader` package
    every process it starts finds first (on PYTHONPATH, which the checkers and workers
    keep: they start in other folders, where the installed checkout would be found)."""
    tree = work / "before-tree"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev], check=True
    )
    try:
        started = time.perf_counter()
        own = {**env, "PYTHONPATH": str(tree)}
        subprocess.run(command, check=True, env=own, cwd=tree, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started
    finally:
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True
        )


def same_points(first: Path, second: Path) -> None:
    """Both grade-classes gave every student the same total (or stop the benchmark)."""

    def totals(path: Path) -> dict[str, str]:
        with path.open(encoding="utf-8") as handle:
            return {row["student"]: row["total"] for row in csv.DictReader(handle)}

    if totals(first) != totals(second):
        raise SystemExit(f"the points differ:\n{totals(first)}\n{totals(second)}")
    print(f"same points for all {len(totals(first))} submissions before and now")


SERIAL, ONE, DEFAULT, BEFORE = (
    "serial loop (README)",
    "grade-class --workers 1",
    "grade-class (default pool)",
    "grade-class before",
)


def report(times: dict[str, float], size: int, cores: int, only: Sequence[str]) -> None:
    """Each way's time and rate, as a ratio to the first one run (the baseline)."""
    first = next(iter(times))
    baseline = times[first]
    print(f"{size} submissions (--only {' '.join(only)}), {cores} cores; baseline: {first}")
    for name, seconds in times.items():
        rate = 60 * size / seconds
        print(f"  {name:<40} {seconds:7.1f} s  {rate:6.1f} /min  {baseline / seconds:5.2f}x")
    if ONE in times and SERIAL in times:
        overhead = (times[ONE] - times[SERIAL]) / size
        print(f"grade-class overhead per submission beyond grading: {overhead:+.2f} s (< 1 s)")
    if SERIAL in times:
        speedup = times[SERIAL] / times[DEFAULT]
        print(f"default pool: {speedup:.2f}x the serial loop (target >= 1.3x on two cores)")
    earlier = next((name for name in times if name.startswith(BEFORE)), None)
    if earlier:
        speedup = times[earlier] / times[DEFAULT]
        print(f"default pool: {speedup:.2f}x {earlier} (target >= 1.5x on two cores)")


if __name__ == "__main__":
    main()
