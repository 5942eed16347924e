"""Grade import files for learning-management systems, written from the class's final grades.

The instructor should upload a file, review the LMS's preview and be done: no hand-editing
of ids, no silent loss. So every student id is joined to an LMS user through the roster
(`grader.cohort.roster`), and whatever gets no grade in the LMS file (ungradable, no
submission, not in the roster, no id the LMS can match) is listed in `ungradable.csv`.

Layouts, from the LMS documentation and the importers' source:

- Canvas (`canvas.csv`): `Student,ID,SIS User ID,SIS Login ID,Section,<assignment>`, then a
  `Points Possible` row, then one row per student. Guide: "How do I import grades in the
  Gradebook?", https://community.canvaslms.com/t5/Instructor-Guide/How-do-I-import-grades-in-the-Gradebook/ta-p/807
  and https://teaching.resources.osu.edu/toolsets/carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades
  (name, ID or SIS User ID identify the student; SIS Login ID and Section are expected;
  every further column is an assignment, a new name creates one). The importer,
  https://github.com/instructure/canvas-lms/blob/master/app/models/gradebook_importer.rb,
  wants "Student" and "ID" first and "Section" last among the student columns, matches by
  ID, then SIS User ID, then SIS Login ID, then name, takes the assignment id from
  "Title (123)", reads "Points Possible" only for new assignments, and drops any column
  whose title contains "Final Score", "Current Grade" and the like.
- Moodle (`moodle.csv`): one identifier column and the grade column; the instructor maps
  the identifier in "Map from"/"Map to" (e-mail address or ID number, as
  https://docs.moodle.org/en/Grade_import advises). Moodle's loader,
  https://github.com/moodle/moodle/blob/main/grade/import/csv/classes/load_data.php,
  aborts the whole import on an identifier that matches no user, so a person without the
  chosen identifier is left out and listed.

A blank grade cell is not "no change" in either LMS: Canvas sends it as an empty grade
(its review page flags "update will remove grade", ui/features/gradebook_uploads) and Moodle
stores "no grade" ('' or '-' in load_data.php), so both erase a grade entered by hand. A
student with no grade therefore gets no row in canvas.csv or moodle.csv (an absent student
is untouched), never a 0; the generic file keeps a row with an empty score.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.cohort.roster import Person, members, read_roster
from grader.errors import UsageError
from grader.report import write_atomic

__all__ = ["Grade", "Lms", "Person", "Row", "match", "points", "read_roster", "text", "write"]

GRADED, UNGRADABLE, MISSING, STRANGER = "graded", "ungradable", "no submission", "not in roster"
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_DROPPED = re.compile(r"(Current|Final|Override) (Score|Points|Grade|Status)")
MOODLE_IDS = (("Email address", "email"), ("ID number", "lms_id"), ("Username", "login"))
GENERIC_COLUMNS = ("student", "name", "lms_id", "email", "section", "score", "max_score")
NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


class Lms(enum.Enum):
    CANVAS = "canvas"
    MOODLE = "moodle"
    GENERIC = "generic"


@dataclass(frozen=True)
class Row:
    """One graded entry: `student` is the grader's id ('id1+id2' for a group), `score` the
    final points or None when ungradable (then `problem` says why)."""

    student: str
    score: float | None
    max_score: float
    problem: str = ""
    members: tuple[str, ...] = ()  # a group's ids, when the entry knew them apart

    def ids(self) -> list[str]:
        return list(self.members) or members(self.student)


@dataclass(frozen=True)
class Grade:
    """One line of the result: a roster person (or an id the roster lacks) and their grade."""

    student: str
    person: Person | None
    score: float | None
    max_score: float
    status: str
    reason: str = ""


Table = list[list[str]]
Unplaced = list[tuple[Grade, str]]


def write(
    lms: Lms, rows: Sequence[Row], roster: Sequence[Person] | None, folder: Path, column: str
) -> list[Path]:
    """Write the import file for `lms` and ungradable.csv into `folder`; their paths."""
    if roster is None and lms is not Lms.GENERIC:
        raise UsageError(
            f"a {lms.value} import needs --roster ROSTER.csv: a CSV with the students' ids "
            "(github, sid, email, student) and their LMS ids (lms_id, sis_id, login, email)"
        )
    check_column(lms, column)
    maximum = max((row.max_score for row in rows), default=0.0)
    grades = match(rows, roster, maximum)
    name, table, unplaced = WRITERS[lms](grades, column, maximum)
    folder.mkdir(parents=True, exist_ok=True)
    written = [folder / name, folder / "ungradable.csv"]
    write_atomic(written[0], to_csv(table))
    listed = [[g.student, g.person.name if g.person else "", why] for g, why in unplaced]
    blanks = [["student", "name", "reason"], *([*map(text, cells)] for cells in listed)]
    write_atomic(written[1], to_csv(blanks))
    return written


def check_column(lms: Lms, column: str) -> None:
    if lms is Lms.GENERIC:
        return
    if not column.strip() or "\n" in column or "\r" in column:
        raise UsageError(f"the {lms.value} grade column needs a one-line name, not {column!r}")
    if lms is Lms.CANVAS and CANVAS_DROPPED.search(column):
        raise UsageError(f"Canvas ignores a column named like {column!r}: choose another name")


def match(rows: Sequence[Row], roster: Sequence[Person] | None, maximum: float) -> list[Grade]:
    """One Grade per roster person, in roster order, then one per id the roster lacks; with
    no roster, one per member id of each row."""
    rows = [finite(row) for row in rows]
    if roster is None:
        return [from_row(row, member, None) for row in rows for member in row.ids()]
    index = {alias: n for n, person in enumerate(roster) for alias in person.aliases}
    found: dict[int, list[Row]] = {}
    strangers = []
    for row in rows:
        whole = row.student.strip().lower()
        for member in [whole] if whole in index else row.ids():
            if member.lower() in index:
                found.setdefault(index[member.lower()], []).append(row)
            else:
                strangers.append(from_row(row, member, None))
    people = [person_grade(p, found.get(n, []), maximum) for n, p in enumerate(roster)]
    return people + [dataclasses.replace(g, status=STRANGER, reason=stranger(g)) for g in strangers]


def finite(row: Row) -> Row:
    if row.score is None or math.isfinite(row.score):
        return row
    return dataclasses.replace(row, score=None, problem=f"the score is {row.score}")


def from_row(row: Row, student: str, person: Person | None) -> Grade:
    if row.score is None:
        return Grade(student, person, None, row.max_score, UNGRADABLE, row.problem or UNGRADABLE)
    return Grade(student, person, row.score, row.max_score, GRADED)


def person_grade(person: Person, rows: list[Row], maximum: float) -> Grade:
    """A person's best graded row (an individual and a group entry may both name them)."""
    graded = [row for row in rows if row.score is not None]
    if graded:
        best = max(graded, key=lambda row: row.score or 0.0)
        return from_row(best, best.student, person)
    if rows:
        return from_row(rows[0], rows[0].student, person)
    return Grade(person.known_as, person, None, maximum, MISSING, MISSING)


