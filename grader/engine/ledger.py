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

from grader.engine.child import ChildRun, Event
from grader.engine.report import CheckResult, ExerciseResult, Status, check_from_dict
from grader.engine.sanitise import clean_check
from grader.exercises import Exercise


@dataclass(frozen=True)
class CheckSpec:
    """A check as collected, before it has run."""

    nodeid: str
    id: str
    name: str
    points: float

    @staticmethod
    def from_event(event: Event) -> CheckSpec:
        return CheckSpec(event["nodeid"], event["id"], event["name"], event["points"])

    @property
    def exercise(self) -> str:
        return self.id.split(".", 1)[0]

    def result(self, status: Status, message: str) -> CheckResult:
        return CheckResult(self.id, self.name, status, 0.0, self.points, message)

    def trusted(self, data: Any, output_cap: int) -> CheckResult:
        """A result as the child sent it, held to what was collected: this check's id, name
        and points, a score in [0, points], cleaned text; a malformed one is an error."""
        try:
            sent = check_from_dict(data)
            score = min(max(float(sent.score), 0.0), self.points)
        except (TypeError, ValueError, KeyError) as exc:
            return self.result(Status.ERROR, f"the check's result was malformed ({exc})")
        if sent.status is Status.SKIPPED:  # no check skips itself: the submission did this
            message = f"skipped from inside the submission, which is not allowed: {sent.message}"
            sent = dataclasses.replace(sent, status=Status.ERROR, message=message, score=0.0)
        own = dataclasses.replace(
            sent, id=self.id, name=self.name, max_score=self.points, score=score
        )
        return clean_check(own, output_cap)


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
        self.results[spec.nodeid] = spec.trusted(data, output_cap)
        self.last = time.monotonic()

    def settle(self, child: ChildRun, running: str, label: str) -> None:
        """Give a status to the checks a checker left without one. The check it was running
        when it crashed takes the blame and the others run again in a fresh checker; after
        a timeout, an import that never finished or a normal end, none run again."""
        missing = self.missing
        if not missing or self.problem:
            return
        if child.timed_out:
            reason = f"the exercise's time limit of {self.limit:g} s ran out"
            status = Status.TIMEOUT
        elif child.ended:
            reason, status = "the check was not run (the test process skipped it)", Status.ERROR
        else:
            reason, status = f"the test process {death(child.returncode)}", Status.ERROR
        imported = any(
            e["event"] == "import" and e["ok"] and e.get("exercise") == self.exercise.name
            for e in child.events
        )
        blamed = next((s for s in missing if s.nodeid == running), None)
        if blamed is not None:
            during = "during this check" if imported else f"while importing {label}"
            self.results[blamed.nodeid] = blamed.result(status, f"{reason} {during}")
        if blamed is None or child.timed_out or child.ended or not imported:
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
    """How a child ended, in words: a signal name or an exit code."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"was killed by {name}{hint}"
    return f"exited with code {returncode} (os._exit() or a crash in the submission)"
