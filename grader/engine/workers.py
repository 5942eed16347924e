"""The checker's side of a worker: fork it in the submission's box, send requests, read answers as
data only (`torch.load(weights_only=True)`), and kill it when it hangs or misbehaves.

The proxies checks use (`grader.kit.remote.Remote`) talk to a `Worker` through the
`Connection` protocol; nothing here decides a score.
"""

from __future__ import annotations

import contextlib
import io
import os
import pickle
import re
import socket
import time
from pathlib import Path
from typing import Any

import torch

from grader.engine.box import Box, Launched, Spec
from grader.engine.spawner import Spawner, SpawnerGone
from grader.engine.watch import ResourceWatch, tree
from grader.kit.errors import (
    FAIL_EXCEPTION,
    WHERE,
    GraderFault,
    StudentError,
    WorkerGone,
    is_timeout,
)
from grader.kit.remote import raise_failure
from grader.worker.load import Folder
from grader.worker.wire import (
    MAX_ANSWER,
    READY,
    STACK_SIGNAL,
    ChannelClosed,
    Request,
    TooLarge,
    recv,
    send,
)

STACK_WAIT_S = 2.0
STACK_END = "(most recent call first):"
FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<name>\S+)')


class Worker:
    """One worker process for one exercise, forked by the submission's zygote (`spawner`,
    or a box of its own when none is given); forked again after it dies or hangs."""

    def __init__(self, spec: Spec, spawner: Spawner | None = None):
        self.spec, self.owns_spawner = spec, spawner is None
        self.spawner = spawner or Spawner(spec)
        self.current: Launched | None = None
        self.accessed: set[str] = set()  # names of the student's module this check used

    @property
    def box(self) -> Box:
        return self.spawner.box

    @property
    def watch(self) -> ResourceWatch | None:
        return self.spawner.watch

    def start(self) -> None:
        """Fork a worker now; a zygote that failed to start is the grader's fault."""
        try:
            self.current = self.spawner.fork(self.spec.job)
        except BaseException as exc:
            if not (isinstance(exc, SpawnerGone | OSError) or is_timeout(exc)):
                raise  # Ctrl-C, a termination signal: not the worker's doing
            output = self.spawner.output.strip()[-1500:]
            self.spawner.close_box()
            why = "it did not start in time" if is_timeout(exc) else "it ended while starting"
            detail = f"; it printed:\n{output}" if output else ""
            raise GraderFault(
                f"the worker process failed before your code ran: {why}{detail}"
            ) from None

    @property
    def sock(self) -> socket.socket | None:
        return self.current.sock if self.current else None

    @property
    def source_path(self) -> Path:
        return Path(self.spec.job.folder) / f"{self.spec.job.exercise}.py"

    def request(self, request: Request) -> dict[str, Any]:
        """Send one request and return its answer; raise StudentError for what
        student code raised, WorkerGone when the worker ended. Anything that interrupts the
        wait (a timeout) kills the worker: its state is unknown from then on; a timeout
        says where the student's code was when time ran out."""
        if self.current is None:
            self.start()
        assert self.current is not None
        sock = self.current.sock
        if self.spawner.share is not None:  # the box asked now goes first for the cores
            self.spawner.share.current = self.watch
        if not self.current.ready:
            self.await_ready()
        try:
            send(sock, pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL))
            answer = load(recv(sock, MAX_ANSWER))
        except (ChannelClosed, OSError) as exc:
            raise self.gone() from exc
        except TooLarge as exc:
            self.stop()
            why = f"the result is too large to check ({exc})"
            raise StudentError({"kind": "raised", "type": "TooLarge", "message": why}) from None
        except BaseException as exc:
            where = self.where_now() if is_timeout(exc) else ""
            self.stop()
            if where:
                raise FAIL_EXCEPTION(f"{exc}{WHERE}{where}", pytrace=False) from None
            raise
        return raise_failure(answer)

    def where_now(self) -> str:
        """Where the student's code runs at this moment, from the worker's own stack
        (faulthandler, on STACK_SIGNAL), or '' when it cannot tell in time."""
        if self.current is None:
            return ""
        before = self.current.output.text()
        signal_workers(self.current.pid)
        deadline = time.monotonic() + STACK_WAIT_S
        while time.monotonic() < deadline:
            time.sleep(0.02)
            dumped = self.current.output.text()
            if len(dumped) > len(before) and STACK_END in dumped[len(before) :]:
                time.sleep(0.05)  # the other threads' stacks follow the first
                self.current.output.rewind(len(before))  # a stack dump is not their output
                return innermost(dumped[len(before) :], Path(self.spec.job.folder))
        return ""

    def await_ready(self) -> None:
        """Wait for the worker's first frame, sent before it imports student code."""
        assert self.current is not None
        try:
            frame = recv(self.current.sock, len(READY))
        except BaseException as exc:
            started = isinstance(exc, ChannelClosed | OSError | TooLarge) or is_timeout(exc)
            output = self.output_text().strip()[-1500:]
            self.stop()
            if not started:
                raise  # Ctrl-C, a termination signal: not the worker's doing
            why = "it did not start in time" if is_timeout(exc) else "it ended while starting"
            detail = f"; it printed:\n{output}" if output else ""
            raise GraderFault(
                f"the worker process failed before your code ran: {why}{detail}"
            ) from None
        if frame != READY:
            self.stop()
            raise GraderFault("the worker process sent an unexpected first message")
        self.current.ready = True

    def gone(self) -> WorkerGone:
        assert self.current is not None
        exceeded = self.watch is not None and self.watch.exceeded
        code = self.spawner.exit_status(self.current, timeout=1.0)
        self.stop()
        if exceeded:
            why = f"its memory passed the limit of {self.spec.memory_mb:,} MB"
        elif code is not None and code < 0:
            why = f"it was killed by signal {-code}"
        elif code is not None:
            why = f"it exited with code {code} (sys.exit, os._exit or a crash)"
        else:
            why = "it exited or was killed (sys.exit, os._exit or a crash)"
        return WorkerGone(f"your code ended the process it ran in during this check: {why}")

    def stop(self) -> None:
        """Kill the worker and everything it started (every process of the box but the
        zygote: what it left running goes too)."""
        if self.current is not None:
            self.spawner.clear()
            self.current.sock.close()
        self.current = None

    def close(self) -> None:
        """Stop the worker, and its box when it had one of its own."""
        self.stop()
        if self.owns_spawner:
            self.spawner.close()

    def mark_output(self) -> None:
        """A new check starts: collect what the worker prints, and the names it uses. What
        a fresh worker printed while importing the submission goes to its first check."""
        self.accessed = set()
        if self.current is not None and self.current.checks:
            self.current.output.mark()
        if self.current is not None:
            self.current.checks += 1

    def output_text(self) -> str:
        """What the worker printed since the mark: first and last parts, the cut said."""
        return self.current.output.text() if self.current is not None else ""


def load(payload: bytes) -> dict[str, Any]:
    answer = torch.load(io.BytesIO(payload), weights_only=True, map_location=None)
    if type(answer) is not dict:
        raise ChannelClosed("the worker's answer is not a dict")
    return answer


def signal_workers(pid: int) -> None:
    """Ask the worker's Python processes (not the box around them, which STACK_SIGNAL
    would end) to write their stacks."""
    for member in tree(pid):
        with contextlib.suppress(OSError):
            if b"grader.worker" in Path(f"/proc/{member}/cmdline").read_bytes():
                os.kill(member, STACK_SIGNAL)


def innermost(dump: str, folder: Path) -> str:
    """The student's frame nearest to where the worker was, from faulthandler's dump (each
    thread's frames most recent first), as 'sub/tensors.py, line 12, in column' (or the
    cell and line of a notebook)."""
    for match in FRAME.finditer(dump):
        path = Path(match["file"])
        if path.parent == folder:
            label, line = Folder(folder).place(str(path), int(match["line"]))
            return f"{label}, line {line}, in {match['name']}"
    return ""
