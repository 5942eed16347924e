"""What a student's feedback says, before it is Markdown or HTML.

Per exercise: its problem, the checks that lost points (each once, or once for all that
lost them for one reason), one line each for what needs no detail (passed, not attempted,
hidden, skipped) and the accuracy curves of trained checks. A hidden check gives only its
points to a count, never its id, name, message or output. Nothing from a report is
trusted: texts are clipped here and escaped by the writer, curves are checked numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from grader.formats.text import points
from grader.report import CheckResult, ExerciseResult, Report, Status

HIDDEN = "hidden"  # "after_due_date" checks are shown: feedback is handed back after it
MAX_MESSAGE = (40, 4000)  # lines, characters
MAX_OUTPUT = (15, 1200)
MAX_STUBS = 8
MAX_CURVE = 200  # points
MNIST_TRAIN_IMAGES = 60_000  # samples per epoch: every trained check trains on MNIST's train set


@dataclass(frozen=True)
class Curve:
    """Test accuracy (%) after each chunk of training, and the accuracy for full marks."""

    epochs: tuple[float, ...]
    percent: tuple[float, ...]
    threshold: float  # %
    floor: float | None  # %: no points at or below it


@dataclass(frozen=True)
class Fix:
    """A check that lost points, as said: its message and output clipped."""

    check: CheckResult
    message: str
    output: str  # what it printed, or "" (nothing, or the same as an earlier check's)
    count: int = 1  # more: that many checks lost their points for this one's reason


@dataclass(frozen=True)
class Line:
    """A line about many checks: the grader's words, then names from the report."""

    text: str
    names: tuple[str, ...] = ()
    tail: str = ""  # after the names: "…" when some were left out


@dataclass(frozen=True)
class Section:
    """One exercise as the student reads it."""

    exercise: ExerciseResult
    problem: str  # why its checks could not run, clipped, or ""
    notes: tuple[Line, ...]  # what the grader did with the file (a notebook's cells)
    fixes: tuple[Fix, ...]
    brief: tuple[Line, ...]  # passed, not attempted, hidden, skipped: one line each
    curves: tuple[tuple[str, Curve], ...]  # (check name, its accuracy curve)


def number(value: Any) -> float:
    """A finite float, or ValueError (bool, str and NaN are not numbers here)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"not a number: {value!r}")
    return float(value)


def curve(details: Mapping[str, Any]) -> Curve | None:
    """A trained check's curve (grader.kit.training), or None: none, or not number pairs."""
    training = details.get("training")
    if not isinstance(training, Mapping) or not isinstance(training.get("curve"), list):
        return None
    try:
        pairs = [(number(s), number(a)) for s, a in training["curve"][:MAX_CURVE]]
        threshold = 100 * number(training["threshold"])
        floor = 100 * number(training["floor"]) if "floor" in training else None
    except (KeyError, TypeError, ValueError):
        return None
    if not pairs:
        return None
    return Curve(
        epochs=tuple(s / MNIST_TRAIN_IMAGES for s, _ in pairs),
        percent=tuple(100 * a for _, a in pairs),
        threshold=threshold,
        floor=floor,
    )


def clip(text: str, limits: tuple[int, int]) -> str:
    """At most so many lines and characters, saying so when cut."""
    lines, chars = limits
    kept = "\n".join(text.splitlines()[:lines])[:chars]
    return kept if len(kept) >= len(text.rstrip()) else kept + "\n… (cut)"


def many(number: float, noun: str) -> str:
    """The number and the noun, plural unless the number is 1."""
    return f"{points(number)} {noun}{'' if number == 1 else 's'}"


def total(checks: Sequence[CheckResult]) -> str:
    """How many checks, worth how many points."""
    return f"{many(len(checks), 'check')}, {many(sum(c.max_score for c in checks), 'point')}"


def brief_lines(shown: Sequence[CheckResult], hidden: Sequence[CheckResult]) -> list[Line]:
    """One line each for what needs no detail: passed, not attempted, hidden, skipped."""
    passed = [c for c in shown if c.status is Status.PASSED and c.score >= c.max_score]
    todo = [c for c in shown if c.status is Status.NOT_ATTEMPTED]
    skipped = [c for c in shown if c.status is Status.SKIPPED]
    stubs = tuple(dict.fromkeys(c.message.rsplit(": ", 1)[-1] for c in todo))
    more = ", …" if len(stubs) > MAX_STUBS else ""
    got, of = sum(c.score for c in hidden), sum(c.max_score for c in hidden)
    lines = [
        (passed, Line(f"passed: {total(passed)}")),
        (todo, Line(f"not attempted: {total(todo)}; still to write:", stubs[:MAX_STUBS], more)),
        (hidden, Line(f"{many(len(hidden), 'hidden check')}: {points(got)}/{points(of)} points")),
        (skipped, Line(f"skipped: {total(skipped)} (count neither for nor against)")),
    ]
    return [line for checks, line in lines if checks]


def fixes(lost: Sequence[CheckResult]) -> list[Fix]:
    """Each lost check with its message; many lost for one reason: that reason once."""
    if len(lost) > 3 and len({(c.status, c.message) for c in lost}) == 1:
        first = lost[0]
        message, output = clip(first.message, MAX_MESSAGE), clip(first.output, MAX_OUTPUT)
        return [Fix(first, message, output, len(lost))]
    said: set[str] = set()
    found = []
    for c in lost:
        output = c.output if c.output.strip() and c.output not in said else ""
        said.add(c.output)
        found.append(Fix(c, clip(c.message, MAX_MESSAGE), clip(output, MAX_OUTPUT)))
    return found


def section(exercise: ExerciseResult) -> Section:
    """Sort an exercise's checks into what is said in full and what takes one line."""
    shown = [c for c in exercise.checks if c.visibility != HIDDEN]
    hidden = [c for c in exercise.checks if c.visibility == HIDDEN]
    problem = exercise.problem

    def lost(c: CheckResult) -> bool:
        """Lost points the student should read about (not attempted ones take one line)."""
        return c.score < c.max_score and c.status not in (Status.NOT_ATTEMPTED, Status.SKIPPED)

    def by_problem(c: CheckResult) -> bool:
        """Its message says the exercise's problem again ("not run: ...", MNIST missing)."""
        message = c.message.removeprefix("not run: ")
        return bool(problem and message and (message in problem or problem in message))

    same = [c for c in shown if lost(c) and by_problem(c)]
    brief = [Line(f"lost to the problem above: {total(same)}")] if same else []
    return Section(
        exercise=exercise,
        problem=clip(problem, MAX_MESSAGE),
        notes=tuple(Line("", (note,)) for note in exercise.notes),
        fixes=tuple(fixes([c for c in shown if lost(c) and not by_problem(c)])),
        brief=(*brief, *brief_lines(shown, hidden)),
        curves=tuple((c.name, line) for c in shown if (line := curve(c.details)) is not None),
    )


def score_line(report: Report, final: float | None) -> str:
    """The score; with a penalty, the final score first and the raw one after it."""
    raw = f"{points(report.score)}/{points(report.max_score)} points ({report.percent:.1f} %)"
    if final is None or final == report.score:
        return f"Score: {raw}"
    percent = 100 * final / report.max_score if report.max_score else 0.0
    return (
        f"Final score: {points(final)}/{points(report.max_score)} points ({percent:.1f} %); "
        f"raw score {raw} before the late penalty"
    )
