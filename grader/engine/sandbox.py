"""What student code runs inside: a scrubbed environment, limits, a copy of the submission.

None of this is a security boundary against a determined attacker on the same account
(see the threat model in the README); it keeps careless and broken code from hurting the
machine, the secrets of a CI runner, the submission folder or the other exercises.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from grader.worker.lifetime import die_with_parent

try:
    import resource
except ImportError:  # not on Windows: no rlimits there; the resource watch still applies
    resource = None  # type: ignore[assignment]

# Variables student code may see: what Python, torch, CUDA and the locale need.
ALLOWED_ENV = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LANGUAGE",
    "TERM",
    "TZ",
    "TMPDIR",
    "SHELL",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "LD_LIBRARY_PATH",
    "CUDA_VISIBLE_DEVICES",
    "CUDA_HOME",
    "NVIDIA_VISIBLE_DEVICES",
    "NVIDIA_DRIVER_CAPABILITIES",
    "XDG_CACHE_HOME",
    "TORCH_HOME",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "SYSTEMROOT",
    "GRADER_ISOLATION",
)
ALLOWED_PREFIXES = ("LC_",)
MARKER = "DL_GRADER_RUN"
PROBLEMS_FILE = ".grader-problems.json"
MAX_COPY_BYTES = 50 * 1024 * 1024
MAX_COPY_FILES = 1_000
DEFAULT_MEMORY_MB = 4096
# The checker holds torch (about 1 GB of data segment once imported), MNIST and a network.
CHECKER_HEADROOM_MB = 2048


@dataclass(frozen=True)
class Limits:
    """Per-exercise limits for the checker process and everything it starts."""

    memory_mb: int | None = None
    extra_tasks: int = 1024
    open_files: int = 1024


def physical_memory_mb() -> int:
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20)


def scrubbed_env(keep: Iterable[str], overrides: dict[str, str]) -> dict[str, str]:
    """Only allowed variables (and those the instructor keeps) pass to student code."""
    allowed = set(ALLOWED_ENV) | set(keep)
    env = {
        name: value
        for name, value in os.environ.items()
        if name in allowed or name.startswith(ALLOWED_PREFIXES)
    }
    return {**env, **overrides}


def apply_limits(limits: Limits) -> Callable[[], None]:
    """A preexec function: set the rlimits in the checker before it runs Python.

    The process limit counts every process and thread of the user, so it is set relative
    to what the user runs now (counted here, before the fork).
    """
    tasks = user_tasks() + limits.extra_tasks
    # no data limit where a GPU may be used: CUDA maps large private regions it never fills
    data = (limits.memory_mb or 0) and not Path("/dev/nvidiactl").exists()

    def preexec() -> None:
        signal.pthread_sigmask(signal.SIG_SETMASK, set())  # grade blocks some in its threads
        die_with_parent()
        set_limit("RLIMIT_NPROC", tasks)
        set_limit("RLIMIT_NOFILE", limits.open_files)
        set_limit("RLIMIT_CORE", 0)
        if data and limits.memory_mb:
            set_limit("RLIMIT_DATA", (limits.memory_mb + CHECKER_HEADROOM_MB) * 2**20)

    return preexec


def set_limit(name: str, value: int) -> None:
    """Set one rlimit (soft and hard) where the platform has them; elsewhere do nothing."""
    if resource is not None:
        resource.setrlimit(getattr(resource, name), (value, value))


def processes() -> list[Path]:
    """Every process's /proc folder; none where the system has no /proc (macOS)."""
    try:
        return [entry for entry in Path("/proc").iterdir() if entry.name.isdigit()]
    except OSError:
        return []


def user_tasks() -> int:
    """Processes and threads this user runs now: RLIMIT_NPROC counts all of them."""
    uid, total = str(os.getuid()), 0
    for entry in processes():
        with contextlib.suppress(OSError):
            fields = dict(
                line.split(":", 1)
                for line in (entry / "status").read_text().splitlines()
                if line.startswith(("Uid:", "Threads:"))
            )
            if fields["Uid"].split()[0] == uid:
                total += int(fields["Threads"])
    return total


