"""Grade exercises in one checker session; every check ends up with a status.

One checker process runs the checks of every exercise given, in order, so torch and
pytest are imported once for them all (each exercise still gets its own boxed worker).
The checker collects every check before any student code runs. When it dies, or an
exercise runs out of time, the checks it left are settled by that exercise's ledger
and the remaining ones run in a fresh checker, each exercise within its own time limit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.checkers import ROOTDIR, CheckerProcess, CheckerRun, Stop, run_checker
from grader.engine.events import (
    CheckerEnv,
    CheckFinished,
    CheckProgress,
    CheckSpec,
    CheckStarted,
    Event,
    Imported,
)
from grader.engine.forkserver import Forkserver
from grader.engine.ledger import Ledger
from grader.errors import GraderError, Terminated, UsageError
from grader.exercises import Exercise
from grader.report import ExerciseResult
from grader.settings import Device, Settings


@dataclass(frozen=True)
class Run:
    """One submission graded with one set of settings; `stop` is set when grading is
    interrupted, so that checkers waited on in other threads stop too; `forks`, when a
    class is graded, forks its checkers ready-made."""

    submission: Path
    settings: Settings
    stop: Stop = field(default_factory=Stop, compare=False)
    forks: Forkserver | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ExerciseRun:
    """An exercise's result, plus what its checker reported about torch and the device."""

    result: ExerciseResult
    torch_version: str
    device: str
    interrupted: str = ""
    isolation: str = ""


Progress = Callable[[str, int, int, str], None]


def collect(
    exercises: Sequence[Exercise], settings: Settings | None = None, timeout_s: float = 120
) -> dict[str, list[CheckSpec]]:
    """List every check of these exercises as `settings` grade them (the course's points;
    hidden checks with --all-checks) without importing any student code (--list)."""
    targets = [str(path) for e in exercises for path in e.check_modules]
    deadline = time.monotonic() + timeout_s
    settings = dataclasses.replace(settings or Settings(), threads=1, select=())
    checker = run_checker(targets, settings, deadline=deadline, options=["--collect-only"])
    if not checker.ended or checker.returncode not in (0, 5):
        raise GraderError(f"collecting the checks failed:\n{checker.log}")
    checks: dict[str, list[CheckSpec]] = {e.name: [] for e in exercises}
    for event in checker.events:
        if isinstance(event, CheckSpec):
            checks[event.exercise].append(event)
    return checks


def target(spec: CheckSpec) -> str:
    """The command-line form of a collected check: its module's path (the node id's is
    relative to the checker's rootdir) plus '::Class::test'."""
    module, _, rest = spec.nodeid.partition("::")
    return f"{(ROOTDIR / module).resolve()}::{rest}"


@dataclass
class Session:
    """The ledgers of one run's exercises and what the checkers reported about themselves."""

    exercises: tuple[Exercise, ...]
    run: Run
    progress: Progress
    ledgers: dict[str, Ledger] = field(init=False)
    env: CheckerEnv | None = None
    imports: dict[str, str] = field(default_factory=dict)
    interrupted: str = ""

    def __post_init__(self) -> None:
        limit = self.run.settings.timeout_s
        self.ledgers = {e.name: Ledger(e, limit or e.timeout_s) for e in self.exercises}

    def interrupt(self, signal_name: str) -> None:
        """Every begun exercise's checks without a status say why; the others are left out."""
        self.interrupted = signal_name
        for ledger in self.ledgers.values():
            if ledger.begun is not None:
                ledger.stop(f"grading was interrupted by {signal_name}")

    def open(self) -> list[Ledger]:
        return [ledger for ledger in self.ledgers.values() if ledger.open]

    def targets(self, collecting: bool) -> list[str]:
        if collecting:
            return [str(path) for ledger in self.open() for path in ledger.exercise.check_modules]
        return [target(s) for ledger in self.open() for s in ledger.missing]

    def runs(self) -> dict[str, ExerciseRun]:
        """Each exercise's run; those an interruption stopped before they began are left out."""
        env = self.env or CheckerEnv("", False, self.run.settings.device.value, "")
        return {
            name: ExerciseRun(
                ledger.outcome(self.imports.get(name, "")),
                env.torch,
                env.device,
                self.interrupted,
                env.isolation,
            )
            for name, ledger in self.ledgers.items()
            if not (self.interrupted and ledger.begun is None)
        }


