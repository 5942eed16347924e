"""`grade`: parse options, call the API, write the report. No grading logic lives here.

Exit codes: 0 graded, 1 score under --fail-under, 2 bad usage, 3 the grader itself failed.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click

from grader import __version__, api, github
from grader.engine import signals
from grader.engine.events import CheckSpec
from grader.engine.runner import collect
from grader.errors import GraderError, GradingInterrupted, UsageError
from grader.formats import Format, render, text
from grader.report import Report, exact_sum, write_atomic
from grader.settings import Settings, cli_options, from_cli

T = TypeVar("T")
EXIT_UNDER = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3


class ProgressLine:
    """Progress on stderr: one rewritten line on a terminal, plain lines otherwise."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()

    def __call__(self, name: str, done: int, total: int, note: str) -> None:
        line = f"  {name}: {done}/{total} checks" + (f" | {note}" if note else "")
        if self.tty:
            click.echo(f"\r\x1b[2K{line}", err=True, nl=done == total and not note)
        elif note or done == total:
            click.echo(line, err=True)


def list_checks(settings: Settings) -> None:
    """Print the exercises (--only) and their checks (--check) with the course's points,
    running no student code; hidden checks are listed and marked with --all-checks. Every
    check is collected, so each points and visibility key of the course is checked."""
    settings = api.with_course(settings)
    selected = settings.course.select(settings.only)
    every = dataclasses.replace(settings, all_checks=True)
    collection = collect(every.course.select(settings.only), every)
    grand, shown = 0.0, 0.0
    for exercise in selected:
        specs = [s for s in collection[exercise.name] if listed(s, settings)]
        total = exact_sum(s.points for s in specs)
        grand += total
        shown += exact_sum(s.points for s in specs if s.visibility == "visible")
        click.echo(f"{exercise.name} ({exercise.title}): {len(specs)} checks, {total:g} points")
        for spec in specs:
            seen = "" if spec.visibility == "visible" else f"  [{spec.visibility}]"
            click.echo(f"  {spec.points:>4g}  {spec.id}  {spec.name}{seen}")
    check_keys(settings, collection)
    source = settings.course.source or "the built-in course"
    visible = f", {shown:g} of them in visible checks" if shown != grand else ""
    click.echo(f"total: {grand:g} points{visible} ({source})")


def listed(spec: CheckSpec, settings: Settings) -> bool:
    wanted = settings.select
    seen = settings.all_checks or spec.visibility == "visible"
    return seen and (not wanted or spec.id.startswith(wanted))


def check_keys(settings: Settings, collection: dict[str, list[CheckSpec]]) -> None:
    """Every points and visibility key of the course names a check: a typo would
    otherwise change nothing, silently."""
    parsed = settings.course
    ids = [spec.id for specs in collection.values() for spec in specs]
    unmatched = parsed.unmatched(ids, set(collection))
    if unmatched:
        name = Path(parsed.source).name
        raise UsageError(f"{name}: {unmatched[0]} matches no check; grade --list --all-checks")


def grade_and_write(
    path: Path,
    settings: Settings,
    fmt: Format,
    outputs: list[tuple[Format, Path]],
    verbose: bool,
) -> Report:
    """Grade, then print and write; on Ctrl-C or a termination signal write what was graded
    and exit."""
    check_writable(outputs)
    progress = ProgressLine() if fmt is Format.TEXT else None
    with signals.guarded() as ignored:
        try:
            report = api.grade(path, settings, progress)
        except GradingInterrupted as stop:
            emit(stop.report, fmt, outputs, verbose)  # type: ignore[arg-type]
            click.echo(f"grade: {stop}; unfinished checks are marked in the report", err=True)
            sys.exit(stop.exit_code)
    if ignored:
        click.echo(f"grade: ignored {len(ignored)} signal(s) sent by the submission", err=True)
    emit(report, fmt, outputs, verbose)
    return report


def guard(action: Callable[[], T]) -> T:
    """Usage errors exit 2 with one line; a failure of the grader itself exits 3."""
    try:
        return action()
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    except Exception as exc:
        if "-v" in sys.argv or "--verbose" in sys.argv:
            traceback.print_exc()
        kind = "" if isinstance(exc, GraderError) else f"{type(exc).__name__}: "
        click.echo(f"grade: internal error: {kind}{exc}", err=True)
        sys.exit(EXIT_INTERNAL)


