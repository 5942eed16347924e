"""Start one checker process (pytest with the grader's plugin), follow its events, and
kill it on time.

The checker runs in its own process group and a temporary working directory, with the
settings as one JSON file there. Its stdout goes to a log file the parent only reads when
the grader itself failed; events arrive as signed JSON lines in a separate file that the
plugin flushes one by one (grader/engine/events.py).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from grader import ipynb, layout
from grader.engine import events
from grader.engine.events import Ended, Event
from grader.engine.sandbox import (
    MARKER,
    Limits,
    add_problems,
    apply_limits,
    copy_submission,
    kill_all,
    remove_tree,
    scrubbed_env,
)
from grader.errors import Terminated
from grader.settings import Settings

PLUGIN_ARGS = (
    "-p",
    "pytest_timeout",
    "-p",
    "grader.engine.plugin",
    "-p",
    "no:cacheprovider",
    "--noconftest",
    "--assert=plain",
    "--tb=native",
    "--import-mode=importlib",  # a course's own exercises may each have a checks.py
    "-q",
    "-o",
    "console_output_style=classic",
)
INI_FILE = Path(__file__).with_name("checker.ini")
# Node ids are paths from /: a course's own and hidden check modules lie anywhere, and two
# own exercises may each have a checks.py (pytest gives a module outside its rootdir none).
ROOTDIR = Path("/")
POLL_S = 0.05
LOG_TAIL = 20_000
FINISHED = (0, 1, 5)  # pytest's exit statuses: all passed, some failed, none collected
SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class CheckerRun:
    """What one checker process left behind."""

    events: tuple[Event, ...]
    returncode: int  # pytest's exit status, from its end event when the checker was cut short
    timed_out: bool
    log: str
    forged: int = 0

    @property
    def ended(self) -> bool:
        """Whether pytest reached the end of its session (no crash, no kill)."""
        return any(isinstance(e, Ended) for e in self.events)


def checker_env(threads: int, keep: tuple[str, ...], token: str) -> dict[str, str]:
    """The scrubbed environment: no secrets, no auto-loaded plugins, no bytecode files."""
    return scrubbed_env(
        keep,
        {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": str(threads),
            "MKL_NUM_THREADS": str(threads),
            "PYTHONUNBUFFERED": "1",
            MARKER: token,
        },
    )


def pytest_command(targets: Sequence[str], options: Sequence[str]) -> list[str]:
    base = [
        sys.executable,
        "-m",
        "grader.engine.checker",
        "-c",
        str(INI_FILE),
        "--rootdir",
        str(ROOTDIR),
    ]
    return [*base, *PLUGIN_ARGS, *options, *targets]


def tail(path: Path, size: int) -> str:
    """The last `size` bytes of a file, as text: a log is never read whole."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - size))
            return handle.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


# A result line is a few KB (messages and output are capped in the checker).
READ_CAP = 4 * 2**20


