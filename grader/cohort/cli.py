"""`grade-class SUBMISSIONS --out DIR`: a whole class into one gradebook, CSVs and a report.

Pipeline: discover entries -> pack each (bytes + hash) -> skip what the gradebook already
has -> grade the rest in parallel (or on Dask) -> commit each result -> write everything
else from the gradebook (grader.cohort.outputs).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from grader import __version__, data
from grader.api import with_course
from grader.cohort import entries, pool
from grader.cohort.gradebook import Gradebook, Graded, locked
from grader.cohort.options import NAMES, ClassOptions, class_options
from grader.cohort.options import from_cli as options_from_cli
from grader.course import Course
from grader.errors import UsageError
from grader.settings import Settings, cli_options, from_cli

EPILOG = """\b
Examples:
  grade-class submissions/ --out grades/             every folder or .zip in submissions/
  grade-class hw1-submissions/ --out grades/         after gh classroom clone student-repos
  grade-class export/ --out grades/ --only mlp       a Gradescope export, one exercise
  grade-class subs/ --out grades/ --scheduler tcp://head:8786   on a Dask cluster
  grade-class hw1-submissions/ --out grades/ --deadline 2026-12-01T23:59+01:00 \\
      --late-penalty 10 --late-cap 50 --lms canvas --roster roster.csv \\
      --lms-column "Homework 1 (12345)"

