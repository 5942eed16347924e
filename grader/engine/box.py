"""Start a submission's zygote in the strongest box the platform offers.

Boxes, strongest first: as root, a file system of its own (bubblewrap, `grader.engine.seal`)
with new PID, network, IPC and UTS namespaces around an unprivileged user id (`setpriv`);
then the same namespaces without the private file system (`unshare`); unprivileged, bwrap in
a user namespace, else `unshare` in one; else a plain process group. Every box keeps
PR_SET_PDEATHSIG, rlimits, a scrubbed environment, and a watch on the memory and CPU of
its whole process tree (grader/engine/spawner.py). The level used is recorded in the
report's environment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import select
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.engine.sandbox import set_limit, user_tasks
from grader.engine.seal import HOME as SEALED_HOME
from grader.engine.seal import available as seal_available
from grader.engine.seal import bwrap_prefix
from grader.text import cut_marker
from grader.worker.lifetime import die_with_parent
from grader.worker.wire import Job

NAMESPACES = ("--pid", "--fork", "--kill-child", "--mount-proc", "--net")
FIRST_UID = 200_000
DATA_HEADROOM_MB = 1024
LEVELS = ("sealed+user", "namespaces+user", "user", "sealed", "namespaces", "process")
OUTPUT_LIMIT = 64 * 2**20
WORKER_NICE = 5


@dataclass(frozen=True)
class Box:
    """How a worker is confined: a name for the report, and whether it gets its own uid."""

    level: str

    @property
    def own_user(self) -> bool:
        return self.level in ("sealed+user", "namespaces+user", "user")

    @property
    def sealed(self) -> bool:
        """Whether the worker has a file system of its own (private scratch, nothing else)."""
        return self.level.startswith("sealed")

    def prefix(self, uid: int, folder: Path | None = None, gpu: bool = False) -> tuple[str, ...]:
        """The command that starts a program in this box, under `uid` when it has one,
        seeing the submission copy `folder` where the box has a file system of its own."""
        unshare, setpriv = shutil.which("unshare") or "unshare", shutil.which("setpriv") or ""
        drop = (setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--")
        if self.sealed:
            own = self.level == "sealed+user"
            return (*bwrap_prefix(folder, user_namespace=not own, gpu=gpu), *(drop if own else ()))
        return {
            "namespaces+user": (unshare, *NAMESPACES, "--", *drop),
            "user": drop,
            "namespaces": (unshare, "--user", "--map-root-user", *NAMESPACES, "--"),
            "process": (),
        }[self.level]


def candidates() -> list[Box]:
    found = shutil.which("unshare"), shutil.which("setpriv"), seal_available()
    if os.geteuid() == 0 and found[1]:
        levels = ["sealed+user"] if found[2] else []
        levels += ["namespaces+user", "user"] if found[0] else ["user"]
    else:
        levels = (["sealed"] if found[2] else []) + (["namespaces"] if found[0] else [])
    return [*(Box(level) for level in levels), Box("process")]


@functools.lru_cache(maxsize=2)
def strongest(gpu: bool = False) -> Box:
    """The first box in which the worker's Python can start and import the grader (and see
    the GPU, when grading on one); or the level named by GRADER_ISOLATION, to compare or to
    debug (the report records it)."""
    forced = os.environ.get("GRADER_ISOLATION", "")
    if forced in LEVELS:
        return Box(forced)
    code = "import grader.worker.wire"
    if gpu:
        # the driver answers from inside the box (in milliseconds, without importing torch)
        code += "; import ctypes; assert ctypes.CDLL('libcuda.so.1').cuInit(0) == 0"
    for box in candidates()[:-1]:
        probe = [*box.prefix(FIRST_UID, gpu=gpu), sys.executable, "-c", code]
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            done = subprocess.run(probe, capture_output=True, timeout=60, cwd="/")
            if done.returncode == 0:
                return box
    return candidates()[-1]


@dataclass(frozen=True)
class Spec:
    """A worker to start: its job (what it imports, seed, device), the environment it gets
    and the memory limit of its process tree."""

    job: Job
    env: dict[str, str]
    memory_mb: int | None

    @property
    def data_mb(self) -> int | None:
        """The per-process data limit, a backstop that makes one huge allocation fail at
        once: the memory limit plus 1 GB for torch's own mappings (about 800 MB of data
        once imported, much of it never resident); not on a GPU (CUDA maps large private
        regions). `auto` counts as a GPU where the NVIDIA driver's device exists."""
        if not self.memory_mb or self.gpu:
            return None
        return self.memory_mb + DATA_HEADROOM_MB

    @property
    def gpu(self) -> bool:
        """Whether the worker may use a GPU: `cuda`, or `auto` where NVIDIA's driver is."""
        device = self.job.device
        return device == "cuda" or (device == "auto" and Path("/dev/nvidiactl").exists())


DRAIN_CHUNKS = 32  # 2 MB a turn: more than a pipe holds (1 MB at most on Linux)