class Channel:
    """The results file, read incrementally; unsigned lines are counted, not trusted."""

    def __init__(self, path: Path, key: bytes, on_event: Callable[[Event], None]) -> None:
        self.path, self.key, self.on_event = path, key, on_event
        self.offset, self.forged, self.skipping = 0, 0, False
        self.events: list[Event] = []

    def drain(self) -> None:
        """Hand every complete new line to on_event, one at a time: an interrupt raised
        inside on_event loses no line, since the offset moves past a line only once read.
        At most READ_CAP bytes are read at a time; a line longer than that is refused
        (counted as forged) without ever being held whole."""
        while (data := self.read()) is not None:
            *complete, rest = data.split(b"\n")
            if not complete:
                if len(rest) < READ_CAP:
                    return
                self.offset += len(rest)  # part of an oversized line: drop it
                self.skipping = True
                continue
            for raw in complete:
                self.offset += len(raw) + 1
                if self.skipping:
                    self.skipping, self.forged = False, self.forged + 1
                    continue
                self.take(raw)

    def read(self) -> bytes | None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read(READ_CAP)
        except FileNotFoundError:
            return None
        return data or None

    def take(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").strip()
        event = events.decode(self.key, line) if line else None
        if event is None:
            self.forged += bool(line)
            return
        self.events.append(event)
        self.on_event(event)

    @property
    def finished(self) -> int | None:
        """pytest's exit status once the session ended normally (checks passed, failed or
        none collected), else None. After an error the checker is left to exit by itself, so
        that pytest's own summary reaches the log."""
        ends = (event.status for event in self.events if isinstance(event, Ended))
        status = next(ends, None)
        return status if status in FINISHED else None


def prepare(workdir: Path, settings: Settings, submission: Path | None) -> list[str]:
    """Write the settings file, copy the submission into the working directory, and point
    the checker at both."""
    settings_file = workdir / SETTINGS_FILE
    settings_file.write_text(settings.to_json(), encoding="utf-8")
    settings_file.chmod(0o600)  # the checker's alone; it reads them before any worker starts
    options = ["--grader-settings", str(settings_file)]
    if submission is None:
        return options
    copy = workdir / "cwd" / submission.name
    copy.mkdir(parents=True)
    problems = copy_submission(submission, copy)
    names = settings.course.names()
    problems |= layout.arrange(copy, names, problems)
    add_problems(copy, problems)
    refused = {  # a notebook the copy step refused: its exercise says why
        f"{name}.py": f"was not made: {name}.ipynb {problems[f'{name}.ipynb']}"
        for name in names
        if f"{name}.ipynb" in problems and f"{name}.py" not in problems
    }
    add_problems(copy, {**refused, **ipynb.modules_from_notebooks(copy, names)})
    return [*options, "--grader-submission", str(copy)]


class Stop:
    """Set by the main thread when grading is interrupted, so that checkers waited on in other
    threads (exercises graded side by side) stop the same way as the one in the main thread."""

    def __init__(self) -> None:
        self.event = threading.Event()
        self.error: type[KeyboardInterrupt] = KeyboardInterrupt

    def set(self, error: BaseException) -> None:
        self.error = type(error) if isinstance(error, KeyboardInterrupt) else KeyboardInterrupt
        self.event.set()

    def check(self) -> None:
        if self.event.is_set():
            raise self.error

    @property
    def signal_name(self) -> str:
        """The signal that stopped grading, or '' while it has not."""
        if not self.event.is_set():
            return ""
        return self.error.signal_name if issubclass(self.error, Terminated) else "SIGINT"


class CheckerProcess:
    """A checker process: it imports torch and pytest, then waits for the signing key,
    which `wait` sends; no check and no student code runs before that."""

    def __init__(
        self,
        targets: Sequence[str],
        settings: Settings,
        *,
        submission: Path | None = None,
        options: Sequence[str] = (),
    ) -> None:
        self.key, self.token = events.new_key(), secrets.token_hex(8)
        self.closed = False
        self.workdir = Path(tempfile.mkdtemp(prefix="grade-"))
        (self.workdir / "cwd").mkdir()
        self.workdir.chmod(0o711)  # the worker, under another user id, reads the copy in cwd
        self.results_path = self.workdir / "results.jsonl"
        read_fd, self.write_fd = os.pipe()
        try:
            private = ["--grader-results", str(self.results_path), "--grader-key-fd", str(read_fd)]
            args = [*options, *prepare(self.workdir, settings, submission), *private]
            with (self.workdir / "pytest.log").open("wb") as log:
                self.proc = subprocess.Popen(
                    pytest_command(targets, args),
                    cwd=self.workdir / "cwd",
                    env=checker_env(settings.threads, settings.keep_env, self.token),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                    pass_fds=(read_fd,),
                    preexec_fn=apply_limits(Limits(settings.memory_mb)),
                )
        except BaseException:
            self.close_pipe()
            remove_tree(self.workdir)
            raise
        finally:
            os.close(read_fd)

    def wait(
        self,
        deadline: float | Callable[[], float],
        on_event: Callable[[Event], None] = lambda event: None,
        stop: Stop | None = None,
    ) -> CheckerRun:
        """Let the checker run its checks until it ends or `deadline` (time.monotonic, or a
        function giving it: an exercise's clock moves with the exercise) passes; raise
        KeyboardInterrupt (or Terminated) in this thread when `stop` is set."""
        limit = deadline if callable(deadline) else lambda: deadline
        results = Channel(self.results_path, self.key, on_event)
        with contextlib.suppress(BrokenPipeError):  # a checker that already died reads nothing
            os.write(self.write_fd, self.key)
        self.close_pipe()
        timed_out = False
        try:
            while self.proc.poll() is None:
                if time.monotonic() > limit():
                    timed_out = True
                    break
                time.sleep(POLL_S)
                results.drain()
                if results.finished is not None:
                    break  # every result is in: no need to wait for pytest and torch to exit
                if stop is not None:
                    stop.check()
        finally:
            self.close()
            results.drain()  # what the checker wrote before it ended or was stopped counts
        log_text = tail(self.workdir / "pytest.log", LOG_TAIL)
        remove_tree(self.workdir)
        finished = results.finished
        return CheckerRun(
            tuple(results.events),
            self.proc.returncode if finished is None else finished,
            timed_out,
            log_text,
            results.forged,
        )

    def close(self) -> None:
        """Kill the checker and everything it started; safe to call more than once."""
        if not self.closed:
            kill_all(self.proc.pid, self.token)
            self.proc.wait()
            self.closed = True
        self.close_pipe()

    def close_pipe(self) -> None:
        if self.write_fd >= 0:
            os.close(self.write_fd)
            self.write_fd = -1


def run_checker(
    targets: Sequence[str],
    settings: Settings,
    *,
    deadline: float,
    on_event: Callable[[Event], None] = lambda event: None,
    submission: Path | None = None,
    options: Sequence[str] = (),
) -> CheckerRun:
    """Run the checker on `targets` until it ends or `deadline` (time.monotonic) passes;
    `options` are pytest's own (--collect-only)."""
    checker = CheckerProcess(targets, settings, submission=submission, options=options)
    return checker.wait(deadline, on_event)
