"""One exercise's bookkeeping while a checker session grades several exercises in turn.

The session's first checker collects every check before any student code runs, so a
checker that crashes or runs out of an exercise's time can never make a check disappear
from the report. A ledger holds an exercise's collected checks, their results, its clock
(the exercise's time limit runs from its first check, or from the start of the checker
it comes first in) and the problem that stopped it, if any.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from dataclasses import dataclass, field
from typing import Any

from grader.engine.checkers import CheckerRun
from grader.engine.events import CheckSpec, Imported
from grader.exercises import Exercise
from grader.report import CheckResult, ExerciseResult, Status, check_from_dict
from grader.text import MESSAGE_CAP, TRACEBACK_CAP, cap


def trusted(spec: CheckSpec, data: Any, output_cap: int) -> CheckResult:
    """A result as the checker sent it, held to what was collected: this check's id, name
    and points, a score in [0, points], cleaned and capped text; a malformed one is an
    error."""
    try:
        sent = check_from_dict(data)
        score = min(max(float(sent.score), 0.0), spec.points)
        details = dict(sent.details)
        if isinstance(details.get("traceback"), str):
            details["traceback"] = cap(details["traceback"], TRACEBACK_CAP)
        message, output = cap(sent.message, MESSAGE_CAP), cap(sent.output, output_cap + 200)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        return spec.result(Status.ERROR, f"the check's result was malformed ({exc})")
    status = sent.status
    if status is Status.SKIPPED:  # no check skips itself: the submission did this
        message = f"skipped from inside the submission, which is not allowed: {message}"
        status, score = Status.ERROR, 0.0
    return dataclasses.replace(
        sent,
        id=spec.id,
        name=spec.name,
        status=status,
        max_score=spec.points,
        score=score,
        message=message,
        output=output,
        details=details,
    )


@dataclass
class Ledger:
    """An exercise's checks, results, clock and problem across the checkers of a session."""

    exercise: Exercise
    limit: float
    specs: list[CheckSpec] = field(default_factory=list)
    results: dict[str, CheckResult] = field(default_factory=dict)
    begun: float | None = None
    last: float | None = None
    problem: str = ""
    forged: int = 0
    collected: bool = False

    @property
    def missing(self) -> list[CheckSpec]:
        return [s for s in self.specs if s.nodeid not in self.results]

    @property
    def open(self) -> bool:
        """Whether checks are left to run: none were collected yet, or some have no status."""
        return not self.problem and (not self.collected or bool(self.missing))

    def begin(self, now: float) -> None:
        if self.begun is None:
            self.begun = now

    def deadline(self, now: float) -> float:
        return (self.begun if self.begun is not None else now) + self.limit

    def record(self, spec: CheckSpec, data: Any, output_cap: int) -> None:
        self.results[spec.nodeid] = trusted(spec, data, output_cap)
        self.last = time.monotonic()

    def settle(self, checker: CheckerRun, running: str, label: str) -> None:
        """Give a status to the checks a checker left without one. The check it was running
        when it crashed takes the blame and the others run again in a fresh checker; after
        a timeout, an import that never finished or a normal end, none run again."""
        missing = self.missing
        if not missing or self.problem:
            return
        if checker.timed_out:
            reason = f"the exercise's time limit of {self.limit:g} s ran out"
            status = Status.TIMEOUT
        elif checker.ended:
            reason, status = "the check was not run (the checker process skipped it)", Status.ERROR
        else:
            reason, status = f"the checker process {death(checker.returncode)}", Status.ERROR
        imported = any(
            isinstance(e, Imported) and e.ok and e.exercise == self.exercise.name
            for e in checker.events
        )
        blamed = next((s for s in missing if s.nodeid == running), None)
        if blamed is not None:
            during = "during this check" if imported else f"while importing {label}"
            self.results[blamed.nodeid] = blamed.result(status, f"{reason} {during}")
        if blamed is None or checker.timed_out or checker.ended or not imported:
            cause = reason if imported else f"{reason} while importing {label}"
            for spec in missing:
                self.results.setdefault(spec.nodeid, spec.result(status, f"not run: {cause}"))
            self.problem = cause

    def stop(self, problem: str) -> None:
        """Grading was interrupted: every check without a status says so."""
        for spec in self.missing:
            self.results[spec.nodeid] = spec.result(Status.ERROR, f"not run: {problem}")
        self.problem = self.problem or problem

    def outcome(self, import_problem: str) -> ExerciseResult:
        problem = self.problem or import_problem
        if self.forged:
            forged = f"{self.forged} forged result lines were ignored"
            problem = f"{problem}; {forged}" if problem else forged
        checks = tuple(self.results[s.nodeid] for s in self.specs)
        now = time.monotonic()
        seconds = (self.last or now) - (self.begun if self.begun is not None else now)
        return ExerciseResult(self.exercise.name, checks, round(seconds, 3), problem)


def death(returncode: int) -> str:
    """How a checker ended, in words: a signal name or an exit code."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {returncode} (os._exit() or a crash in the submission)"