def no_colour(env: Mapping[str, str]) -> bool:
    """NO_COLOR (any value, https://no-color.org) or TERM=dumb turn colours off on a terminal."""
    return bool(env.get("NO_COLOR")) or env.get("TERM") == "dumb"


def check_writable(outputs: list[tuple[Format, Path]]) -> None:
    """Fail before grading, not after, when a report could not be written."""
    for _, path in outputs:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK) or path.is_dir():
            raise UsageError(f"cannot write {path}")


def parse_outputs(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> list[tuple[Format, Path]]:
    """FORMAT=PATH pairs; a bad format or a missing '=' is a usage error."""
    del ctx, param
    outputs = []
    for value in values:
        name, sep, path = value.partition("=")
        if not sep or not path or name not in {f.value for f in Format}:
            choices = ", ".join(f.value for f in Format)
            raise click.BadParameter(
                f"{value!r}: expected FORMAT=PATH with FORMAT one of {choices}"
            )
        outputs.append((Format(name), Path(path)))
    return outputs


def emit(report: Report, fmt: Format, outputs: list[tuple[Format, Path]], verbose: bool) -> None:
    """Print one format, write the others, then publish to GitHub Actions when inside it."""
    shown = text.render(report, verbose) if fmt is Format.TEXT else render(report, fmt)
    click.echo(shown, nl=False, color=False if no_colour(os.environ) else None)
    for output_format, path in outputs:
        write_atomic(path, render(report, output_format))
    classroom = fmt is Format.CLASSROOM or any(f is Format.CLASSROOM for f, _ in outputs)
    github.publish(report, os.environ, classroom)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("path", type=click.Path(path_type=Path), default=Path("exercises"))
@cli_options("grade")
@click.option("--list", "list_only", is_flag=True, help="List exercises and checks; run nothing.")
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the JSON report to this file (atomically).",
)
@click.option(
    "--output",
    "outputs",
    multiple=True,
    callback=parse_outputs,
    metavar="FORMAT=PATH",
    help="Also write FORMAT to PATH, e.g. junit=report.xml (repeatable).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice([f.value for f in Format]),
    default=Format.TEXT.value,
    show_default=True,
    help="What to print on stdout.",
)
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 100),
    help="Exit with 1 when the score is below this percentage.",
)
@click.option(
    "-v",
    "--verbose",
    is_flag=True,
    help="Also show where your code raised (your own lines) and what it printed.",
)
@click.version_option(__version__, prog_name="grade")
def main(
    path: Path,
    list_only: bool,
    json_path: Path | None,
    outputs: list[tuple[Format, Path]],
    fmt: str,
    fail_under: float | None,
    verbose: bool,
    **options: Any,
) -> None:
    """Grade the exercise files in PATH (default: exercises/) and print the score.

    The checks run in a checker process with time limits per check and per exercise, and
    each exercise's student code runs in its own boxed worker process (the report's
    environment.isolation says how); it never runs where scores are decided. Use --json
    or --output FORMAT=PATH to keep reports.

    \b
    Examples:
      grade                                  grade exercises/
      grade solutions/ --only tensors        one exercise of the reference
      grade sub/ --output junit=report.xml   also write JUnit XML
    \b
    Exit codes: 0 graded, 1 under --fail-under, 2 bad usage, 3 the grader failed,
    130 Ctrl-C, 143 SIGTERM, 128+N SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2 (the report is
    still written).
    """
    settings = from_cli(options)
    if list_only:
        guard(lambda: list_checks(settings))
        return
    outputs = [*outputs, *([(Format.JSON, json_path)] if json_path else [])]
    report = guard(lambda: grade_and_write(path, settings, Format(fmt), outputs, verbose))
    faults = [c.id for c in report.checks() if c.details.get("grader_fault")]
    if faults:
        click.echo(
            f"grade: internal error: {len(faults)} check(s) failed through no fault of the "
            f"submission ({', '.join(faults[:3])}): grade again",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)
    if fail_under is not None and report.percent < fail_under:
        click.echo(
            f"grade: score {report.percent:.1f} % is under --fail-under {fail_under:g} %", err=True
        )
        sys.exit(EXIT_UNDER)
