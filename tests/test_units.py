"""Unit tests, in this process and in milliseconds: the settings, the events between the
checker and the parent, the ledger, the verdicts, the worker's dispatcher and text capping."""

from __future__ import annotations

import dataclasses
import os
import signal
import time

import pytest
from click.testing import CliRunner

from grader import cli
from grader.engine import events
from grader.engine.checker import worker_spec
from grader.engine.checkers import CheckerRun
from grader.engine.events import CheckFinished, CheckSpec, CheckStarted, Ended, Imported
from grader.engine.ledger import Ledger, trusted
from grader.engine.signals import TERMINATING
from grader.engine.verdict import Submission, SubmissionError, classify, timeout_message
from grader.errors import exit_code, terminated_by
from grader.exercises import EXERCISES
from grader.kit.errors import FAIL_EXCEPTION, WHERE, GraderFault, StudentError, WorkerGone
from grader.report import Status
from grader.settings import Device, Settings, from_cli
from grader.text import cap, clean
from grader.worker.load import Folder
from grader.worker.serve import Workspace, handle
from grader.worker.wire import GetAttr, GetModule, Job, Length, Ref, Reseed
from tests.conftest import SOLUTIONS

SPEC = CheckSpec("checks/tensors.py::TestSlicing::test_row", "tensors.slicing.row", "row", 2.0)
OTHER = CheckSpec("checks/tensors.py::TestSlicing::test_col", "tensors.slicing.col", "col", 1.0)


# The settings


def test_settings_cross_as_json_unchanged() -> None:
    settings = Settings(only=("mlp",), device=Device.CPU, seed=7, memory_mb=512, select=("a",))
    assert Settings.from_json(settings.to_json()) == settings
    assert isinstance(Settings.from_json(settings.to_json()).only, tuple)


def test_a_bad_value_fails_where_it_enters() -> None:
    with pytest.raises(ValueError, match="'gpu' is not a valid Device"):
        Settings(device="gpu")  # type: ignore[arg-type]


def test_every_flag_of_grade_reaches_the_settings_and_back() -> None:
    """The options `grade` parses become Settings, and `arguments()` gives them back."""
    seen: list[Settings] = []
    original = cli.grade_and_write

    def keep(path: object, settings: Settings, *rest: object) -> object:
        seen.append(settings)
        raise SystemExit(0)

    args = ["sub", "--only", "mlp", "--device", "cpu", "--seed", "3", "--timeout", "9"]
    args += ["--check-timeout", "4", "--threads", "1", "--memory-limit", "300"]
    args += ["--check", "mlp.model", "--jobs", "1", "--keep-env", "X", "--no-download"]
    cli.grade_and_write = keep  # type: ignore[assignment]
    try:
        CliRunner().invoke(cli.main, args)
    finally:
        cli.grade_and_write = original
    expected = Settings(
        only=("mlp",),
        device=Device.CPU,
        seed=3,
        timeout_s=9,
        check_timeout_s=4,
        threads=1,
        memory_mb=300,
        select=("mlp.model",),
        jobs=1,
        keep_env=("X",),
        download=False,
    )
    assert seen == [expected]
    again = CliRunner().invoke(cli.main, ["--help"])
    assert "--memory-limit" in again.output
    assert from_cli({}) == Settings()
    arguments = expected.arguments()
    assert "--no-download" in arguments and not [a for a in arguments if "seed" in a]
    assert expected.environment() == {"GRADER_SEED": "3"}
    assert "--keep-env=X" in arguments and "--only=mlp" in arguments


def test_the_key_changes_with_what_decides_a_grade_only() -> None:
    base = Settings(threads=1)
    assert base.key() == dataclasses.replace(base, data_dir=SOLUTIONS, jobs=3).key()
    assert base.key() != dataclasses.replace(base, seed=1).key()


def test_the_worker_job_crosses_as_json() -> None:
    job = Job("/x", "tensors", threads=2, seed=5, device="cuda", warm_optimizer=True)
    assert Job.from_json(job.to_json()) == job


# The events


def test_events_round_trip_and_forgeries_are_refused() -> None:
    key = events.new_key()
    for event in (SPEC, CheckStarted("n"), CheckFinished("n", {"a": 1}), Imported("x", True)):
        assert events.decode(key, events.encode(key, event)) == event
    line = events.encode(key, Ended(0))
    assert events.decode(events.new_key(), line) is None
    digest, _, body = line.partition(" ")
    assert events.decode(key, f"{digest} {body.replace('0', '1')}") is None
    assert events.decode(key, "nonsense") is None


# The ledger


def run(*found: events.Event, timed_out: bool = False, returncode: int = -9) -> CheckerRun:
    return CheckerRun(tuple(found), returncode, timed_out, "log")


def ledger() -> Ledger:
    book = Ledger(EXERCISES[0], 90.0)
    book.specs += [SPEC, OTHER]
    book.collected = True
    return book


def test_a_crash_blames_the_running_check_and_leaves_the_others_to_run() -> None:
    book = ledger()
    book.settle(run(Imported("tensors", True)), SPEC.nodeid, "sub/tensors.py")
    assert book.results[SPEC.nodeid].message.startswith("the checker process was killed")
    assert "during this check" in book.results[SPEC.nodeid].message
    assert book.missing == [OTHER] and book.open


def test_a_timeout_settles_every_check_left() -> None:
    book = ledger()
    book.settle(run(Imported("tensors", True), timed_out=True), SPEC.nodeid, "sub/tensors.py")
    statuses = {r.status for r in book.results.values()}
    assert statuses == {Status.TIMEOUT} and not book.missing and not book.open
    assert "time limit of 90 s" in book.problem


