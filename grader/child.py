"""Start one child pytest process, watch its results channel, and kill it on time.

The child runs in its own process group and a temporary working directory. Its
stdout goes to a log file the parent only reads when the grader itself failed;
results arrive as JSON lines in a separate file that the plugin flushes per event.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PLUGIN_ARGS = (
    "-p",
    "pytest_timeout",
    "-p",
    "grader.plugin",
    "-p",
    "no:cacheprovider",
    "--noconftest",
    "--assert=plain",
    "--tb=short",
    "-q",
    "-o",
    "console_output_style=classic",
)
INI_FILE = Path(__file__).with_name("child.ini")
POLL_S = 0.1

Event = dict[str, Any]


@dataclass(frozen=True)
class ChildRun:
    """What one child process left behind."""

    events: tuple[Event, ...]
    returncode: int
    timed_out: bool
    log: str

    @property
    def ended(self) -> bool:
        """Whether pytest reached the end of its session (no crash, no kill)."""
        return any(e["event"] == "end" for e in self.events)


def child_env(threads: int) -> dict[str, str]:
    """The environment for student code: no auto-loaded plugins, no bytecode files."""
    env = dict(os.environ)
    env.update(
        PYTEST_DISABLE_PLUGIN_AUTOLOAD="1",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONHASHSEED="0",
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
        PYTHONUNBUFFERED="1",
    )
    env.pop("PYTEST_ADDOPTS", None)
    return env


def pytest_command(targets: Sequence[str], options: Sequence[str]) -> list[str]:
    rootdir = str(INI_FILE.parent)
    base = [sys.executable, "-m", "pytest", "-c", str(INI_FILE), "--rootdir", rootdir]
    return [*base, *PLUGIN_ARGS, *options, *targets]


def read_events(path: Path, offset: int) -> tuple[list[Event], int]:
    """New complete JSON lines after `offset`; a half-written last line waits for later."""
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    end = data.rfind(b"\n") + 1
    events = [json.loads(line) for line in data[:end].splitlines() if line.strip()]
    return events, offset + end


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the child and everything it started (its whole process group)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def run_child(
    targets: Sequence[str],
    options: Sequence[str],
    *,
    threads: int,
    deadline: float,
    on_event: Callable[[Event], None] = lambda event: None,
) -> ChildRun:
    """Run pytest on `targets` until it ends or `deadline` (time.monotonic) passes."""
    with tempfile.TemporaryDirectory(prefix="grade-") as workdir:
        results = Path(workdir) / "results.jsonl"
        log_path = Path(workdir) / "pytest.log"
        command = pytest_command(targets, [*options, "--grader-results", str(results)])
        cwd = Path(workdir) / "cwd"
        cwd.mkdir()
        with log_path.open("wb") as log:
            proc = subprocess.Popen(
                command,
                cwd=cwd,
                env=child_env(threads),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        events: list[Event] = []
        offset, timed_out = 0, False
        try:
            while proc.poll() is None:
                if time.monotonic() > deadline:
                    timed_out = True
                    break
                time.sleep(POLL_S)
                offset = _drain(results, offset, events, on_event)
        finally:
            kill_group(proc)
        _drain(results, offset, events, on_event)
        log_text = log_path.read_text(encoding="utf-8", errors="replace")
        return ChildRun(tuple(events), proc.returncode, timed_out, log_text[-20000:])


def _drain(path: Path, offset: int, events: list[Event], on_event: Callable[[Event], None]) -> int:
    new, offset = read_events(path, offset)
    for event in new:
        events.append(event)
        on_event(event)
    return offset