def marked_processes(token: str) -> list[int]:
    """Processes whose environment carries this run's marker: the checker's descendants,
    including those that left its process group (setsid) or were re-parented."""
    needle = f"{MARKER}={token}".encode()
    found = []
    for entry in processes():
        if int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def kill_all(pgid: int, token: str) -> None:
    """Kill the checker's process group, then every process that still carries the marker."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
    for _ in range(3):
        pids = marked_processes(token)
        if not pids:
            return
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def remove_tree(path: Path) -> None:
    """Remove a folder that student code may have filled (thousands of nested folders,
    names too long for one path, files of another user id): coreutils' `rm`, which walks
    with file descriptors and no recursion limit, then Python's rmtree for what is left.
    Never raises: a left-over folder is not worth a lost report."""
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        subprocess.run(
            ["rm", "-rf", "--one-file-system", "--", str(path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=120,
            check=False,
        )
    with contextlib.suppress(Exception):
        shutil.rmtree(path, ignore_errors=True)


SHARED_SCRATCH = ("/tmp", "/var/tmp", "/dev/shm")


def sweep(uid: int) -> None:
    """Remove what a worker under its own user id left in the machine's shared scratch
    folders (a sealed worker has private ones, gone with it)."""
    for folder in SHARED_SCRATCH:
        with contextlib.suppress(OSError):
            for entry in os.scandir(folder):
                with contextlib.suppress(OSError):
                    if entry.stat(follow_symlinks=False).st_uid == uid:
                        remove_tree(Path(entry.path))


def hidden(name: str) -> bool:
    return name.startswith(".") or name == "__pycache__"


def copy_submission(source: Path, target: Path) -> dict[str, str]:
    """Copy the submission's regular files; return file name -> problem for what was not
    copied. Links are never followed into folders (a link loop is one file's problem), and
    at most MAX_COPY_FILES files and MAX_COPY_BYTES bytes are copied."""
    problems: dict[str, str] = {}
    budget, count, root = MAX_COPY_BYTES, 0, source.resolve()
    for top, dirs, files in os.walk(source):
        here = Path(top)
        dirs[:] = sorted(d for d in dirs if not hidden(d))
        for name in [d for d in dirs if d.endswith(".py")]:
            problems[(here / name).relative_to(source).as_posix()] = "is a folder, not a file"
        for name in sorted(f for f in files if not hidden(f)):
            relative = (here / name).relative_to(source).as_posix()
            if count >= MAX_COPY_FILES:
                problems[relative] = f"was not copied: only {MAX_COPY_FILES:,} files are graded"
                continue
            problem, size = copy_file(here / name, target / relative, root, budget)
            budget, count = budget - size, count + 1
            if problem:
                problems[relative] = problem
    (target / PROBLEMS_FILE).write_text(json.dumps(problems), encoding="utf-8")
    return problems


def add_problems(folder: Path, problems: dict[str, str]) -> None:
    """Record more files' problems beside those of the copy step."""
    if problems:
        found = {**read_problems(folder), **problems}
        (folder / PROBLEMS_FILE).write_text(json.dumps(found), encoding="utf-8")


def read_problems(folder: Path) -> dict[str, str]:
    """What the copy step could not copy into `folder`: file name -> problem."""
    try:
        found = json.loads((folder / PROBLEMS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in found.items()} if isinstance(found, dict) else {}


def copy_file(path: Path, destination: Path, root: Path, budget: int) -> tuple[str, int]:
    """Copy one file; (problem or '', bytes copied). No error escapes: a loop, a name too
    long, a FIFO or an unreadable file is that file's problem."""
    try:
        if path.is_symlink() and not path.resolve().is_relative_to(root):
            return "is a symbolic link pointing outside the submission", 0
        if not path.is_file():
            return "is not a regular file", 0
        size = path.stat().st_size
        if size > budget:
            return "is too large to grade", 0
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)
        return "", size
    except (OSError, RuntimeError, ValueError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return f"cannot be read ({detail})", 0