def test_a_crash_while_importing_says_so_for_every_check() -> None:
    book = ledger()
    book.settle(run(), "", "sub/tensors.py")
    assert all("while importing sub/tensors.py" in r.message for r in book.results.values())


def test_a_result_is_held_to_what_was_collected() -> None:
    sent = {"id": "x.y", "name": "forged", "status": "passed", "score": 99, "max_score": 99}
    result = trusted(SPEC, {**sent, "message": "\x1b[2Jhi\x00" + "x" * 5000}, 100)
    assert (result.id, result.name, result.score, result.max_score) == (SPEC.id, "row", 2.0, 2.0)
    assert result.message.startswith("hi") and "characters cut" in result.message
    skipped = trusted(SPEC, {**sent, "status": "skipped"}, 100)
    assert skipped.status is Status.ERROR and skipped.score == 0
    assert trusted(SPEC, {"status": "nope"}, 100).status is Status.ERROR


# The verdicts


@pytest.mark.parametrize(
    ("exc", "status", "start"),
    [
        (StudentError({"kind": "stub", "message": "tensors: row"}), Status.NOT_ATTEMPTED, "not"),
        (
            StudentError({"kind": "raised", "message": "ValueError: x", "where": "s.py, line 3"}),
            Status.ERROR,
            "ValueError: x (s.py, line 3)",
        ),
        (StudentError({"type": "MemoryError", "where": "w"}), Status.ERROR, "out of memory"),
        (WorkerGone("your code ended"), Status.ERROR, "your code ended"),
        (GraderFault("torch"), Status.ERROR, "grader error, not your code"),
        (AssertionError("row: expected 1, got 2"), Status.FAILED, "row: expected 1, got 2"),
        (SubmissionError(Status.TIMEOUT, "import hung"), Status.TIMEOUT, "import hung"),
        (TypeError("bad"), Status.FAILED, "the check could not use your result: TypeError"),
    ],
)
def test_classify(exc: BaseException, status: Status, start: str) -> None:
    outcome = classify(Submission(SOLUTIONS), exc, "call")
    assert outcome.status is status and outcome.message.startswith(start), outcome


def test_a_timeout_says_where_the_code_was() -> None:
    exc = FAIL_EXCEPTION(f"Timeout (>3.0s) from pytest-timeout.{WHERE}sub/t.py, line 9, in f")
    outcome = classify(Submission(SOLUTIONS), exc, "call")
    assert outcome.status is Status.TIMEOUT
    assert outcome.message == timeout_message(str(exc))
    assert "in time (its limit is 3 s); your code was at sub/t.py, line 9, in f" in outcome.message


# The worker's dispatcher, on the reference module, in this process


def test_the_dispatcher_answers_each_request_kind() -> None:
    from grader.worker.load import import_exercise

    folder = Folder(SOLUTIONS.resolve())
    workspace = Workspace(folder, import_exercise(folder, "tensors", ""), os.getpid())
    module = handle(workspace, GetModule())["value"]
    ref = Ref(int(module["__grader_handle__"]))
    assert handle(workspace, Reseed(3)) == {"value": None}
    assert handle(workspace, GetAttr(ref, "row"))["value"]["type"] == "function"
    assert handle(workspace, GetAttr(ref, "nothing_here"))["failure"]["kind"] == "missing"
    assert handle(workspace, Length(ref))["failure"]["type"] == "TypeError"
    assert "unknown request" in handle(workspace, "junk")["failure"]["message"]  # type: ignore[arg-type]


# Text


def test_cap_keeps_both_ends_and_says_the_cut() -> None:
    text = "a" * 50 + "b" * 50
    assert cap(text, 200) == text
    assert cap(text, 10) == "aaaaa\n[... 90 characters cut ...]\nbbbbb"
    assert clean("x\x1b]0;title\x07y\x1b[31mz\x00\ud800") == "xyz?"


def test_the_worker_is_started_with_its_seed() -> None:
    """The worker's seed is in its job, set before the import (tests/test_cli.py runs it):
    drawn from the run's seed, never the run's seed itself."""
    settings = Settings(seed=11, device=Device.CPU)
    spec = worker_spec(settings, SOLUTIONS, "tensors")
    assert (spec.job.device, spec.job.exercise) == ("cpu", "tensors")
    assert spec.job.seed == settings.worker_seed != 11


@pytest.mark.parametrize(
    ("name", "code"),
    [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129), ("SIGQUIT", 131), ("SIGUSR2", 140)],
)
def test_each_stopping_signal_has_its_exit_code_and_exception(name: str, code: int) -> None:
    """tests/test_hostile.py sends three of them to a real `grade`; every one maps here."""
    assert exit_code(name) == code
    if name != "SIGINT":
        number = getattr(signal, name)
        assert number in TERMINATING
        assert terminated_by(number).signal_name == name


def test_what_a_worker_printed_is_all_there_the_moment_it_is_asked_for() -> None:
    """Output.text() never misses bytes the reader thread took out of the pipe but had not
    yet counted (the pipe is read only under the lock); the reader closes at the end."""
    from grader.engine.box import Output

    read, write = os.pipe()
    output = Output(read)
    try:
        for i in range(2000):
            line = f"line {i}\n"
            os.write(write, line.encode())
            assert output.text() == line, i
            output.mark()
        os.write(write, b"x" * 200_000)  # more than a pipe holds at once: the thread drains
        shown = output.text()  # the first and last 32 KiB, and what was cut between
        assert "[... 134,464 characters cut ...]" in shown and len(shown) > 65_536
    finally:
        os.close(write)
    for _ in range(200):
        if output.closed:
            break
        time.sleep(0.01)
    assert output.closed