\b
Rerunning the same command grades only what is new or changed (by content hash);
--regrade grades everything again. Ctrl-C keeps every finished result.
"""


def local_data(settings: Settings) -> Path | None:
    """Find (or download once) MNIST here, so parallel `grade` processes never race to
    download it; None when no selected exercise needs it or it cannot be had (each
    report then says why)."""
    if not any(e.needs_mnist for e in settings.course.select(settings.only)):
        return settings.data_dir
    try:
        return data.locate(settings.data_dir, settings.download)
    except data.MnistError:
        return settings.data_dir


def require_secret(course: Course) -> None:
    """A course that asks for per-student seeds must have its secret here: grading with
    the public seed instead would hand every student the inputs they practised on."""
    if course.seed_secret_env and not os.environ.get(course.seed_secret_env):
        raise UsageError(
            f"{Path(course.source).name} asks for per-student seeds: set "
            f"${course.seed_secret_env} to the course secret (never commit it)"
        )


def unique(found: list[entries.Entry]) -> list[entries.Entry]:
    """A student id that appears twice (alice/ and alice.zip) keeps both, numbered."""
    seen: dict[str, int] = {}
    result = []
    for entry in found:
        seen[entry.student] = seen.get(entry.student, 0) + 1
        count = seen[entry.student]
        result.append(
            entry
            if count == 1
            else dataclasses.replace(entry, student=f"{entry.student} ({count})")
        )
    return result


def problem_row(packed: entries.Packed, settings: Settings) -> Graded:
    return Graded(
        student=packed.student,
        content_hash="",
        settings=pool.grade_key(settings),
        grader_version=__version__,
        seed=settings.seed,
        device=settings.device.value,
        duration_s=0.0,
        report=None,
        problem=packed.problem,
    )


def grade_class(
    root: Path,
    out: Path,
    settings: Settings,
    workers: int,
    scheduler: str | None,
    regrade: bool,
    options: ClassOptions,
) -> None:
    found = unique(entries.discover(root))
    if not found:
        raise UsageError(f"no submissions in {root}: expected one folder or .zip per student")
    with locked(out):
        book = Gradebook(out / "gradebook.sqlite")
        try:
            packed = [entries.pack(e, settings.course.names()) for e in found]
            todo = plan(book, packed, settings, regrade)
            unreadable = sum(1 for p in packed if p.problem)
            kept = len(found) - len(todo) - unreadable
            click.echo(
                f"{len(found)} submissions: {len(todo)} to grade, {kept} unchanged, "
                f"{unreadable} unreadable",
                err=True,
            )
            try:
                run(book, todo, settings, workers, scheduler)
            finally:
                from grader.cohort import outputs  # after require_report_libraries

                written = outputs.write_all(book, out, found, packed, settings, options)
                for warning in outputs.warnings(found, options.policy):
                    click.echo(f"Warning: {warning}", err=True)
                click.echo(f"Wrote {wrote(written, out)}", err=True)
        finally:
            book.close()


def wrote(paths: list[Path], out: Path) -> str:
    """The files written, the feedback folder as one item: a class has hundreds."""
    feedback = [p for p in paths if p.parent == out / "feedback"]
    shown = [str(p) for p in paths if p not in feedback]
    if feedback:
        shown.append(f"{out / 'feedback'}/ ({len(feedback)} files)")
    return ", ".join(shown)


def plan(
    book: Gradebook, packed: list[entries.Packed], settings: Settings, regrade: bool
) -> list[entries.Packed]:
    """Record unreadable entries now; return what must be graded."""
    todo = []
    for item in packed:
        own = pool.for_student(settings, item.student)
        if item.problem:
            book.record(problem_row(item, own))
        elif regrade or not book.current(item.student, item.content_hash, pool.grade_key(own)):
            todo.append(item)
    return todo


def describe(graded: Graded) -> str:
    if graded.report is None:
        return f"{graded.student}: {graded.problem}"
    return f"{graded.student}: {graded.report['score']:g}/{graded.report['max_score']:g}"


def run(
    book: Gradebook,
    todo: list[entries.Packed],
    settings: Settings,
    workers: int,
    scheduler: str | None,
) -> None:
    """Grade `todo`, committing each result; a bar on a terminal, a line per result in logs."""
    failed, finished = 0, 0
    terminal = sys.stderr.isatty()

    def status(student: object) -> str:
        return f"{failed} failed  {student or ''}"

    with click.progressbar(
        length=len(todo),
        label="Grading",
        show_eta=True,
        show_pos=True,
        item_show_func=status,
        file=sys.stderr,
    ) as bar:

        def done(graded: Graded) -> None:
            nonlocal failed, finished
            book.record(graded)
            failed += bool(graded.problem)
            finished += 1
            bar.update(1, graded.student)
            if not terminal:
                click.echo(f"[{finished}/{len(todo)}] {describe(graded)}", err=True)

        if scheduler:
            pool.run_dask(todo, settings, scheduler, done)
        else:
            pool.run_local(todo, settings, workers, done)


INTERRUPTED = "Interrupted: every finished result is saved; rerun the command to grade the rest."


def default_workers(threads: int) -> int:
    return max(1, (os.cpu_count() or 1) // threads)


def require_report_libraries() -> None:
    try:
        import copydetect  # noqa: F401
        import dulwich  # noqa: F401
        import matplotlib  # noqa: F401
        import yaml  # noqa: F401
    except ImportError as exc:
        raise UsageError(
            f"grade-class needs {exc.name}: pip install -e '.[class]' "
            "(matplotlib, PyYAML, copydetect, dulwich)"
        ) from None


@click.command(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for gradebook.sqlite, grades.csv, checks.csv, report.html, feedback/ "
    "and the LMS file.",
)
@cli_options("grade-class", per="submission", threads=1, all_checks=True)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Submissions graded side by side here [default: CPU cores // --threads].",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Grade on the Dask cluster at this address (tcp://host:8786) instead.",
)
@click.option("--regrade", is_flag=True, help="Grade every submission again, changed or not.")
@class_options
def main(
    submissions: Path,
    out: Path,
    workers: int | None,
    scheduler: str | None,
    regrade: bool,
    **options: Any,
) -> None:
    """Grade every student's submission in SUBMISSIONS into a gradebook in --out.

    SUBMISSIONS holds one folder or .zip per student (the name is the student id), a
    GitHub Classroom clone, or a Gradescope export (submission_metadata.yml).
    """
    # Ctrl-C and `kill -INT` stop the class cleanly even when it was started with SIGINT
    # ignored (a background job of a script), which Python would otherwise leave ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        require_report_libraries()
        own = options_from_cli({name: options.pop(name) for name in NAMES})
        given = with_course(from_cli(options))
        require_secret(given.course)
        remote = scheduler is not None
        data_dir = given.data_dir if remote else local_data(given)
        settings = dataclasses.replace(given, data_dir=data_dir, download=given.download and remote)
        grade_class(
            submissions,
            out,
            settings,
            workers or default_workers(settings.threads),
            scheduler,
            regrade,
            own,
        )
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except (KeyboardInterrupt, pool.Interrupted):
        click.echo(f"\n{INTERRUPTED}", err=True)
        sys.exit(130)