def stranger(grade: Grade) -> str:
    if grade.score is None:
        return f"not in the roster ({grade.reason})"
    return f"not in the roster (score {points(grade.score)}/{points(grade.max_score)})"


def canvas(grades: list[Grade], column: str, maximum: float) -> tuple[str, Table, Unplaced]:
    """Canvas's gradebook import: student columns, a Points Possible row, graded people."""
    table = [[*CANVAS_COLUMNS, column], ["Points Possible", "", "", "", "", points(maximum)]]
    for grade in grades:
        if grade.person and grade.score is not None:
            p = grade.person
            cells = [p.name, p.lms_id, p.sis_id, p.login, p.section]
            table.append([*map(text, cells), points(grade.score)])
    return "canvas.csv", table, [(g, g.reason) for g in grades if g.status != GRADED]


def moodle(grades: list[Grade], column: str, maximum: float) -> tuple[str, Table, Unplaced]:
    """Moodle's CSV grade import: the identifier most graded people have (e-mail first on a
    tie), then the grade."""
    people = [g.person for g in grades if g.person and g.score is not None]
    header, field = max(MOODLE_IDS, key=lambda h: sum(bool(getattr(p, h[1])) for p in people))
    table = [[header, column]]
    unplaced = [(g, g.reason) for g in grades if g.status != GRADED]
    for grade in grades:
        if grade.person and grade.score is not None:
            ident = getattr(grade.person, field)
            if ident:
                table.append([text(ident), points(grade.score)])
            else:
                score = f"score {points(grade.score)}/{points(grade.max_score)}"
                unplaced.append((grade, f"no {header.lower()} in the roster ({score})"))
    return "moodle.csv", table, unplaced


def generic(grades: list[Grade], column: str, maximum: float) -> tuple[str, Table, Unplaced]:
    """Every person (or id) with score, percent and status, for any other system."""
    table = [[*GENERIC_COLUMNS, "percent", "status"]]
    for g in grades:
        p = g.person
        ids = [g.student, *((p.name, p.lms_id, p.email, p.section) if p else ("",) * 4)]
        score = "" if g.score is None else points(g.score)
        percent = "" if g.score is None or g.max_score <= 0 else percent_of(g.score, g.max_score)
        table.append([*map(text, ids), score, points(g.max_score), percent, g.status])
    return "grades-lms.csv", table, [(g, g.reason) for g in grades if g.status != GRADED]


WRITERS: dict[Lms, Callable[[list[Grade], str, float], tuple[str, Table, Unplaced]]] = {
    Lms.CANVAS: canvas,
    Lms.MOODLE: moodle,
    Lms.GENERIC: generic,
}


def percent_of(score: float, maximum: float) -> str:
    return points(round(100 * score / maximum, 2))


def points(value: float) -> str:
    """A score as a spreadsheet shows it: 1.0 -> '1', 0.5 -> '0.5', 1234567.25 ->
    '1234567.25'; never an exponent (rounded to 6 decimals)."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite score: {value}")
    shown = f"{value:.6f}".rstrip("0").rstrip(".")
    return "0" if shown == "-0" else shown


def text(value: str) -> str:
    """A cell a spreadsheet shows as text: a string that starts like a formula (= + - @ tab
    CR) and is not a number is prefixed with ' (CSV injection)."""
    if value[:1] in ("=", "+", "-", "@", "\t", "\r") and not NUMBER.fullmatch(value):
        return f"'{value}"
    return value


def to_csv(table: Table) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(table)
    return out.getvalue()
