"""Watch a submission's whole box (its zygote, its worker and whatever they started): its
memory (shared memory and scratch space included) and its CPU, so that one submission can
neither exhaust the machine nor slow another submission's checks into timeouts.

cgroup v2 would do both in the kernel where it is delegated; this watch works everywhere
the worker runs (cgroup v1 hosts, containers, unprivileged), at the cost of a thread
that reads /proc every 50 ms.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

from grader.engine.seal import scratch_used_mb

WATCH_S = 0.05
PAUSE_MAX_S = 0.5
TICKS = os.sysconf("SC_CLK_TCK")


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


def resident_mb(pids: list[int], proportional: bool = False) -> float:
    """Resident memory of these processes: RSS (cheap, from statm), or PSS (a page that
    forked processes share counts once in all; smaps_rollup costs ~20 ms per process)."""
    total_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError, StopIteration):
            total_kb += pss_kb(pid) if proportional else rss_kb(pid)
    return total_kb / 1024


def rss_kb(pid: int) -> int:
    pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def pss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except FileNotFoundError:
        return rss_kb(pid)
    line = next(line for line in text.splitlines() if line.startswith("Pss:"))
    return int(line.split()[1])


def memfd_mb(pids: list[int]) -> float:
    """Memory held in memfd files and deleted shared-memory files these processes keep
    open: it lives in no process's resident set until mapped, yet it is RAM."""
    sizes: dict[tuple[int, int], int] = {}
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("/memfd:") or target.startswith("/dev/shm/"):
                        stat = os.stat(f"/proc/{pid}/fd/{fd}")
                        sizes[(stat.st_dev, stat.st_ino)] = stat.st_blocks * 512
    return sum(sizes.values()) / 2**20


def cpu_seconds(pids: list[int]) -> float:
    """User and system CPU time of these processes (all their threads), from /proc."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / TICKS


class Bucket:
    """A token bucket of CPU seconds, as cgroup v2's cpu.max: `cores` seconds of credit
    come back every second, at most `burst_s` seconds' worth are kept."""

    def __init__(self, cores: float, burst_s: float = 0.5) -> None:
        self.cores, self.burst = max(cores, 1.0), max(cores, 1.0) * burst_s
        self.credit, self.last, self.lock = self.burst, time.monotonic(), threading.Lock()

    def charge(self, used_s: float) -> float:
        """Take `used_s` CPU seconds; return how long the spender should pause."""
        with self.lock:
            now = time.monotonic()
            self.credit = min(self.burst, self.credit + (now - self.last) * self.cores)
            self.last, self.credit = now, self.credit - used_s
            return min(PAUSE_MAX_S, -self.credit / self.cores) if self.credit < 0 else 0.0


class CpuShare:
    """The cores that the student code of one checker may use: each box's tree at most
    `cores` of its own, and all of them together `cores` as well, where the box that the
    checker is asking now goes first. A tree over its share is paused (SIGSTOP) until its
    credit is back, so a busy loop in one submission leaves the other cores to the rest
    of the machine."""

    def __init__(self, cores: float) -> None:
        self.cores, self.shared = cores, Bucket(cores)
        self.current: object | None = None

    def charge(self, spender: object, own: Bucket, used_s: float) -> float:
        """Charge `used_s` CPU seconds of `spender` (whose own bucket is `own`)."""
        mine, everyone = own.charge(used_s), self.shared.charge(used_s)
        return mine if spender is self.current else max(mine, everyone)


class ResourceWatch:
    """Kill the box's whole tree when its memory passes the limit; pause it when it uses
    more CPU than its share."""

    def __init__(
        self, pid: int, limit_mb: int | None, share: CpuShare | None = None, sealed: bool = False
    ) -> None:
        self.pid, self.limit_mb, self.share, self.sealed = pid, limit_mb, share, sealed
        self.exceeded, self.done = False, threading.Event()
        if limit_mb or share is not None:
            threading.Thread(target=self.watch, daemon=True).start()

    def watch(self) -> None:
        spent, own = 0.0, Bucket(self.share.cores if self.share else 1.0)
        while not self.done.wait(WATCH_S) and Path(f"/proc/{self.pid}").exists():
            pids = tree(self.pid)
            if self.limit_mb and self.over_limit(pids, self.limit_mb):
                self.exceeded = True
                kill_tree(self.pid, pids)
                return
            if self.share is not None:
                used = cpu_seconds(pids)
                pause = self.share.charge(self, own, max(0.0, used - spent))
                spent = used
                if pause:
                    self.pause(pids, pause)

    def over_limit(self, pids: list[int], limit_mb: int) -> bool:
        """Resident memory (RSS, confirmed with PSS) plus memfd files plus scratch space."""
        held = memfd_mb(pids) + (scratch_used_mb(pids[-1]) if self.sealed else 0.0)
        if resident_mb(pids) + held <= limit_mb:
            return False
        return resident_mb(pids, proportional=True) + held > limit_mb

    def pause(self, pids: list[int], seconds: float) -> None:
        signal_all(pids, signal.SIGSTOP)
        try:
            self.done.wait(seconds)
        finally:
            signal_all(tree(self.pid), signal.SIGCONT)
            signal_all(pids, signal.SIGCONT)

    def stop(self) -> None:
        self.done.set()


def signal_all(pids: list[int], sig: signal.Signals) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, sig)


def kill_tree(pid: int, pids: list[int] | None = None) -> None:
    """SIGKILL the worker's group and every descendant (a PID namespace dies with its
    first process anyway; without one, descendants that left the group are found here)."""
    signal_all(pids if pids is not None else tree(pid), signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
