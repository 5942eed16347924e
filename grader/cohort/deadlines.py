"""Deadlines and late penalties: when each submission was made, and what lateness costs.

The time comes from what the class arrived as: the last commit of a GitHub Classroom clone
(read with dulwich, a pure-Python git, so that nothing in a student's `.git/config`, such
as a hook or a pager, ever runs), or `:created_at` in a Gradescope export. A folder or zip
has no time and is never counted late. A commit time is what the student's git wrote, so
it can be forged; Gradescope's time cannot. The penalty is a percentage of the points per
day started late, up to a cap; extensions (more days, or a deadline of their own) are per
student, from a CSV file `student,days` or `student,deadline`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from grader.cohort.roster import members
from grader.errors import UsageError

DAY = timedelta(days=1)
MAX_EXTENSION_DAYS = 366


@dataclass(frozen=True)
class Policy:
    """The deadline, the penalty per day started late (percent of the points), its cap,
    and each student's extension (their own deadline)."""

    deadline: datetime | None = None
    per_day: float = 0.0
    cap: float = 100.0
    extensions: Mapping[str, datetime] = field(default_factory=dict)

    def due(self, student: str, ids: Sequence[str] = ()) -> datetime | None:
        """The student's deadline: an extension for their id, or for any member of their
        group (the latest counts), else the class's."""
        named = [student, *(ids or members(student))]
        own = [self.extensions[i.lower()] for i in named if i.lower() in self.extensions]
        return max(own) if own else self.deadline

    def unmatched(self, students: Iterable[Sequence[str]]) -> list[str]:
        """Extension ids that name no entry nor member: a misspelt id helps no one."""
        known = {i.lower() for ids in students for i in ids}
        return sorted(i for i in self.extensions if i not in known)


@dataclass(frozen=True)
class Lateness:
    """How late one submission was, and the fraction of its points taken for it."""

    submitted_at: datetime | None
    days: int
    penalty: float  # 0..1

    def apply(self, score: float) -> float:
        return round(score * (1 - self.penalty), 4)

    def describe(self, raw: float, maximum: float) -> str:
        """One line for the student's feedback, or '' when on time."""
        if not self.days:
            return ""
        return (
            f"Submitted {self.days} day{'s' if self.days > 1 else ''} late: "
            f"{100 * self.penalty:g} % off (raw {raw:g}/{maximum:g}, "
            f"final {self.apply(raw):g}/{maximum:g})"
        )


ON_TIME = Lateness(None, 0, 0.0)


def judge(
    policy: Policy, student: str, submitted_at: datetime | None, ids: Sequence[str] = ()
) -> Lateness:
    due = policy.due(student, ids)
    if due is None or submitted_at is None:
        return Lateness(submitted_at, 0, 0.0)
    late = submitted_at - due
    days = math.ceil(late / DAY) if late > timedelta(0) else 0
    return Lateness(submitted_at, days, min(policy.cap, policy.per_day * days) / 100)


def parse_time(text: str, where: str) -> datetime:
    """ISO 8601; a time without a zone is UTC. `where` names the input in the error."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"{where}: {text!r} is not a date and time (use ISO 8601: 2026-12-01T23:59+01:00)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def read_extensions(path: Path, deadline: datetime | None) -> dict[str, datetime]:
    """`student,days` (days added to the deadline) or `student,deadline` rows."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise UsageError(f"--extensions {path}: {exc.strerror}") from None
    found = {}
    for number, row in enumerate(csv.reader(text.splitlines()), start=1):
        if not row or (number == 1 and row[0].strip().lower() == "student"):
            continue
        if len(row) != 2 or not row[0].strip():
            raise UsageError(
                f"{path}, line {number}: expected 'student,days' or 'student,deadline'"
            )
        found[row[0].strip().lower()] = extended(row[1], deadline, f"{path}, line {number}")
    return found


def extended(value: str, deadline: datetime | None, where: str) -> datetime:
    try:
        days = float(value)
    except ValueError:
        return parse_time(value, where)
    if deadline is None:
        raise UsageError(f"{where}: days of extension need --deadline")
    if not 0 <= days <= MAX_EXTENSION_DAYS:
        raise UsageError(f"{where}: {value} days: give 0 to {MAX_EXTENSION_DAYS} days")
    return deadline + days * DAY


def commit_time(repository: Path) -> datetime | None:
    """The committer time of HEAD in a git clone, or None (not a clone, no commit)."""
    git = repository / ".git"
    if not git.is_dir() or git.is_symlink():  # a clone's own; never a link or a gitdir file
        return None
    from dulwich.repo import Repo

    try:
        with Repo(str(repository)) as repo:
            commit: Any = repo[repo.head()]
            seconds, offset = int(commit.commit_time), int(commit.commit_timezone)
    except Exception:  # a damaged repository has no time, like a folder (said in the report)
        return None
    try:
        return datetime.fromtimestamp(seconds, timezone(timedelta(seconds=offset)))
    except (ValueError, OverflowError, OSError):  # a zone git accepts and Python does not
        pass
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (ValueError, OverflowError, OSError):  # past the year 9999: as late as can be
        return datetime.max.replace(tzinfo=timezone.utc)


def gradescope_time(info: Mapping[str, Any]) -> datetime | None:
    """`:created_at` of one submission in Gradescope's submission_metadata.yml."""
    value = info.get(":created_at")
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, str):
        try:
            return parse_time(value.replace(" ", "T", 1).replace(" ", ""), "metadata")
        except UsageError:
            return None
    return None
