"""Grade exercises in one checker session; every check ends up with a status.

One checker process runs the checks of every exercise given, in order, so torch and
pytest are imported once for them all (each exercise still gets its own boxed worker).
The checker collects every check before any student code runs. When it dies, or an
exercise runs out of time, the checks it left are settled by that exercise's ledger
and the remaining ones run in a fresh checker, each exercise within its own time limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.child import Child, ChildRun, Event, Sandbox, Stop, run_child
from grader.engine.ledger import CheckSpec, Ledger
from grader.engine.report import ExerciseResult
from grader.engine.sandbox import Limits
from grader.errors import GraderError, Terminated, UsageError
from grader.exercises import Exercise


@dataclass(frozen=True)
class RunSettings:
    """Everything a child needs to know, the same for every exercise of one run."""

    submission: Path
    device: str
    seed: int
    threads: int
    output_cap: int
    timeout_s: float | None = None
    check_timeout_s: float | None = None
    data_dir: Path | None = None
    data_problem: str = ""
    select: tuple[str, ...] = ()
    limits: Limits = field(default_factory=Limits)
    keep_env: tuple[str, ...] = ()
    stop: Stop = field(default_factory=Stop, compare=False)


@dataclass(frozen=True)
class ExerciseRun:
    """An exercise's result, plus what its checker reported about torch and the device."""

    result: ExerciseResult
    torch_version: str
    device: str
    interrupted: str = ""
    isolation: str = ""


Progress = Callable[[str, int, int, str], None]


def collect(exercises: Sequence[Exercise], timeout_s: float = 120) -> dict[str, list[CheckSpec]]:
    """List every check of these exercises without importing any student code (--list)."""
    targets = [str(e.check_module) for e in exercises]
    child = run_child(targets, ["--collect-only"], threads=1, deadline=time.monotonic() + timeout_s)
    if not child.ended or child.returncode not in (0, 5):
        raise GraderError(f"collecting the checks failed:\n{child.log}")
    checks: dict[str, list[CheckSpec]] = {e.name: [] for e in exercises}
    for event in child.events:
        if event["event"] == "check":
            spec = CheckSpec.from_event(event)
            checks[spec.exercise].append(spec)
    return checks


def session_options(exercises: Sequence[Exercise], settings: RunSettings) -> list[str]:
    """The checker's options: run settings, each exercise's check time limit, and MNIST's
    folder only when an exercise of the session trains on it."""
    trains = settings.data_dir is not None and any(e.needs_mnist for e in exercises)
    return [
        "--grader-seed",
        str(settings.seed),
        "--grader-threads",
        str(settings.threads),
        "--grader-device",
        settings.device,
        "--grader-output-cap",
        str(settings.output_cap),
        *(
            f"--grader-check-timeout={e.name}={settings.check_timeout_s or e.check_timeout_s:g}"
            for e in exercises
        ),
        *(["--grader-data-dir", str(settings.data_dir)] if trains else []),
        *([f"--grader-data-problem={settings.data_problem}"] if settings.data_problem else []),
        *(f"--grader-select={prefix}" for prefix in settings.select),
        f"--grader-memory-mb={settings.limits.memory_mb or 0}",
    ]


def target(exercise: Exercise, spec: CheckSpec) -> str:
    """The command-line form of a collected check: its module's path plus '::Class::test'."""
    return str(exercise.check_module) + spec.nodeid[spec.nodeid.index("::") :]


@dataclass
class Session:
    """The ledgers of one run's exercises and what the checkers reported about themselves."""

    exercises: tuple[Exercise, ...]
    settings: RunSettings
    progress: Progress
    ledgers: dict[str, Ledger] = field(init=False)
    env: Event = field(default_factory=dict)
    imports: dict[str, str] = field(default_factory=dict)
    interrupted: str = ""

    def __post_init__(self) -> None:
        limit = self.settings.timeout_s
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
            return [str(ledger.exercise.check_module) for ledger in self.open()]
        return [target(ledger.exercise, s) for ledger in self.open() for s in ledger.missing]

    def runs(self) -> dict[str, ExerciseRun]:
        """Each exercise's run; those an interruption stopped before they began are left out."""
        torch_version, device = str(self.env.get("torch", "")), str(self.env.get("device", ""))
        return {
            name: ExerciseRun(
                ledger.outcome(self.imports.get(name, "")),
                torch_version,
                device or self.settings.device,
                self.interrupted,
                str(self.env.get("isolation", "")),
            )
            for name, ledger in self.ledgers.items()
            if not (self.interrupted and ledger.begun is None)
        }


