"""Start the worker in the strongest box the platform offers, and watch its memory.

Boxes, strongest first: as root, new PID, mount and network namespaces (`unshare` from
util-linux) around an unprivileged user id (`setpriv`); unprivileged, a user namespace
with the same; else a plain process group. Every box keeps PR_SET_PDEATHSIG, rlimits
and a scrubbed environment. The level used is recorded in the report's environment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.sandbox import die_with_parent, user_tasks

NAMESPACES = ("--pid", "--fork", "--kill-child", "--mount-proc", "--net")
FIRST_UID = 200_000
WATCH_S = 0.05
OUTPUT_LIMIT = 64 * 2**20


@dataclass(frozen=True)
class Box:
    """How a worker is confined: the command prefix, its user id, a name for the report."""

    prefix: tuple[str, ...]
    uid: int | None
    level: str


def candidates(uid: int) -> list[Box]:
    unshare, setpriv = shutil.which("unshare"), shutil.which("setpriv")
    boxes = []
    if os.geteuid() == 0 and setpriv:
        drop = (setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--")
        if unshare:
            spaces = (unshare, *NAMESPACES, "--")
            boxes.append(Box((*spaces, *drop), uid, "namespaces+user"))
        boxes.append(Box(drop, uid, "user"))
    elif unshare:
        spaces = (unshare, "--user", "--map-root-user", *NAMESPACES, "--")
        boxes.append(Box(spaces, None, "namespaces"))
    return [*boxes, Box((), None, "process")]


@functools.lru_cache(maxsize=1)
def strongest() -> Box:
    """The first box in which the worker's Python can start and import the grader."""
    uid = FIRST_UID + os.getpid() % 100_000  # one per checker: workers cannot signal each other
    for box in candidates(uid)[:-1]:
        probe = [*box.prefix, sys.executable, "-c", "import grader.worker.wire"]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(probe, capture_output=True, timeout=20, cwd="/")
            if done.returncode == 0:
                return box
    return candidates(uid)[-1]


def worker_limits(box: Box, extra_tasks: int = 512) -> Callable[[], None]:
    """rlimits for the worker: processes (per user id, so a fresh id counts only the
    worker's own), open files, file size (a huge print fails, it fills no disk), no core."""
    tasks = extra_tasks + (0 if box.uid is not None else user_tasks())

    def preexec() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        die_with_parent()
        os.setpgrp()
        resource.setrlimit(resource.RLIMIT_NPROC, (tasks, tasks))
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))
        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT, OUTPUT_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return preexec


def tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc/<pid>/task/*/children."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        with contextlib.suppress(OSError):
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
    return found


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return total * os.sysconf("SC_PAGE_SIZE") / 2**20


class MemoryWatch:
    """Kill the worker's whole process tree when its resident memory passes the limit."""

    def __init__(self, proc: subprocess.Popen[bytes], limit_mb: int | None) -> None:
        self.proc, self.limit_mb, self.exceeded = proc, limit_mb, False
        self.done = threading.Event()
        if limit_mb:
            threading.Thread(target=self.watch, daemon=True).start()

    def watch(self) -> None:
        while not self.done.wait(WATCH_S) and self.proc.poll() is None:
            pids = tree(self.proc.pid)
            if self.limit_mb and rss_mb(pids) > self.limit_mb:
                self.exceeded = True
                kill_tree(self.proc, pids)
                return

    def stop(self) -> None:
        self.done.set()


def kill_tree(proc: subprocess.Popen[bytes], pids: list[int] | None = None) -> None:
    """SIGKILL the worker's group and every descendant (a PID namespace dies with its
    first process anyway; without one, descendants that left the group are found here)."""
    for pid in pids if pids is not None else tree(proc.pid):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
