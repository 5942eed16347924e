"""Grade mutants with the real `grade` command, one temporary submission folder each.

The grader is run as a subprocess, exactly as a student's submission is graded, and judged
only by the JSON report's score: a mutant is killed when it scores less than the unmutated
solution. Going through the command (not the API in this process) keeps every mutant in its
own processes, so a mutant that hangs, crashes or leaks state cannot touch the next one.
"""

from __future__ import annotations

import enum
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader import exercises
from grader.adequacy.mutate import Mutant

EXIT_GRADED, EXIT_UNDER = 0, 1
IMPORT_PROBLEM = " while importing "


class Verdict(str, enum.Enum):
    """What became of one mutant."""

    KILLED = "killed"
    SURVIVED = "survived"
    EQUIVALENT = "equivalent"
    STILLBORN = "stillborn"


@dataclass(frozen=True)
class Graded:
    """The part of a JSON report that decides a verdict."""

    score: float
    max_score: float
    problem: str
    lost: tuple[str, ...] = ()  # "check id: message" of every check that lost points


@dataclass(frozen=True)
class Outcome:
    """A mutant, its verdict, its score and a note (why stillborn, or a wrong table entry)."""

    mutant: Mutant
    verdict: Verdict
    score: float
    seconds: float
    note: str = ""


class GradingFailed(RuntimeError):
    """`grade` gave no usable report twice: the run cannot say whether a mutant was killed."""


def grade_command() -> list[str]:
    """The `grade` script next to this interpreter, else `python -m grader` (the same CLI)."""
    script = Path(sys.executable).with_name("grade")
    return [str(script)] if script.exists() else [sys.executable, "-m", "grader"]


def grade_once(
    folder: Path, exercise: str, report: Path, checks: tuple[str, ...] = ()
) -> Graded | str:
    """One `grade FOLDER --only EXERCISE --json REPORT` (only the checks whose ids start
    with one of `checks`, when given), or why it left no usable report."""
    limit = next(e.timeout_s for e in exercises.EXERCISES if e.name == exercise)
    command = [*grade_command(), str(folder), "--only", exercise, "--jobs", "1"]
    command += [argument for check in checks for argument in ("--check", check)]
    report.unlink(missing_ok=True)
    try:
        done = subprocess.run(
            [*command, "--json", str(report)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            timeout=2 * limit + 120,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return f"grade ran over {2 * limit + 120:g} s"
    if done.returncode not in (EXIT_GRADED, EXIT_UNDER) or not report.exists():
        return f"grade exited {done.returncode}: {done.stderr.strip()[-500:]}"
    data = json.loads(report.read_text(encoding="utf-8"))
    problem = " ".join(str(e.get("problem", "")) for e in data["exercises"])
    lost = tuple(
        f"{check['id']}: {check['message']}"
        for entry in data["exercises"]
        for check in entry["checks"]
        if check["score"] < check["max_score"]
    )
    return Graded(float(data["score"]), float(data["max_score"]), problem, lost)


def grade(
    solutions: Path, exercise: str, text: str | None = None, checks: tuple[str, ...] = ()
) -> Graded:
    """Grade a copy of the solutions with `<exercise>.py` replaced by `text` (only `checks`,
    when given); one retry."""
    with tempfile.TemporaryDirectory(prefix="adequacy-") as tmp:
        folder = Path(tmp) / "submission"
        folder.mkdir()
        for path in solutions.glob("*.py"):
            shutil.copy2(path, folder / path.name)
        if text is not None:
            (folder / f"{exercise}.py").write_text(text, encoding="utf-8")
        for _ in range(2):
            graded = grade_once(folder, exercise, Path(tmp) / "report.json", checks)
            if isinstance(graded, Graded):
                return graded
    raise GradingFailed(f"no usable report for {exercise}, twice; last: {graded}")


def syntax_error(mutant: Mutant) -> str:
    """Why the mutant does not compile, or empty: such a mutant need not be graded."""
    try:
        compile(mutant.text, mutant.file, "exec")
    except SyntaxError as exc:
        return f"SyntaxError: {exc.msg}"
    return ""


def judge(mutant: Mutant, solutions: Path, baseline: float) -> Outcome:
    """Grade one mutant and say what became of it."""
    start = time.monotonic()
    broken = syntax_error(mutant)
    if broken:
        return Outcome(mutant, Verdict.STILLBORN, 0.0, time.monotonic() - start, broken)
    graded = grade(solutions, mutant.exercise, mutant.text)
    seconds = time.monotonic() - start
    if IMPORT_PROBLEM in graded.problem:
        return Outcome(mutant, Verdict.STILLBORN, graded.score, seconds, graded.problem)
    killed = graded.score < baseline
    if mutant.equivalent:
        if not killed:
            return Outcome(mutant, Verdict.EQUIVALENT, graded.score, seconds, mutant.equivalent)
        note = "listed as equivalent in operators.EQUIVALENT but lost points: fix the table"
        return Outcome(mutant, Verdict.KILLED, graded.score, seconds, note)
    verdict = Verdict.KILLED if killed else Verdict.SURVIVED
    return Outcome(mutant, verdict, graded.score, seconds)
