"""Fault injection: careless, broken and hostile submissions, one small submission each.

Every test bounds what it starts, and checks the statuses, that the other checks kept
their results, that the report is valid, the time it took, and that nothing is left running.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from grader import api
from grader.engine import events
from grader.engine.channel import Channel
from grader.report import Report, Status, load
from grader.settings import Settings
from tests.conftest import (
    EXERCISES,
    FAST,
    Maximum,
    replace_function,
    solution_text,
    statuses,
    validate,
)

pytestmark = pytest.mark.slow  # grades in real subprocesses

Write = Callable[[dict[str, str]], Path]
TAG = "987654"  # in the command line of every process the submissions start


def processes() -> Iterator[tuple[int, str]]:
    """(pid, command line) of every process running now."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield (
                    int(entry.name),
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(),
                )
            except OSError:
                continue


def leftovers() -> list[str]:
    """Command lines of processes these tests started that are still running."""
    return [
        c for _, c in processes() if TAG in c or "grader.engine.plugin" in c or "grader.worker" in c
    ]


def parent_of(pid: int) -> int:
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return 0
    return int(stat.rsplit(")", 1)[1].split()[1])


def descends_from(pid: int, ancestor: int) -> bool:
    while pid > 1:
        pid = parent_of(pid)
        if pid == ancestor:
            return True
    return False


def sleeping_under(grade_pid: int) -> bool:
    """Whether a `sleep TAG` started by this grade run (in its worker) is running."""
    return any(
        f"sleep {TAG}" in cmdline and descends_from(pid, grade_pid) for pid, cmdline in processes()
    )


@pytest.fixture(autouse=True)
def nothing_left_running() -> Iterator[None]:
    yield
    deadline = time.monotonic() + 5
    while leftovers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert leftovers() == []


def grade_with(
    write: Write, function: str, body: str, options: Settings = FAST, bound_s: float = 60
) -> Report:
    """Grade the tensors solution with one function replaced; check validity and time."""
    source = replace_function(solution_text("tensors"), function, body)
    started = time.monotonic()
    report = api.grade(write({"tensors.py": source}), options)
    assert time.monotonic() - started < bound_s
    validate(report)
    return report


def only_this_lost(report: Report, check_id: str, status: Status, phrase: str) -> None:
    found = statuses(report)
    assert found.pop(check_id) is status, next(
        c.message for c in report.checks() if c.id == check_id
    )
    message = next(c.message for c in report.checks() if c.id == check_id)
    assert phrase in message, message
    assert set(found.values()) == {Status.PASSED}


def test_allocation_beyond_the_memory_limit(write_submission: Write) -> None:
    limited = dataclasses.replace(FAST, memory_mb=8000)
    report = grade_with(
        write_submission, "make_full", "return torch.empty(3 * 10**9) if shape else None", limited
    )
    only_this_lost(report, "tensors.creating.full", Status.ERROR, "memory limit of 8,000 MB")


def test_processes_that_never_exit_are_killed(write_submission: Write) -> None:
    body = (
        "import subprocess\n"
        "for i in range(4):\n"
        f"    subprocess.Popen(['sleep', '{TAG}'], start_new_session=i % 2 == 0)\n"
        "return t.repeat(*repeats)"
    )
    report = grade_with(write_submission, "tile", body)
    assert set(statuses(report).values()) == {Status.PASSED}


def test_thread_flood(write_submission: Write) -> None:
    body = (
        "import threading, time\n"
        "if not globals().get('flooded'):  # once: the check calls this on several inputs\n"
        "    globals()['flooded'] = True\n"
        "    for _ in range(300):\n"
        "        threading.Thread(target=time.sleep, args=(1000,), daemon=True).start()\n"
        "return A.t()"
    )
    report = grade_with(write_submission, "transpose_matrix", body)
    assert set(statuses(report).values()) == {Status.PASSED}


def test_hundred_megabytes_of_output(write_submission: Write) -> None:
    body = "import sys\nfor _ in range(100):\n    sys.stdout.write('x' * 1_000_000)\nreturn A[i]"
    report = grade_with(write_submission, "row", body)
    row = next(c for c in report.checks() if c.id == "tensors.slicing.row")
    assert row.status is Status.PASSED
    assert len(row.output) < 10_000 and "characters cut" in row.output


