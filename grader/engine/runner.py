"""Grade one exercise in child processes; every check ends up with a status.

The checks are collected before any student code runs, so a child that crashes or
hangs can never make a check disappear from the report. When a child
dies after the submission imported, the check it was running gets the blame and the
remaining checks run in a fresh child, within the exercise's time limit.
"""

from __future__ import annotations

import dataclasses
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.engine.child import Child, ChildRun, Event, Sandbox, Stop, run_child
from grader.engine.report import CheckResult, ExerciseResult, Status, check_from_dict
from grader.engine.sandbox import Limits
from grader.engine.sanitise import clean_check
from grader.errors import GraderError, Terminated, UsageError
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
            checks[spec.id.split(".", 1)[0]].append(spec)
    return checks


def target(exercise: Exercise, spec: CheckSpec) -> str:
    """The command-line form of a collected check: its module's path plus '::Class::test'."""
    return str(exercise.check_module) + spec.nodeid[spec.nodeid.index("::") :]


def data_dir(exercise: Exercise, settings: RunSettings) -> Path | None:
    """MNIST's folder, for the exercises that train on it only (the others never load it)."""
    return settings.data_dir if exercise.needs_mnist else None


def child_options(exercise: Exercise, settings: RunSettings) -> list[str]:
    return [
        "--grader-seed",
        str(settings.seed),
        "--grader-threads",
        str(settings.threads),
        "--grader-device",
        settings.device,
        "--grader-output-cap",
        str(settings.output_cap),
        f"--timeout={settings.check_timeout_s or exercise.check_timeout_s:g}",
        *(["--grader-data-dir", str(settings.data_dir)] if data_dir(exercise, settings) else []),
        *([f"--grader-data-problem={settings.data_problem}"] if settings.data_problem else []),
        *(f"--grader-select={prefix}" for prefix in settings.select),
        f"--grader-memory-mb={settings.limits.memory_mb or 0}",
    ]


def start_first(exercise: Exercise, settings: RunSettings) -> Child:
    """Start an exercise's first child ahead of its turn; it waits for its key to begin."""
    sandbox = Sandbox(settings.limits, settings.keep_env, settings.submission)
    return Child(
        [str(exercise.check_module)],
        child_options(exercise, settings),
        threads=settings.threads,
        sandbox=sandbox,
    )


@dataclass(frozen=True)
class ExerciseRun:
    """An exercise's result, plus what its child reported about torch and the device."""

    result: ExerciseResult
    torch_version: str
    device: str
    interrupted: str = ""
    isolation: str = ""


def run_exercise(
    exercise: Exercise,
    settings: RunSettings,
    progress: Progress = lambda name, done, total, note: None,
    first: Child | None = None,
) -> ExerciseRun:
    """Run the exercise's checks, restarting after a crash, until all have a status.

    The first child (`first`, when `start_first` started it ahead of time) collects the
    checks before any student code runs, so a crash or a hang later can never make a check
    disappear from the report.
    """
    try:
        return run_children(exercise, settings, progress, first)
    finally:
        if first is not None:
            first.discard()


