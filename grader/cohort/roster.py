"""The class roster: who each LMS user is, and every id the grader may know them by.

The grader names a student by whatever the submissions carried (a GitHub login, a student
number, an e-mail, a folder name); an LMS names them by its own user ids. The roster is the
instructor's CSV that joins the two, read strictly: an unknown column or an id shared by two
people is an error naming the file and line, because a silent guess would put one student's
grade on another.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError

FIELDS = ("name", "lms_id", "login", "sis_id", "email", "section")
ID_COLUMNS = ("github", "sid", "email", "login", "student", "sis_id")
COLUMNS = (*FIELDS, "github", "sid", "student")


@dataclass(frozen=True)
class Person:
    """One LMS user from the roster."""

    name: str
    lms_id: str
    login: str
    sis_id: str
    email: str
    section: str
    aliases: frozenset[str]

    @property
    def known_as(self) -> str:
        """The id to show for this person: e-mail, login, SIS id, else their first alias."""
        return self.email or self.login or self.sis_id or min(self.aliases, default="")


def read_roster(path: Path) -> list[Person]:
    """The people in a roster CSV (utf-8, a BOM allowed), in file order."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such roster file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read the roster ({error})") from None
    reader = csv.reader(text.splitlines(keepends=True), strict=True)
    try:
        header = [cell.strip().lower() for cell in next(reader, [])]
        check_header(path, header)
        people = list(read_people(path, header, ((reader.line_num, row) for row in reader)))
    except csv.Error as error:
        raise UsageError(f"{path}: line {reader.line_num}: {error}") from None
    if not people:
        raise UsageError(f"{path}: the roster lists no students")
    return people


def check_header(path: Path, header: list[str]) -> None:
    if not any(header):
        raise UsageError(f"{path}: line 1: no header (expected columns: {', '.join(COLUMNS)})")
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        raise UsageError(
            f"{path}: line 1: unknown column {unknown[0]!r} (known: {', '.join(COLUMNS)})"
        )
    twice = [name for name in COLUMNS if header.count(name) > 1]
    if twice:
        raise UsageError(f"{path}: line 1: column {twice[0]!r} appears twice")
    if not {"name", "lms_id", *ID_COLUMNS} & set(header):
        raise UsageError(
            f"{path}: line 1: needs a name column or an id column "
            f"({', '.join(('lms_id', *ID_COLUMNS))})"
        )


def read_people(
    path: Path, header: list[str], lines: Iterator[tuple[int, list[str]]]
) -> Iterator[Person]:
    """One Person per non-blank line; an alias already taken is an error naming both lines."""
    owners: dict[str, int] = {}
    for line, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            raise UsageError(
                f"{path}: line {line}: {len(cells)} cells, the header has {len(header)}"
            )
        person = to_person(dict(zip(header, (cell.strip() for cell in cells), strict=False)))
        if not person.name and not person.aliases and not person.lms_id:
            raise UsageError(f"{path}: line {line}: no name and no id")
        for alias in sorted(person.aliases):
            if alias in owners:
                raise UsageError(
                    f"{path}: line {line}: id {alias!r} is also on line {owners[alias]}"
                )
            owners[alias] = line
        yield person


def to_person(row: dict[str, str]) -> Person:
    values = [row.get(column, "") for column in ID_COLUMNS if column != "student"]
    values += row.get("student", "").split("|")
    aliases = frozenset(v.strip().lower() for v in values if v.strip())
    name, lms_id, login, sis_id, email, section = (row.get(column, "") for column in FIELDS)
    return Person(name, lms_id, login, sis_id, email, section, aliases)


def members(student: str) -> list[str]:
    """The ids of a group entry 'a+b' (how grade-class names a group). An e-mail may hold
    a '+' of its own ('ann+cs@uni.edu'): a part is joined to the next until one holds '@',
    so 'ann+cs@uni.edu+bob@uni.edu' is two e-mails and 'mallory+alice@uni.edu' one."""
    found, pending = [], []
    for part in (p.strip() for p in student.split("+")):
        pending.append(part)
        if "@" in part:
            found.append("+".join(pending))
            pending = []
    found += [p for p in pending if p]
    return [f for f in found if f] or [student.strip()]
