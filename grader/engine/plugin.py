"""The pytest plugin that runs inside the checker process (`-p grader.engine.plugin`).

It starts each exercise's worker in turn (grader.engine.state), fixes seeds before every
check, turns each test outcome into a CheckResult and
appends it as one JSON line to the results file the parent named. Lines are flushed
one by one, so whatever the submission does later (os._exit, a hang), the results
already written survive.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Generator
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import torch

from grader.engine import events
from grader.engine.checker import (
    Preloaded,
    Started,
    exercises_of,
    module_names,
    read_settings,
)
from grader.engine.events import (
    CheckerEnv,
    CheckFinished,
    CheckSpec,
    CheckStarted,
    Ended,
    Event,
    Imported,
)
from grader.engine.state import State, move_to, preload, start_worker
from grader.engine.verdict import (
    EXERCISE,
    OUTCOME,
    OUTPUT,
    POINTS,
    TRACEBACK,
    VISIBILITY,
    Outcome,
    Submission,
    SubmissionError,
    build_result,
    check_id,
    check_name,
    classify,
    exercise_of,
    marked_points,
    points,
    student_traceback,
)
from grader.kit.errors import WHERE, StudentError, WorkerGone, is_timeout
from grader.kit.remote import Remote, ask
from grader.kit.source import stubbed
from grader.report import Status
from grader.settings import Settings
from grader.worker.wire import GetModule, Reseed

STATE = pytest.StashKey[State]()
# The fixtures that checks use (device, mnist, trainer, progress, credit) live there.
pytest_plugins = ("grader.engine.fixtures",)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--grader-settings", help="the run's settings, as JSON (grader.settings)")
    group.addoption("--grader-submission", help="folder with the student's files")
    group.addoption("--grader-results", help="JSON-lines file the events go to")
    group.addoption("--grader-key-fd", type=int, default=-1, help="pipe holding the signing key")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): points the check is worth")
    results = config.getoption("--grader-results")
    if not results:
        return
    plugins = config.pluginmanager.get_plugins()
    started = next((p for p in plugins if isinstance(p, Started)), None)
    # Read by `python -m grader.engine.checker` before any worker ran: the file is not read
    # again once student code may be running.
    settings = started.settings if started is not None else read_settings(None)
    exercises = exercises_of([str(arg) for arg in config.args], settings)
    state = State(
        settings=settings,
        submission=Submission(Path(config.getoption("--grader-submission") or ".").resolve()),
        device=resolve_device(settings.device.value),
        channel=Path(results).open("a", encoding="utf-8"),  # noqa: SIM115 (the session's)
        exercises=exercises,
    )
    if exercises and not config.option.collectonly:
        state.spawner = started.spawner if started is not None else None
        state.box()
        preload(state, exercises[0], started.preloaded if started else Preloaded())
    state.key = read_key(config.getoption("--grader-key-fd"))
    config.stash[STATE] = state
    cuda = torch.cuda.is_available()
    isolation = state.spawner.box.level if state.spawner is not None else ""
    emit(config, CheckerEnv(torch.__version__, cuda, state.device, isolation))
    if state.device == "cuda" and not cuda:
        raise pytest.UsageError("--device cuda: torch sees no CUDA device")


def read_key(fd: int) -> bytes:
    """The signing key, read once from the parent's pipe before any student code runs."""
    if fd < 0:
        return b""
    with os.fdopen(fd, "rb") as pipe:
        return pipe.read().strip()


def resolve_device(requested: str) -> str:
    """'auto' becomes cuda when torch sees a GPU, else cpu."""
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def emit(config: pytest.Config, event: Event) -> None:
    state = config.stash.get(STATE, None)
    if state is not None:
        state.channel.write(events.encode(state.key, event))
        state.channel.flush()


def load_exercise(config: pytest.Config, name: str) -> Remote:
    """The student's module as a Remote, imported once per worker; a failure to import is
    replayed for every check. The worker is reseeded before every check."""
    state = config.stash[STATE]
    cached = state.modules.get(name)
    if cached is None:
        emit(config, Imported(name, None))
    if not isinstance(cached, SubmissionError):
        first = cached is None
        cached = import_in_worker(state, name)
        if first:
            problem = cached.message if isinstance(cached, SubmissionError) else ""
            emit(config, Imported(name, not problem, problem))
    if isinstance(cached, SubmissionError):
        state.modules[name] = cached
        raise SubmissionError(cached.status, cached.message, cached.traceback) from None
    state.modules[name] = cached
    return cached