def test_infinite_recursion(write_submission: Write) -> None:
    body = "def down(n):\n    return down(n + 1)\nreturn down(0)"
    report = grade_with(write_submission, "swap_dims", body)
    only_this_lost(report, "tensors.manipulating.transpose", Status.ERROR, "RecursionError")


def test_signals_sent_to_the_grader_are_ignored(write_submission: Write, maximum: Maximum) -> None:
    """The submission looks for `grade` and the checker in /proc and signals them: in a PID
    namespace it finds neither; without one, they ignore what it sends."""
    body = (
        "import os, signal, pathlib\n"
        "targets = []\n"
        "for p in pathlib.Path('/proc').glob('[0-9]*/cmdline'):\n"
        "    try:\n"
        "        line = p.read_bytes()\n"
        "    except OSError:\n"
        "        continue\n"
        "    if b'grader' in line and b'grader.worker' not in line:\n"
        "        targets.append(int(p.parent.name))\n"
        "for pid in targets:\n"
        "    for name in ('SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'):\n"
        "        try:\n"
        "            os.kill(pid, getattr(signal, name))\n"
        "        except OSError:\n"
        "            pass\n"
        "return A[:, j]"
    )
    folder = write_submission(
        {"tensors.py": replace_function(solution_text("tensors"), "column", body)}
    )
    proc = subprocess.run(
        [sys.executable, "-m", "grader", str(folder), "--only", "tensors"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"Total: {maximum['tensors']:g} / {maximum['tensors']:g} points" in proc.stdout


@pytest.mark.parametrize(
    ("function", "body", "check_id", "status", "phrase"),
    [
        (
            "element",
            "import pytest\npytest.skip('free points')",
            "tensors.slicing.element",
            Status.ERROR,
            "your code called pytest.skip",
        ),
        (
            "row_range",
            "raise SystemExit(0)",
            "tensors.slicing.row_range",
            Status.ERROR,
            "SystemExit",
        ),
        (
            "make_full_like",
            "class Anything:\n    def __eq__(self, other):\n        return True\nreturn Anything()",
            "tensors.creating.full_like",
            Status.FAILED,
            "expected a torch.Tensor, got Anything",
        ),
        (
            "int16_from_values",
            "class Liar(torch.Tensor):\n    def __eq__(self, other):\n"
            "        return True\nreturn torch.zeros(1).as_subclass(Liar)",
            "tensors.creating.int16",
            Status.FAILED,
            "expected shape (3, 4), got (1,)",
        ),
    ],
    ids=["pytest.skip", "SystemExit", "equals anything", "tensor subclass"],
)
def test_faking_a_pass_in_a_function(
    write_submission: Write, function: str, body: str, check_id: str, status: Status, phrase: str
) -> None:
    only_this_lost(grade_with(write_submission, function, body), check_id, status, phrase)


@pytest.mark.parametrize(
    "prelude",
    [
        "torch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n",
        "try:\n    import grader.checks.tensors as c\n"
        "    c.assert_tensor = lambda *a, **k: None\n"
        "except ImportError:\n    pass\n",  # a sealed worker has none of the checks
        "import pytest\npytest.fail = lambda *a, **k: None\n",
    ],
    ids=["torch.allclose", "check module", "pytest"],
)
def test_patching_what_the_checks_rely_on_changes_nothing(
    write_submission: Write, prelude: str, maximum: Maximum
) -> None:
    """The checks run in the checker: what the worker replaces is the worker's own."""
    stubs = (EXERCISES / "tensors.py").read_text()
    source = stubs.replace("from torch import Tensor\n", f"from torch import Tensor\n{prelude}", 1)
    report = api.grade(write_submission({"tensors.py": source}), FAST)
    validate(report)
    assert report.score == 0 and report.max_score == maximum["tensors"]
    assert {c.status for c in report.checks()} == {Status.NOT_ATTEMPTED}


def test_secrets_are_not_visible_and_kept_variables_are(
    write_submission: Write, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secret")
    monkeypatch.setenv("ACTIONS_RUNTIME_TOKEN", "secret")
    monkeypatch.setenv("COURSE_HINT", "kept")
    body = (
        "import os\n"
        "assert 'GITHUB_TOKEN' not in os.environ and 'ACTIONS_RUNTIME_TOKEN' not in os.environ\n"
        "assert os.environ.get('COURSE_HINT') == 'kept'\n"
        "return A[i, j]"
    )
    kept = dataclasses.replace(FAST, keep_env=("COURSE_HINT",))
    report = grade_with(write_submission, "element", body, kept)
    assert set(statuses(report).values()) == {Status.PASSED}


def test_the_submission_folder_cannot_be_changed(write_submission: Write) -> None:
    body = (
        "from pathlib import Path\n"
        "Path(__file__).write_text('broken')\n"
        "(Path(__file__).parent / 'extra.py').write_text('x = 1')\n"
        "return A[start:stop]"
    )
    source = replace_function(solution_text("tensors"), "row_range", body)
    folder = write_submission({"tensors.py": source})
    before = hashlib.sha256((folder / "tensors.py").read_bytes()).hexdigest()
    report = api.grade(folder, FAST)
    if os.geteuid() == 0:  # the worker's own user id cannot write even the copy
        phrase = "Read-only file system" if sealed(report) else "PermissionError"
        only_this_lost(report, "tensors.slicing.row_range", Status.ERROR, phrase)
    else:
        assert set(statuses(report).values()) == {Status.PASSED}
    assert hashlib.sha256((folder / "tensors.py").read_bytes()).hexdigest() == before
    assert sorted(p.name for p in folder.iterdir()) == ["tensors.py"]


BAD_FILES: dict[str, tuple[Callable[[Path], None], str]] = {
    "invalid UTF-8": (
        lambda f: (f / "tensors.py").write_bytes(b"x = '\xff\xfe'\n"),
        "submission/tensors.py",
    ),
    "a NUL byte": (lambda f: (f / "tensors.py").write_bytes(b"x = 1\0\n"), "null bytes"),
    "an empty file": (
        lambda f: (f / "tensors.py").write_text(""),
        "submission/tensors.py does not define",
    ),
    "a folder instead of a file": (
        lambda f: (f / "tensors.py").mkdir(),
        "submission/tensors.py is a folder, not a file",
    ),
    "a link outside the submission": (
        lambda f: (f / "tensors.py").symlink_to(Path(sys.executable)),
        "submission/tensors.py is a symbolic link pointing outside the submission",
    ),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_get_clear_statuses(write_submission: Write, kind: str) -> None:
    make, phrase = BAD_FILES[kind]
    folder = write_submission({})
    make(folder)
    started = time.monotonic()
    report = api.grade(folder, FAST)
    assert time.monotonic() - started < 60
    validate(report)
    assert report.score == 0
    assert {c.status for c in report.checks()} == {Status.ERROR}
    messages = {c.message for c in report.checks()}
    assert all(phrase in m for m in messages), messages


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read a file without read permission")
def test_unreadable_file(write_submission: Write) -> None:
    folder = write_submission({"tensors.py": "x = 1\n"})
    (folder / "tensors.py").chmod(0)
    report = api.grade(folder, FAST)
    assert all("cannot be read" in c.message for c in report.checks())


@pytest.mark.parametrize(
    ("signal_name", "code", "jobs"),
    [
        ("SIGTERM", 143, 1),
        ("SIGINT", 130, 2),
        ("SIGQUIT", 131, 1),
    ],
)
def test_interrupting_grade_writes_a_valid_report(
    write_submission: Write, tmp_path: Path, signal_name: str, code: int, jobs: int
) -> None:
    """In order (the next exercise's worker already started) or side by side (--jobs 2)."""
    body = f"import subprocess\nsubprocess.run(['sleep', '{TAG}'])\nreturn A[i]"
    folder = write_submission(
        {
            "tensors.py": replace_function(solution_text("tensors"), "row", body),
            "autograd.py": solution_text("autograd"),
        }
    )
    target = tmp_path / "report.json"
    only = ["--only", "tensors", "--only", "autograd", "--jobs", str(jobs)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader", str(folder), *only, "--json", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not sleeping_under(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    proc.send_signal(getattr(signal, signal_name))
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == code, err
    assert f"grading was interrupted by {signal_name}" in err
    report = load(target)
    validate(report)
    assert [e.name for e in report.exercises] == ["tensors", "autograd"]
    found = statuses(report)
    assert found.pop("tensors.slicing.row") is Status.ERROR
    assert Status.PASSED in set(found.values())
    assert "interrupted" in report.exercises[0].problem
    if jobs == 1:
        assert report.exercises[1].problem.startswith("not graded: grading was interrupted")


def test_results_channel_keeps_every_signed_line_after_junk(tmp_path: Path) -> None:
    """Junk a submission appends (a carriage return, no newline yet) never hides a result."""
    key = events.new_key()
    path = tmp_path / "results.jsonl"
    seen: list[events.Event] = []
    reader = Channel(path, key, seen.append)
    path.write_bytes(b"abc\rdef\n" + events.encode(key, events.Ended(0)).encode() + b"half")
    reader.drain()
    assert seen == [events.Ended(0)] and reader.forged == 1
    with path.open("ab") as handle:
        handle.write(b"\n" + events.encode(key, events.CheckStarted("x")).encode())
    reader.drain()
    assert seen == [events.Ended(0), events.CheckStarted("x")] and reader.forged == 2


def named(comm: str) -> list[int]:
    """Processes whose name (/proc/PID/comm) is `comm`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == comm:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def sealed(report: Report) -> bool:
    return report.environment.isolation.startswith("sealed")


def test_a_killed_grade_leaves_no_child_behind(write_submission: Write) -> None:
    """SIGKILL cannot be handled: the children die with `grade` (PR_SET_PDEATHSIG), the one
    running student code and the next one already started; the autouse fixture checks.
    The check shows it started by renaming its process (visible from here in every box)."""
    tag = f"kg{os.getpid() % 10_000}"
    body = (
        "import ctypes, time\n"
        f"ctypes.CDLL(None).prctl(15, {tag.encode()!r}, 0, 0, 0)\n"
        "time.sleep(60)\nreturn A[i]"
    )
    folder = write_submission(
        {
            "tensors.py": replace_function(solution_text("tensors"), "row", body),
            "autograd.py": solution_text("autograd"),
        }
    )
    command = [
        sys.executable,
        "-m",
        "grader",
        str(folder),
        "--only",
        "tensors",
        "--only",
        "autograd",
    ]
    proc = subprocess.Popen(
        [*command, "--jobs", "1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 60
    while not named(tag) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert named(tag), "the check never ran"
    children = [pid for pid, cmdline in processes() if "grader.engine.plugin" in cmdline]
    assert children, "no child pytest to watch"
    proc.kill()
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(Path(f"/proc/{pid}/cmdline").exists() for pid in children)


def test_odd_files_beside_the_exercise_never_stop_grading(
    write_submission: Write, maximum: Maximum
) -> None:
    """A link loop, a link to the folder itself, a FIFO (reading it would block), a path of
    about 4,000 characters and 1,500 files: each is at most that file's problem."""
    folder = write_submission({"tensors.py": solution_text("tensors")})
    (folder / "loop").symlink_to("loop")
    (folder / "itself").symlink_to(folder, target_is_directory=True)
    os.mkfifo(folder / "pipe")
    deep = folder.joinpath(*["d" * 200] * 19)
    deep.mkdir(parents=True)
    (deep / "deep.py").write_text("x = 1\n", encoding="utf-8")
    many = folder / "many"
    many.mkdir()
    for index in range(1_500):
        (many / f"{index}.txt").write_text("", encoding="utf-8")
    started = time.monotonic()
    report = api.grade(folder, FAST)
    validate(report)
    assert report.score == report.max_score == maximum["tensors"]
    assert time.monotonic() - started < 60