def run_children(
    exercise: Exercise, settings: RunSettings, progress: Progress, first: Child | None
) -> ExerciseRun:
    """run_exercise's loop: a child per attempt until every collected check has a status."""
    started = time.monotonic()
    limit = settings.timeout_s or exercise.timeout_s
    specs: list[CheckSpec] = []
    results: dict[str, CheckResult] = {}
    env: Event = {}
    problem, interrupted, forged = "", "", 0
    targets = [str(exercise.check_module)]
    while targets and not problem:
        collecting = not specs

        def record(event: Event, collecting: bool = collecting) -> None:
            if event["event"] == "check" and collecting:
                specs.append(CheckSpec.from_event(event))
            elif event["event"] == "result":
                spec = next((s for s in specs if s.nodeid == event["nodeid"]), None)
                if spec is not None:  # only collected checks count, with their own points
                    results[spec.nodeid] = spec.trusted(event["result"], settings.output_cap)
                    progress(exercise.name, len(results), len(specs), "")
            elif event["event"] == "progress":
                check = next((s.id for s in specs if s.nodeid == event["nodeid"]), "")
                progress(exercise.name, len(results), len(specs), f"{check}: {event['text']}")
            elif event["event"] == "env":
                env.update(event)

        sandbox = Sandbox(settings.limits, settings.keep_env, settings.submission)
        try:
            process = first if first is not None and collecting else None
            if process is None:
                options = child_options(exercise, settings)
                process = Child(targets, options, threads=settings.threads, sandbox=sandbox)
            child = process.wait(started + limit, record, settings.stop)
        except KeyboardInterrupt as exc:
            interrupted = exc.signal_name if isinstance(exc, Terminated) else "SIGINT"
            problem = f"grading was interrupted by {interrupted}"
            for spec in specs:
                results.setdefault(spec.nodeid, spec.result(Status.ERROR, f"not run: {problem}"))
            break
        if collecting:
            check_collected(exercise, settings, child, env, specs)
        problem = blame(exercise, settings, child, specs, results, limit) or import_problem(child)
        forged += child.forged
        targets = [target(exercise, s) for s in specs if s.nodeid not in results]
    if forged:
        problem = f"{problem}; " * bool(problem) + f"{forged} forged result lines were ignored"
    checks = tuple(results[s.nodeid] for s in specs)
    result = ExerciseResult(exercise.name, checks, round(time.monotonic() - started, 3), problem)
    torch_version, device = str(env.get("torch", "")), str(env.get("device", settings.device))
    return ExerciseRun(result, torch_version, device, interrupted, str(env.get("isolation", "")))


def check_collected(
    exercise: Exercise, settings: RunSettings, child: ChildRun, env: Event, specs: list[CheckSpec]
) -> None:
    """Stop with a clear error when the first child could not even list the checks."""
    if settings.device == "cuda" and env.get("cuda") is False:
        raise UsageError("--device cuda: torch sees no CUDA device here; use --device cpu or auto")
    # pytest exits 5 when it collects nothing; with no check collected, 1 means pytest
    # itself could not run (not installed, a broken plugin), never a failed check
    if not specs and child.returncode not in (0, 5):
        raise GraderError(f"collecting the checks of {exercise.name} failed:\n{child.log}")


def blame(
    exercise: Exercise,
    settings: RunSettings,
    child: ChildRun,
    pending: Sequence[CheckSpec],
    results: dict[str, CheckResult],
    limit: float,
) -> str:
    """Give a status to checks a dead child left without one; '' when a retry may help."""
    missing = [s for s in pending if s.nodeid not in results]
    if not missing:
        return ""
    label = f"{settings.submission.name}/{exercise.name}.py"
    if child.timed_out:
        reason, status = f"the exercise's time limit of {limit:g} s ran out", Status.TIMEOUT
    elif child.ended:
        reason, status = "the check was not run (the test process skipped it)", Status.ERROR
    else:
        reason, status = f"the test process {death(child.returncode)}", Status.ERROR
    started = [e["nodeid"] for e in child.events if e["event"] == "start"]
    running = next((s for s in missing if started and s.nodeid == started[-1]), None)
    imported = any(e["event"] == "import" and e["ok"] for e in child.events)
    if running is not None:
        during = "during this check" if imported else f"while importing {label}"
        results[running.nodeid] = running.result(status, f"{reason} {during}")
    if running is None or child.timed_out or child.ended or not imported:
        cause = reason if imported else f"{reason} while importing {label}"
        for spec in missing:
            results.setdefault(spec.nodeid, spec.result(status, f"not run: {cause}"))
        return cause
    return ""


def import_problem(child: ChildRun) -> str:
    """The reason the submission could not be imported, as the plugin reported it."""
    problems = (e.get("problem") for e in child.events if e["event"] == "import")
    return next((p for p in problems if p), "")


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
