"""Grade one exercise in child processes; every check ends up with a status.

The checks are known before any student code runs (a collection pass), so a child
that crashes or hangs can never make a check disappear from the report. When a child
dies after the submission imported, the check it was running gets the blame and the
remaining checks run in a fresh child, within the exercise's time limit.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader.child import ChildRun, Event, run_child
from grader.exercises import Exercise
from grader.report import CheckResult, ExerciseResult, Status, check_from_dict


class GraderError(RuntimeError):
    """The grader itself failed (not the submission): exit code 3."""


@dataclass(frozen=True)
class CheckSpec:
    """A check as collected, before it has run."""

    nodeid: str
    id: str
    name: str
    points: float

    def result(self, status: Status, message: str) -> CheckResult:
        return CheckResult(self.id, self.name, status, 0.0, self.points, message)


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


@dataclass(frozen=True)
class Collection:
    """The checks of each exercise, plus facts about the child's torch."""

    checks: dict[str, tuple[CheckSpec, ...]]
    torch_version: str
    cuda_available: bool


Progress = Callable[[str, int, int], None]


def collect(exercises: Sequence[Exercise], timeout_s: float = 120) -> Collection:
    """List every check without importing any student code."""
    targets = [str(e.check_module) for e in exercises]
    child = run_child(
        targets, ["--collect-only"], threads=1, deadline=time.monotonic() + timeout_s
    )
    if not child.ended or child.returncode not in (0, 5):
        raise GraderError(f"collecting the checks failed:\n{child.log}")
    checks: dict[str, list[CheckSpec]] = {e.name: [] for e in exercises}
    env: Event = {}
    for event in child.events:
        if event["event"] == "env":
            env = event
        if event["event"] == "check":
            spec = CheckSpec(event["nodeid"], event["id"], event["name"], event["points"])
            checks[spec.id.split(".", 1)[0]].append(spec)
    frozen = {name: tuple(specs) for name, specs in checks.items()}
    return Collection(frozen, str(env.get("torch", "")), bool(env.get("cuda", False)))


def target(exercise: Exercise, spec: CheckSpec) -> str:
    """The command-line form of a collected check: its module's path plus '::Class::test'."""
    return str(exercise.check_module) + spec.nodeid[spec.nodeid.index("::"):]


def child_options(exercise: Exercise, settings: RunSettings) -> list[str]:
    return [
        "--grader-submission", str(settings.submission),
        "--grader-seed", str(settings.seed),
        "--grader-threads", str(settings.threads),
        "--grader-device", settings.device,
        "--grader-output-cap", str(settings.output_cap),
        f"--timeout={settings.check_timeout_s or exercise.check_timeout_s:g}",
    ]


def run_exercise(
    exercise: Exercise,
    specs: Sequence[CheckSpec],
    settings: RunSettings,
    progress: Progress = lambda name, done, total: None,
) -> ExerciseResult:
    """Run the exercise's checks, restarting after a crash, until all have a status."""
    started = time.monotonic()
    limit = settings.timeout_s or exercise.timeout_s
    deadline = started + limit
    results: dict[str, CheckResult] = {}
    problem = ""
    pending = list(specs)
    while pending and not problem:

        def record(event: Event) -> None:
            if event["event"] == "result":
                results[event["nodeid"]] = check_from_dict(event["result"])
                progress(exercise.name, len(results), len(specs))

        child = run_child(
            [target(exercise, s) for s in pending], child_options(exercise, settings),
            threads=settings.threads, deadline=deadline, on_event=record,
        )
        problem = blame(exercise, settings, child, pending, results, limit) or import_problem(child)
        pending = [s for s in pending if s.nodeid not in results]
    checks = tuple(results[s.nodeid] for s in specs)
    return ExerciseResult(exercise.name, checks, round(time.monotonic() - started, 3), problem)


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
    return next((e["problem"] for e in child.events if e["event"] == "import" and e.get("problem")), "")


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
