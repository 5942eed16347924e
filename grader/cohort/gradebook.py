"""The class's gradebook: SQLite, one row per student and per check, committed at once.

Each result is written in one transaction as soon as it is known, so a crash or a killed
machine loses at most the submissions being graded at that moment; a rerun grades only
what is missing or changed (same content hash, grader version and settings are kept).
The schema has a version (SQLite's user_version); opening an older gradebook migrates it
in one transaction, and one written by a newer grader is refused.
One process writes a gradebook at a time: a second one is refused with a clear message
(an advisory lock on DIR/gradebook.lock, released by the kernel if the process dies).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from grader.cohort.deadlines import Lateness
from grader.errors import UsageError
from grader.exercises import RENAMED_IDS

VERSION = 2  # PRAGMA user_version; 0 is a gradebook written before versions (1)
SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    settings TEXT NOT NULL,
    grader_version TEXT NOT NULL,
    seed INTEGER NOT NULL,
    device TEXT NOT NULL,
    graded_at TEXT NOT NULL,
    duration_s REAL NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    problem TEXT NOT NULL,
    report TEXT NOT NULL,
    submitted_at TEXT NOT NULL DEFAULT '',
    late_days INTEGER NOT NULL DEFAULT 0,
    penalty REAL NOT NULL DEFAULT 0,
    final_score REAL
);
CREATE TABLE IF NOT EXISTS checks (
    student TEXT NOT NULL REFERENCES submissions(student) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    exercise TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    message TEXT NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (student, check_id)
);
"""
LATENESS_COLUMNS = (
    "submitted_at TEXT NOT NULL DEFAULT ''",
    "late_days INTEGER NOT NULL DEFAULT 0",
    "penalty REAL NOT NULL DEFAULT 0",
    "final_score REAL",
)


@dataclass(frozen=True)
class Graded:
    """One submission's outcome, as the pool hands it to the gradebook."""

    student: str
    content_hash: str
    settings: str
    grader_version: str
    seed: int
    device: str
    duration_s: float
    report: dict[str, Any] | None
    problem: str = ""


@contextlib.contextmanager
def locked(folder: Path) -> Iterator[None]:
    """Hold DIR's lock for the whole command, or refuse at once with who holds it."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / "gradebook.lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise UsageError(
                f"{folder} is being written by another grade-class ({holder}); wait for it "
                "to finish or use another --out"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield


class Gradebook:
    """DIR/gradebook.sqlite: what has been graded, with every check and the full report."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.scope: frozenset[str] | None = None  # whose rows submissions() and checks() read
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.migrate()
        self.rename_checks()

    def migrate(self) -> None:
        """Bring a gradebook of an older version to this one, in one transaction; refuse
        one written by a newer grader rather than guess at it."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise UsageError(
                f"{self.path} was written by a newer grader (gradebook version {version}; "
                f"this one reads up to {VERSION}): upgrade dl-grader"
            )
        if version == VERSION:
            return
        with self.transaction():
            columns = {row[1] for row in self.db.execute("PRAGMA table_info(submissions)")}
            if columns:  # version 1: lateness columns added, settings keys named
                for column in LATENESS_COLUMNS:
                    if column.split()[0] not in columns:
                        self.db.execute(f"ALTER TABLE submissions ADD COLUMN {column}")
                self.db.execute("UPDATE submissions SET final_score = score WHERE problem = ''")
                for student, key in self.db.execute("SELECT student, settings FROM submissions"):
                    self.db.execute(
                        "UPDATE submissions SET settings = ? WHERE student = ?",
                        (named_settings(key), student),
                    )
            for statement in SCHEMA.split(";"):  # executescript would commit half-way
                if statement.strip():
                    self.db.execute(statement)
            self.db.execute(f"PRAGMA user_version = {VERSION}")

    def rename_checks(self) -> None:
        """Check ids that changed (grader.exercises.RENAMED_IDS) are read under their new id
        in a gradebook written before, so old and new rows count together."""
        with self.db:
            for old, new in RENAMED_IDS.items():
                self.db.execute(
                    "UPDATE OR IGNORE checks SET check_id = ? WHERE check_id = ?", (new, old)
                )

    def close(self) -> None:
        self.db.close()

    def current(self, student: str, content_hash: str, settings: str) -> bool:
        """Whether this exact submission was already graded with these settings (a run that
        left no report, say a killed `grade`, is tried again)."""
        row = self.db.execute(
            "SELECT content_hash, settings, report FROM submissions WHERE student = ?", (student,)
        ).fetchone()
        return row is not None and row[:2] == (content_hash, settings) and row[2] != "{}"

    def record(self, graded: Graded) -> None:
        """Replace the student's rows with this result, in one transaction."""
        report = graded.report or {}
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        with self.transaction():
            self.db.execute("DELETE FROM submissions WHERE student = ?", (graded.student,))
            self.db.execute(
                "INSERT INTO submissions (student, content_hash, settings, grader_version, "
                "seed, device, graded_at, duration_s, score, max_score, problem, report, "
                "final_score) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    graded.student,
                    graded.content_hash,
                    graded.settings,
                    graded.grader_version,
                    graded.seed,
                    graded.device,
                    now,
                    graded.duration_s,
                    float(report.get("score", 0.0)),
                    float(report.get("max_score", 0.0)),
                    graded.problem,
                    json.dumps(report),
                    None if graded.report is None else float(report.get("score", 0.0)),
                ),
            )
            self.db.executemany(
                "INSERT INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                list(check_rows(graded.student, report)),
            )

    def set_lateness(self, student: str, lateness: Lateness) -> None:
        """When the student submitted, how many days late, and the score after the penalty
        (the raw score stays in `score`); set on every run, since the policy may change."""
        moment = lateness.submitted_at
        with self.transaction():
            self.db.execute(
                "UPDATE submissions SET submitted_at = ?, late_days = ?, penalty = ?, "
                "final_score = CASE WHEN report = '{}' THEN NULL "
                "ELSE round(score * (1 - ?), 4) END WHERE student = ?",
                (
                    moment.isoformat(timespec="seconds") if moment else "",
                    lateness.days,
                    lateness.penalty,
                    lateness.penalty,
                    student,
                ),
            )

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def submissions(self) -> list[sqlite3.Row]:
        return self.in_scope(self.rows("SELECT * FROM submissions ORDER BY student"))

    def checks(self) -> list[sqlite3.Row]:
        return self.in_scope(self.rows("SELECT * FROM checks ORDER BY student, check_id"))

    def in_scope(self, rows: list[sqlite3.Row]) -> list[sqlite3.Row]:
        """The rows of `scope`'s students (the entries of this run), or all."""
        scope = self.scope
        return rows if scope is None else [row for row in rows if row["student"] in scope]

    def rows(self, query: str) -> list[sqlite3.Row]:
        cursor = self.db.execute(query)
        cursor.row_factory = sqlite3.Row
        return cursor.fetchall()


def named_settings(key: str) -> str:
    """A version-1 key ('0.1.0 {...}') as the JSON object version 2 keeps."""
    version, _, rest = key.partition(" ")
    try:
        named = json.loads(rest)
    except ValueError:
        return json.dumps({"grader_version": version, "unreadable": rest})
    return json.dumps({"grader_version": version, **named}, sort_keys=True)


def check_rows(student: str, report: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    for exercise in report.get("exercises", []):
        for check in exercise.get("checks", []):
            yield (
                student,
                check["id"],
                exercise["name"],
                check["name"],
                check["status"],
                float(check["score"]),
                float(check["max_score"]),
                check.get("message", ""),
                json.dumps(check.get("details", {})),
            )
