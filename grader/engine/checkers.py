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
from typing import IO

from grader import ipynb, layout
from grader.engine import events
from grader.engine.channel import Channel
from grader.engine.events import Ended, Event
from grader.engine.forkserver import Forked, Forkserver, ForkserverGone
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


def checker_env(settings: Settings, token: str) -> dict[str, str]:
    """The scrubbed environment: no secrets (never the course's, even if kept by
    mistake), no auto-loaded plugins, no bytecode files; the run's marker when `token`
    is given (a forkserver has none: each checker it forks gets its own)."""
    secret = settings.course.seed_secret_env
    keep = tuple(name for name in settings.keep_env if name != secret)
    threads = str(settings.threads)
    env = scrubbed_env(
        keep,
        {
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
            "PYTHONHASHSEED": "0",
            "OMP_NUM_THREADS": threads,
            "MKL_NUM_THREADS": threads,
            "PYTHONUNBUFFERED": "1",
            **({MARKER: token} if token else {}),
        },
    )
    return {name: value for name, value in env.items() if not secret or name != secret}


def pytest_args(targets: Sequence[str], options: Sequence[str]) -> list[str]:
    """The checker's arguments: pytest's, with the grader's plugin."""
    return ["-c", str(INI_FILE), "--rootdir", str(ROOTDIR), *PLUGIN_ARGS, *options, *targets]


def tail(path: Path, size: int) -> str:
    """The last `size` bytes of a file, as text: a log is never read whole."""
    try:
        with path.open("rb") as handle:
            handle.seek(max(0, path.stat().st_size - size))
            return handle.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


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
        forks: Forkserver | None = None,
    ) -> None:
        self.key, self.token = events.new_key(), secrets.token_hex(8)
        self.closed = False
        self.workdir = Path(tempfile.mkdtemp(prefix="grade-"))
        (self.workdir / "cwd").mkdir()
        self.workdir.chmod(0o711)  # the worker, under another user id, reads the copy in cwd
        self.results_path = self.workdir / "results.jsonl"
        read_fd, self.write_fd = os.pipe()
        try:
            private = ["--grader-results", str(self.results_path)]
            args = [*options, *prepare(self.workdir, settings, submission), *private]
            with (self.workdir / "pytest.log").open("wb") as log:
                self.proc = self.start(pytest_args(targets, args), settings, log, read_fd, forks)
        except BaseException:
            self.close_pipe()
            remove_tree(self.workdir)
            raise
        finally:
            os.close(read_fd)

    def start(
        self,
        args: list[str],
        settings: Settings,
        log: IO[bytes],
        key_fd: int,
        forks: Forkserver | None,
    ) -> subprocess.Popen[bytes] | Forked:
        """The checker process: forked from the class's forkserver, its imports done, or
        else started afresh."""
        cwd, env = (
            self.workdir / "cwd",
            checker_env(settings, self.token),
        )
        if forks is not None:
            with contextlib.suppress(ForkserverGone):
                return forks.fork(args, cwd, env, settings.memory_mb, [log.fileno(), key_fd])
        return subprocess.Popen(
            [sys.executable, "-m", "grader.engine.checker", *args, "--grader-key-fd", str(key_fd)],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            pass_fds=(key_fd,),
            preexec_fn=apply_limits(Limits(settings.memory_mb)),
        )

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
            self.proc.wait() if finished is None else finished,
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
