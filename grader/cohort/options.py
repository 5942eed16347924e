"""What `grade-class` does besides grading, declared once: deadlines and the late policy,
the LMS import file and its roster, feedback files and the starter code that similarity
subtracts. Each option becomes a typed field of `ClassOptions` where it enters (an
unknown LMS, a date that does not parse or a missing roster fails at once, in one line).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import click

from grader.cohort import deadlines
from grader.cohort.lms import Lms
from grader.cohort.roster import Person, read_roster
from grader.errors import UsageError

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_STARTER = Path("exercises")


@dataclass(frozen=True)
class ClassOptions:
    """The class workflow's settings (grading's own are grader.settings.Settings)."""

    policy: deadlines.Policy = field(default_factory=deadlines.Policy)
    lms: Lms | None = None
    roster: tuple[Person, ...] | None = None
    column: str = "Autograder"
    feedback: bool = True
    starter: Path | None = None
    similarity: float = 0.6


def finite(context: click.Context, parameter: click.Parameter, value: float) -> float:
    """click's FloatRange lets nan through, and min(cap, nan) is the cap."""
    if not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a number of percent")
    return value


def percent_option(flag: str, default: float, text: str) -> Callable[[F], F]:
    return click.option(
        flag,
        type=click.FloatRange(0, 100),
        callback=finite,
        default=default,
        show_default=True,
        help=text,
    )


OPTIONS: list[Callable[[F], F]] = [
    click.option(
        "--deadline",
        metavar="TIME",
        help="Due time, ISO 8601 (2026-12-01T23:59+01:00; no zone means UTC). A submission's "
        "time is its clone's last commit or Gradescope's; folders and zips have none.",
    ),
    percent_option(
        "--late-penalty",
        0.0,
        "Percent of the points taken per day (or part of one) after the deadline.",
    ),
    percent_option("--late-cap", 100.0, "At most this percent is taken for lateness."),
    click.option(
        "--extensions",
        type=click.Path(dir_okay=False, path_type=Path),
        help="CSV of student,days (added to the deadline) or student,deadline.",
    ),
    click.option(
        "--lms",
        type=click.Choice([lms.value for lms in Lms]),
        help="Also write the grade import file of this LMS (needs --roster, but generic).",
    ),
    click.option(
        "--roster",
        type=click.Path(dir_okay=False, path_type=Path),
        help="CSV mapping student ids to LMS users: name, lms_id, login, sis_id, email, "
        "section, github, sid, student.",
    ),
    click.option(
        "--lms-column",
        default="Autograder",
        show_default=True,
        help="The LMS's grade column, e.g. 'Homework 1 (12345)' (Canvas matches the id).",
    ),
    click.option(
        "--feedback/--no-feedback",
        default=True,
        show_default=True,
        help="Write feedback/<student>.md and .html, one pair per student, to hand back.",
    ),
    click.option(
        "--starter",
        type=click.Path(file_okay=False, path_type=Path),
        help="The handed-out stubs, which similarity leaves out [default: ./exercises].",
    ),
    click.option(
        "--similarity",
        type=click.FloatRange(0, 1),
        default=0.6,
        show_default=True,
        help="List pairs whose code is at least this alike (0-1) in the report.",
    ),
]

NAMES = (  # the parameters the options above add, taken out of grade-class's own
    "deadline", "late_penalty", "late_cap", "extensions", "lms", "roster", "lms_column",
    "feedback", "starter", "similarity",
)  # fmt: skip


def class_options(function: F) -> F:
    for option in reversed(OPTIONS):
        function = option(function)
    return function


def from_cli(values: dict[str, Any]) -> ClassOptions:
    """The options as typed fields; a bad value is one line naming the option."""
    deadline = values["deadline"]
    due = deadlines.parse_time(deadline, "--deadline") if deadline else None
    extensions = values["extensions"]
    policy = deadlines.Policy(
        due,
        values["late_penalty"],
        values["late_cap"],
        deadlines.read_extensions(extensions, due) if extensions else {},
    )
    lms = Lms(values["lms"]) if values["lms"] else None
    roster = tuple(read_roster(values["roster"])) if values["roster"] else None
    if lms not in (None, Lms.GENERIC) and roster is None:
        raise UsageError(f"--lms {values['lms']} needs --roster FILE (who each student is there)")
    starter = values["starter"]
    if starter is None and DEFAULT_STARTER.is_dir():
        starter = DEFAULT_STARTER
    return ClassOptions(
        policy,
        lms,
        roster,
        values["lms_column"],
        values["feedback"],
        starter,
        values["similarity"],
    )