class Output:
    """What the worker prints (stdout and stderr, one pipe), read by a thread as it comes:
    the first and last `cap` bytes since the last `mark`, and how many in all, so that a
    flood of output costs neither memory nor disk. The pipe is read only under the lock
    (non-blocking), by the thread or by `text`, so no byte is ever out of the pipe and not
    yet counted: what the worker printed before its answer belongs to that check."""

    def __init__(self, fd: int, cap: int = 32 * 1024) -> None:
        self.fd, self.cap, self.lock = fd, cap, threading.Lock()
        self.head, self.tail, self.total = bytearray(), bytearray(), 0
        self.closed = False
        os.set_blocking(fd, False)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self) -> None:
        waiting = select.poll()
        waiting.register(self.fd, select.POLLIN)
        with contextlib.suppress(OSError):
            while True:
                waiting.poll()
                with self.lock:
                    if not self.drain():
                        break
        with self.lock, contextlib.suppress(OSError):
            self.closed = True
            os.close(self.fd)

    def drain(self) -> bool:
        """Take what the pipe holds now, up to a bound (a worker that never stops printing
        must not keep the lock); the lock is held. False at the pipe's end."""
        for _ in range(DRAIN_CHUNKS):
            if self.closed:
                return False
            try:
                chunk = os.read(self.fd, 65536)
            except BlockingIOError:
                return True
            if not chunk:
                return False
            self.total += len(chunk)
            room = self.cap - len(self.head)
            self.head += chunk[:room]
            self.tail = (self.tail + chunk[room:])[-self.cap :]
        return True

    def mark(self) -> None:
        with self.lock:
            self.head, self.tail, self.total = bytearray(), bytearray(), 0

    def rewind(self, size: int) -> None:
        """Forget what came after the first `size` characters of text() (a stack dump the
        grader asked for), as far as the kept head and tail still hold it."""
        with self.lock:
            kept = len(self.head) + len(self.tail)
            if self.total > kept or size >= kept:
                return
            drop = kept - size
            cut = min(drop, len(self.tail))
            self.tail = self.tail[: len(self.tail) - cut]
            self.head = self.head[: len(self.head) - (drop - cut)]
            self.total -= drop

    def text(self) -> str:
        with self.lock:
            with contextlib.suppress(OSError):
                self.drain()
            cut = self.total - len(self.head) - len(self.tail)
            middle = cut_marker(cut).encode() if cut > 0 else b""
            data = bytes(self.head) + middle + bytes(self.tail)
        return data.decode("utf-8", errors="replace")


@dataclass
class Launched:
    """A started process: a box's zygote (its Popen, the control socket) or a worker the
    zygote forked (the checker's end of its channel, its id inside the box); its output."""

    pid: int
    sock: socket.socket
    output: Output
    proc: subprocess.Popen[bytes] | None = None
    ready: bool = False  # its first frame came: student code may run in it from then on
    uid: int | None = None  # its own user id, where the box gives it one
    checks: int = 0  # checks begun on it: its output before the first is its import's
    inner: int | None = None  # a forked worker's process id inside its box


def launch(spec: Spec, box: Box, workdir: Path) -> Launched:
    """Start `python -m grader.worker`, the zygote, for `spec` in `box`, with a control
    socket (one message per request: grader/worker/zygote.py); its home and temporary
    files live in `workdir`, which it owns when it has a user id of its own."""
    uid = FIRST_UID + secrets.randbelow(1_000_000)  # workers cannot signal one another
    home = Path(SEALED_HOME) if box.sealed else workdir / "home"
    if not box.sealed:
        home.mkdir(parents=True, exist_ok=True)
    if box.own_user and not box.sealed:
        os.chown(home, uid, uid)
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    command = [
        *box.prefix(uid, Path(spec.job.folder), spec.gpu),
        sys.executable,
        "-m",
        "grader.worker",
        f"--fd={theirs.fileno()}",
        f"--job={spec.job.to_json()}",
    ]
    # a user id of its own has no passwd entry: getpass.getuser() (torch's compile caches
    # on CUDA) reads these first
    names = {"USER": "grader-worker", "LOGNAME": "grader-worker"} if box.own_user else {}
    env = {**spec.env, "HOME": str(home), "TMPDIR": str(home), **names}
    read, write = os.pipe()
    try:
        proc = subprocess.Popen(
            command,
            cwd="/" if box.sealed else home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=write,
            stderr=subprocess.STDOUT,
            pass_fds=(theirs.fileno(),),
            preexec_fn=worker_limits(box, spec.data_mb),
        )
    except BaseException:
        os.close(read)
        raise
    finally:
        theirs.close()
        os.close(write)
    return Launched(proc.pid, ours, Output(read), proc, uid=uid if box.own_user else None)


def worker_limits(box: Box, data_mb: int | None, extra_tasks: int = 512) -> Callable[[], None]:
    """rlimits for the worker: processes (per user id, so a fresh id counts only the
    worker's own), open files, file size, no core, and on the CPU its data segment, so
    that one huge allocation fails at once (torch loads fine under 1 GB of it; the
    address space would not do: torch maps far more than it uses)."""
    tasks = extra_tasks + (0 if box.own_user else user_tasks())

    def preexec() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, set())
        die_with_parent()
        os.setpgrp()
        os.nice(WORKER_NICE)  # student code yields the CPU to the checkers that judge it
        set_limit("RLIMIT_NPROC", tasks)
        set_limit("RLIMIT_NOFILE", 1024)
        set_limit("RLIMIT_FSIZE", OUTPUT_LIMIT)
        set_limit("RLIMIT_CORE", 0)
        if data_mb:
            set_limit("RLIMIT_DATA", data_mb * 2**20)

    return preexec