def import_in_worker(state: State, name: str) -> Remote | SubmissionError:
    worker = state.workers.get(name) or start_worker(state, name)
    try:
        worker.request(Reseed(state.settings.worker_seed))
        module = ask(worker, GetModule())
    except StudentError as exc:
        if exc.kind != "import":
            raise
        return SubmissionError(Status.ERROR, exc.message, exc.traceback)
    except WorkerGone as exc:
        label = state.submission.label(name)
        return SubmissionError(Status.ERROR, f"while importing {label}: {exc}")
    except BaseException as exc:
        if not is_timeout(exc):
            raise
        label = state.submission.label(name)
        where = str(exc).partition(WHERE)[2]
        at = f" (it was at {where})" if where else ""
        why = "is there an endless loop at module level?"
        message = f"importing {label} did not finish in time{at}: {why}"
        return SubmissionError(Status.TIMEOUT, message)
    if not isinstance(module, Remote):
        return SubmissionError(Status.ERROR, f"{name}: the worker did not return a module")
    return module


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Apply the course to each check (its exercise, points, visibility and time limit:
    --check-timeout, else the course's), then keep the checks this run grades: visible ones
    unless --all-checks, and those whose id starts with a --check prefix, if any."""
    state = config.stash.get(STATE, None)
    settings = state.settings if state is not None else read_settings(None)
    apply_course(items, settings, timed=state is not None)
    seen: dict[str, str] = {}
    for item in items:
        other = seen.setdefault(check_id(item), item.nodeid)
        if other != item.nodeid:
            raise pytest.UsageError(
                f"two checks have the id {check_id(item)}: {other}, {item.nodeid}"
            )
    keep = [
        item
        for item in items
        if (settings.all_checks or item.stash[VISIBILITY] == "visible")
        and (not settings.select or check_id(item).startswith(settings.select))
    ]
    config.hook.pytest_deselected(items=[item for item in items if item not in keep])
    items[:] = keep


def apply_course(items: list[pytest.Item], settings: Settings, timed: bool) -> None:
    course, modules = settings.course, module_names(settings)
    for item in items:
        name = modules.get(Path(str(item.path)).resolve(), Path(str(item.path)).stem)
        item.stash[EXERCISE] = name
        item.stash[POINTS] = course.points_for(check_id(item), marked_points(item))
        exercise = course.exercise(name)
        kept = exercise is not None and exercise.hidden == Path(str(item.path)).resolve()
        item.stash[VISIBILITY] = course.visibility_of(check_id(item), kept).value
        if exercise is not None and timed:
            seconds = settings.check_timeout_s or exercise.check_timeout_s
            item.add_marker(pytest.mark.timeout(seconds))  # read by pytest-timeout


def pytest_collection_finish(session: pytest.Session) -> None:
    """Send the collected checks, then wait for the submission's box to be ready."""
    for item in session.items:
        emit(
            session.config,
            CheckSpec(
                item.nodeid,
                check_id(item),
                check_name(item),
                points(item),
                item.stash.get(VISIBILITY, "visible"),
            ),
        )
    state = session.config.stash.get(STATE, None)
    if state is not None and state.spawner is not None:
        state.spawner.ready()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Same seeds and thread count before every check, so each check is reproducible alone."""
    state = item.config.stash.get(STATE, None)
    seed = state.settings.seed if state else 0
    random.seed(seed)
    np.random.seed(seed % 2**32)  # numpy takes 32 bits; a per-student seed has 63
    torch.manual_seed(seed)
    if state is not None:
        torch.set_num_threads(state.settings.threads)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember the first phase that went wrong, and everything the check printed."""
    report = yield
    state = item.config.stash.get(STATE, None)
    if state is None:
        return report
    if call.excinfo is not None and OUTCOME not in item.stash:
        outcome = safe_classify(state, call.excinfo.value, call.when)
        item.stash[OUTCOME] = outcome
        item.stash[TRACEBACK] = student_traceback(call.excinfo.value, outcome, report.longreprtext)
    elif call.when == "call" and OUTCOME not in item.stash:
        stub = stubs_used(item, state)
        if stub:
            item.stash[OUTCOME] = stub
    item.stash[OUTPUT] = worker_output(item, state)  # the checker's own output is the grader's
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Time the whole check (setup, call, teardown) and send its result to the parent."""
    emit(item.config, CheckStarted(item.nodeid))
    state = item.config.stash.get(STATE, None)
    name = exercise_of(item)
    if state is not None and name in state.exercises:
        move_to(state, name)
        state.workers[name].mark_output()
    started = time.perf_counter()
    result = yield
    if state is not None:
        check = build_result(item, state.settings, time.perf_counter() - started)
        emit(item.config, CheckFinished(item.nodeid, asdict(check)))
    return result


def stubs_used(item: pytest.Item, state: State) -> Outcome | None:
    """A check that passed although a name it used is still an untouched stub in the
    submitted source (parsed, never run): whatever the worker answered, that is not the
    student's work, so it scores as not attempted."""
    worker = state.workers.get(exercise_of(item))
    if worker is None or not worker.accessed:
        return None
    names = stubbed(worker.source_path, worker.accessed)
    if not names:
        return None
    return Outcome(
        Status.NOT_ATTEMPTED, f"not attempted yet: {', '.join(names)} still the starter stub"
    )


def safe_classify(state: State, exc: BaseException, when: str) -> Outcome:
    """classify, but a failure inside it (say, a submission broke what it uses) is an error."""
    try:
        return classify(state.submission, exc, when, state.settings.memory_mb)
    except Exception as failure:
        return Outcome(
            Status.ERROR,
            f"{type(exc).__name__}: {exc} (and while classifying it: "
            f"{type(failure).__name__}: {failure})",
        )


def worker_output(item: pytest.Item, state: State) -> str:
    """What the exercise's worker printed during this check (a bounded tail)."""
    worker = state.workers.get(exercise_of(item))
    return worker.output_text() if worker is not None else ""


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close the workers, then say the session ended and how: the parent stops waiting."""
    state = session.config.stash.get(STATE, None)
    if state is not None:
        state.close()
    emit(session.config, Ended(int(exitstatus)))
