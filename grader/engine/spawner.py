"""One box per submission: its zygote imports torch once and forks a worker per exercise.

The box (grader/engine/box.py) starts `python -m grader.worker`, the zygote, which says
which process it is before any student code runs, then forks a fresh worker whenever
the checker asks (grader/worker/zygote.py). The workers of one submission share its box
and user id; no process ever serves two submissions. The memory and CPU watch covers
the whole box, so what a worker leaves running (a daemon that left its process tree)
still counts, and stopping a worker kills every process of the box but the zygote.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import tempfile
from pathlib import Path
from typing import Any

from grader.engine.box import Launched, Output, Spec, launch, strongest
from grader.engine.sandbox import remove_tree, sweep
from grader.engine.watch import CpuShare, ResourceWatch, kill_tree, signal_all, tree
from grader.worker.wire import Job

MAX_ANSWER = 4096
KILL_ROUNDS = 5


class SpawnerGone(Exception):
    """The zygote ended or answered nonsense: the box must be started again."""


class Spawner:
    """A submission's box and its zygote, started at once (its torch import overlaps the
    checker's work) and again if it ended; `fork` gives each exercise a fresh worker."""

    def __init__(self, spec: Spec, workdir: Path | None = None, share: CpuShare | None = None):
        self.spec, self.box, self.share = spec, strongest(spec.gpu), share
        self.owns_workdir = workdir is None
        if workdir is None:
            workdir = Path(tempfile.mkdtemp(prefix="grader-worker-"))
            workdir.chmod(0o711)  # the worker's own user id reaches its home inside
        self.workdir = workdir
        self.launched: Launched | None = None
        self.watch: ResourceWatch | None = None
        self.zygote = 0  # the zygote's process id as this machine sees it, once it said hello
        self.said = ""  # what the last box's zygote printed

    def start(self) -> None:
        self.launched = launch(self.spec, self.box, self.workdir)
        self.watch = ResourceWatch(
            self.launched.pid, self.spec.memory_mb, self.share, self.box.sealed
        )
        self.zygote = 0

    @property
    def alive(self) -> bool:
        proc = self.launched.proc if self.launched else None
        return proc is not None and proc.poll() is None

    def fork(self, job: Job) -> Launched:
        """A new worker for `job`: its channel, its output pipe, its process id here. A box
        whose zygote ended (student code may kill it) is started again, once."""
        for attempt in range(2):
            if not self.alive:
                self.close_box()
                self.start()
            try:
                return self.forked(job)
            except SpawnerGone:
                self.close_box()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def forked(self, job: Job) -> Launched:
        assert self.launched is not None
        if not self.zygote:
            self.zygote = self.greeted()
        ours, theirs = socket.socketpair()
        read, write = os.pipe()
        try:
            request = {"op": "fork", "job": json.loads(job.to_json())}
            answer = self.ask(request, [theirs.fileno(), write])
        except BaseException:
            ours.close()
            os.close(read)
            raise
        finally:
            theirs.close()
            os.close(write)
        inner = number(answer, "pid")
        uid = self.launched.uid
        return Launched(self.outer_pid(inner), ours, Output(read), None, uid=uid, inner=inner)

    def ready(self) -> None:
        """Wait for the zygote's hello (torch imported) before the first check starts, so
        that no check's time is spent on it; a box that failed starts again at the first
        fork, which then says why."""
        if self.launched is None or self.zygote:
            return
        try:
            self.zygote = self.greeted()
        except SpawnerGone:
            self.close_box()

    def greeted(self) -> int:
        """The zygote's hello: its process id in the box, mapped to this machine's."""
        assert self.launched is not None
        try:
            data = self.launched.sock.recv(MAX_ANSWER)
        except OSError as exc:
            raise SpawnerGone(str(exc)) from None
        except BaseException:
            self.close_box()
            raise
        pid = self.outer_pid(number(parse(data), "pid"))
        if not pid:
            raise SpawnerGone("the zygote's process was not found in its box")
        return pid

    def ask(self, request: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        assert self.launched is not None
        sock = self.launched.sock
        try:
            socket.send_fds(sock, [json.dumps(request).encode()], fds or [])
            return parse(sock.recv(MAX_ANSWER))
        except OSError as exc:
            self.close_box()
            raise SpawnerGone(str(exc)) from None
        except BaseException:
            self.close_box()  # cut short (a check's time ran out): the channel is out of step
            raise

    def outer_pid(self, inner: int) -> int:
        """The process of the box whose innermost id is `inner` (0 when none is)."""
        if self.launched is None:
            return 0
        found = (pid for pid in tree(self.launched.pid) if status_field(pid, "NSpid") == inner)
        return next(found, 0)

    def exit_status(self, worker: Launched, timeout: float) -> int | None:
        """How a worker ended (Popen's returncode), as its zygote saw it; None if unknown."""
        if worker.inner is None or not self.alive or not self.zygote:
            return None
        with contextlib.suppress(SpawnerGone):
            status = self.ask({"op": "wait", "pid": worker.inner, "timeout": timeout}).get("status")
            return status if type(status) is int else None
        return None

    def clear(self) -> None:
        """Kill every process of the box but the zygote and the box around it: a worker,
        and whatever it left running."""
        if self.launched is None:
            return
        keep = self.ancestry()
        if not keep:
            self.close_box()  # the zygote is gone: the box goes with it
            return
        for _ in range(KILL_ROUNDS):  # a process forking as it is killed leaves a child
            victims = [p for p in tree(self.launched.pid) if p not in keep and not ended(p)]
            if not victims:
                return
            signal_all(victims, signal.SIGKILL)

    def ancestry(self) -> set[int]:
        """The zygote and its parents up to the box's first process."""
        assert self.launched is not None
        chain, pid = set(), self.zygote
        while pid and pid not in chain:
            chain.add(pid)
            if pid == self.launched.pid:
                return chain
            pid = status_field(pid, "PPid")
        return set()

    @property
    def output(self) -> str:
        """What the zygote itself printed (its start-up), to explain a failed start: the
        current box's, or the last one's."""
        return self.launched.output.text() if self.launched else self.said

    def close_box(self) -> None:
        if self.launched is not None:
            self.said = self.launched.output.text()
            kill_tree(self.launched.pid)
            if self.launched.proc is not None:
                self.launched.proc.wait()
            self.launched.sock.close()
            if self.launched.uid is not None and not self.box.sealed:
                sweep(self.launched.uid)
        if self.watch is not None:
            self.watch.stop()
        self.launched, self.watch, self.zygote = None, None, 0

    def close(self) -> None:
        """Kill the box and remove the folder made for it."""
        self.close_box()
        if self.owns_workdir:
            remove_tree(self.workdir)


def parse(data: bytes) -> dict[str, Any]:
    if not data:
        raise SpawnerGone("the zygote closed its channel")
    try:
        answer = json.loads(data)
    except ValueError:
        raise SpawnerGone("the zygote sent something that is not JSON") from None
    if type(answer) is not dict:
        raise SpawnerGone("the zygote's answer is not an object")
    return answer


def number(answer: dict[str, Any], key: str) -> int:
    value = answer.get(key)
    if type(value) is not int or value <= 0:
        raise SpawnerGone(f"the zygote's answer has no {key}")
    return value


def status_field(pid: int, name: str) -> int:
    """The last number of a line of /proc/<pid>/status (NSpid: the innermost id), or 0."""
    with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
        text = Path(f"/proc/{pid}/status").read_text()
        line = next(line for line in text.splitlines() if line.startswith(f"{name}:"))
        return int(line.split()[-1])
    return 0


def ended(pid: int) -> bool:
    """Whether the process has ended (a zombie its parent has not collected yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in "ZX"
    except (OSError, IndexError):
        return True
