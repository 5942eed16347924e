"""Ctrl-C and termination signals stop grading cleanly; the same signals from student code
do not.

SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 are blocked in every thread and
received by a watcher thread with
sigwaitinfo, which tells who sent them. A signal from a process that carries a grading
run's marker (student code, or anything it started) is ignored; any other one interrupts
the main thread, which stops the running checker, marks what did not run and writes the
report. Children get the signals unblocked again before they start (see sandbox).
"""

from __future__ import annotations

import _thread
import contextlib
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

from grader.engine.sandbox import MARKER
from grader.errors import terminated_by

# Each stops grading like SIGTERM: the report is written, the exit code is 128 + its number.
TERMINATING = (signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2)
HANDLED = {signal.SIGINT, *TERMINATING}
STOP = signal.SIGRTMIN + 1  # the watcher's own stop: a signal nobody sends by accident


def from_student(pid: int) -> bool:
    """Whether the sending process belongs to a grading run (its environment has the marker)."""
    try:
        environ = (Path("/proc") / str(pid) / "environ").read_bytes()
    except OSError:
        return False
    return any(entry.startswith(f"{MARKER}=".encode()) for entry in environ.split(b"\0"))


def raise_terminated(signum: int, frame: object) -> None:
    del frame
    raise terminated_by(signum)


def watch(ignored: list[int]) -> None:
    while True:
        info = signal.sigwaitinfo(HANDLED | {STOP})
        if info.si_signo == STOP:
            return
        if from_student(info.si_pid):
            ignored.append(info.si_pid)
            continue
        _thread.interrupt_main(signal.Signals(info.si_signo))


@contextlib.contextmanager
def guarded() -> Iterator[list[int]]:
    """Within this block, only signals from outside the grading runs interrupt; yields the
    pids of student processes whose signals were ignored."""
    ignored: list[int] = []
    previous = {signum: signal.signal(signum, raise_terminated) for signum in TERMINATING}
    # Python leaves SIGINT ignored when grade was started with it ignored (a background job
    # of a script): Ctrl-C and `kill -INT` must stop grading cleanly however it started.
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED | {STOP})
    watcher = threading.Thread(target=watch, args=(ignored,), daemon=True, name="signals")
    watcher.start()
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {STOP})
    try:
        yield ignored
    finally:
        signal.pthread_kill(watcher.ident or 0, STOP)
        watcher.join(timeout=5)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, HANDLED)
        for signum, handler in previous.items():
            signal.signal(signum, handler)