def run_session(
    exercises: Sequence[Exercise], settings: RunSettings, progress: Progress
) -> dict[str, ExerciseRun]:
    """Run the exercises' checks in checkers, one after another if need be, until every
    collected check has a status or grading is interrupted."""
    session = Session(tuple(exercises), settings, progress)
    try:
        while session.open():
            attempt(session)
    except KeyboardInterrupt as exc:
        settings.stop.set(exc)
        session.interrupt(exc.signal_name if isinstance(exc, Terminated) else "SIGINT")
    return session.runs()


def attempt(session: Session) -> None:
    """One checker: run what is left, then settle what it left without a status. The first
    one collects every check before any student code runs."""
    settings, open_ledgers = session.settings, session.open()
    collecting = not any(ledger.collected for ledger in session.ledgers.values())
    watch = Watch(session, collecting, open_ledgers[0])
    sandbox = Sandbox(settings.limits, settings.keep_env, settings.submission)
    options = session_options([ledger.exercise for ledger in open_ledgers], settings)
    child = Child(
        session.targets(collecting), options, threads=settings.threads, sandbox=sandbox
    ).wait(watch.deadline, watch.record, settings.stop)
    if collecting:
        check_collected(session, child)
        for ledger in session.ledgers.values():
            ledger.collected = True
    settle(session, watch, child)


def settle(session: Session, watch: Watch, child: ChildRun) -> None:
    """The current exercise's ledger settles a crash or a timeout; a checker that ended
    normally settles every ledger (a check it did not run will not run elsewhere)."""
    label = session.settings.submission.name
    for ledger in session.ledgers.values():
        if ledger is watch.current or (child.ended and ledger.missing):
            ledger.settle(child, watch.running, f"{label}/{ledger.exercise.name}.py")
    watch.current.forged += child.forged
    for event in child.events:
        if event["event"] == "import" and event.get("problem"):
            session.imports.setdefault(str(event.get("exercise")), str(event["problem"]))


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
        kind, ledgers = event["event"], self.session.ledgers
        if kind == "check" and self.collecting:
            spec = CheckSpec.from_event(event)
            if spec.exercise in ledgers:
                ledgers[spec.exercise].specs.append(spec)
        elif kind == "env":
            self.session.env.update(event)
        elif kind in ("start", "result", "progress") and (found := self.spec(event["nodeid"])):
            ledger, spec = found
            self.follow(kind, event, ledger, spec)

    def follow(self, kind: str, event: Event, ledger: Ledger, spec: CheckSpec) -> None:
        progress, total = self.session.progress, len(ledger.specs)
        name = ledger.exercise.name
        if kind == "start":
            self.current, self.running = ledger, spec.nodeid
            ledger.begin(time.monotonic())
        elif kind == "result":
            ledger.record(spec, event["result"], self.session.settings.output_cap)
            progress(name, len(ledger.results), total, "")
            if not ledger.missing:
                self.move_on(ledger)
        else:
            progress(name, len(ledger.results), total, f"{spec.id}: {event['text']}")


def check_collected(session: Session, child: ChildRun) -> None:
    """Stop with a clear error when the first checker could not even list the checks."""
    if session.settings.device == "cuda" and session.env.get("cuda") is False:
        raise UsageError("--device cuda: torch sees no CUDA device here; use --device cpu or auto")
    # pytest exits 5 when it collects nothing; with no check collected, 1 means pytest
    # itself could not run (not installed, a broken plugin), never a failed check
    collected = any(ledger.specs for ledger in session.ledgers.values())
    if not collected and child.returncode not in (0, 5):
        names = ", ".join(session.ledgers)
        raise GraderError(f"collecting the checks of {names} failed:\n{child.log}")