def run_session(
    exercises: Sequence[Exercise], run: Run, progress: Progress
) -> dict[str, ExerciseRun]:
    """Run the exercises' checks in checkers, one after another if need be, until every
    collected check has a status or grading is interrupted."""
    session = Session(tuple(exercises), run, progress)
    try:
        while session.open():
            attempt(session)
    except KeyboardInterrupt as exc:
        run.stop.set(exc)
        session.interrupt(exc.signal_name if isinstance(exc, Terminated) else "SIGINT")
    return session.runs()


def attempt(session: Session) -> None:
    """One checker: run what is left, then settle what it left without a status. The first
    one collects every check before any student code runs."""
    run, open_ledgers = session.run, session.open()
    collecting = not any(ledger.collected for ledger in session.ledgers.values())
    watch = Watch(session, collecting, open_ledgers[0])
    checker = CheckerProcess(
        session.targets(collecting), run.settings, submission=run.submission, forks=run.forks
    ).wait(watch.deadline, watch.record, run.stop)
    if collecting:
        check_collected(session, checker)
        for ledger in session.ledgers.values():
            ledger.collected = True
    close_out(session, watch, checker)


def close_out(session: Session, watch: Watch, checker: CheckerRun) -> None:
    """The current exercise's ledger settles a crash or a timeout; a checker that ended
    normally settles every ledger (a check it did not run will not run elsewhere)."""
    label = session.run.submission.name
    for ledger in session.ledgers.values():
        if ledger is watch.current or (checker.ended and ledger.missing):
            ledger.settle(checker, watch.running, f"{label}/{ledger.exercise.name}.py")
    watch.current.forged += checker.forged
    for event in checker.events:
        if isinstance(event, Imported) and event.problem:
            session.imports.setdefault(event.exercise, event.problem)


@dataclass
class Watch:
    """Follows one checker's events: which exercise and check run now, and its deadline."""

    session: Session
    collecting: bool
    current: Ledger
    running: str = ""
    started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.current.begin(self.started)

    def deadline(self) -> float:
        return self.current.deadline(self.started)

    def move_on(self, done: Ledger) -> None:
        """An exercise is done: the next one with checks left is current, on its own clock
        from now, so the time spent between them never counts against the one done."""
        ledgers = list(self.session.ledgers.values())
        later = ledgers[ledgers.index(done) + 1 :]
        upcoming = next((ledger for ledger in later if ledger.missing), None)
        if upcoming is not None:
            self.current, self.running = upcoming, ""
            upcoming.begin(time.monotonic())

    def spec(self, nodeid: str) -> tuple[Ledger, CheckSpec] | None:
        for ledger in self.session.ledgers.values():
            found = next((s for s in ledger.specs if s.nodeid == nodeid), None)
            if found is not None:
                return ledger, found
        return None

    def record(self, event: Event) -> None:
        """The dispatcher: each kind of event the checker sends, and what it changes."""
        ledgers, cap = self.session.ledgers, self.session.run.settings.output_cap
        match event:
            case CheckSpec() if self.collecting and event.exercise in ledgers:
                ledgers[event.exercise].specs.append(event)
            case CheckerEnv():
                self.session.env = event
            case CheckStarted(nodeid) if found := self.spec(nodeid):
                self.current, self.running = found[0], nodeid
                found[0].begin(time.monotonic())
            case CheckFinished(nodeid, result) if found := self.spec(nodeid):
                found[0].record(found[1], result, cap)
                self.report(found[0], "")
                if not found[0].missing:
                    self.move_on(found[0])
            case CheckProgress(nodeid, text) if found := self.spec(nodeid):
                self.report(found[0], f"{found[1].id}: {text}")

    def report(self, ledger: Ledger, note: str) -> None:
        name, total = ledger.exercise.name, len(ledger.specs)
        self.session.progress(name, len(ledger.results), total, note)


def check_collected(session: Session, checker: CheckerRun) -> None:
    """Stop with a clear error when the first checker could not even list the checks."""
    env = session.env
    if session.run.settings.device is Device.CUDA and env is not None and not env.cuda:
        raise UsageError("--device cuda: torch sees no CUDA device here; use --device cpu or auto")
    # pytest exits 5 when it collects nothing; with no check collected, 1 means pytest
    # itself could not run (not installed, a broken plugin), never a failed check
    collected = any(ledger.specs for ledger in session.ledgers.values())
    if not collected and checker.returncode not in (0, 5):
        names = ", ".join(session.ledgers)
        raise GraderError(f"collecting the checks of {names} failed:\n{checker.log}")
