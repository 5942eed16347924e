"""The worker's own file system, made by bubblewrap (Debian's `bubblewrap`, `bwrap`).

bubblewrap is the sandbox that Flatpak and many graders build on: one small, audited
program that makes a new mount tree from an empty tmpfs, with only what is named bound
into it. The worker sees the interpreter and installed packages read-only, the grader's
`worker` package (nothing that decides a score), its own submission copy read-only, and
private tmpfs scratch space of bounded size for HOME, /tmp, /var/tmp and /dev/shm. No other
submission, no checkout (`solutions/`), no data folder, no other worker's folder exists there,
and what it writes vanishes with it.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

import grader

SCRATCH_MB = {"/tmp": 512, "/var/tmp": 64, "/dev/shm": 256}
HOME = "/tmp"
SYSTEM = ("/usr",)
LINKED = ("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
ETC = (
    "/etc/ld.so.cache",
    "/etc/ld.so.conf",
    "/etc/ld.so.conf.d",
    "/etc/alternatives",
    "/etc/localtime",
    "/etc/nsswitch.conf",
    "/etc/passwd",
    "/etc/group",
)
NAMESPACES = ("--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts")


def available() -> str | None:
    """The bwrap program, where installed."""
    return shutil.which("bwrap")


def nested(paths: Iterable[Path]) -> list[Path]:
    """`paths` without those that lie inside another of them (binding the outer is enough)."""
    unique = sorted(set(paths), key=lambda p: len(p.parts))
    kept: list[Path] = []
    for path in unique:
        if not any(path.is_relative_to(outer) for outer in kept):
            kept.append(path)
    return kept


def installed(entry: str) -> bool:
    """Whether a sys.path entry holds installed packages (a `*-packages` folder), not a
    working folder that happens to be on the path (the checker's, a checkout)."""
    return os.path.isabs(entry) and any(part.endswith("-packages") for part in Path(entry).parts)


def python_roots() -> list[Path]:
    """What the interpreter needs: its prefixes and every existing folder on sys.path, but
    never a folder that holds the grader's source (a checkout, with `solutions/` beside it):
    of that, only the package's `__init__.py` and `worker/` are bound (`grader_parts`)."""
    source = Path(grader.__file__).resolve().parent
    found = [Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)]
    found.append(Path(os.path.realpath(sys.executable)).parent.parent)
    found += [Path(entry) for entry in sys.path if installed(entry)]
    roots = {path.resolve() for path in found if path.exists()}
    return nested(p for p in roots if p != Path("/") and not source.is_relative_to(p))


def grader_parts(roots: list[Path]) -> list[Path]:
    """The grader's files the worker imports, where no bound root holds them already."""
    source = Path(grader.__file__).resolve().parent
    if any(source.is_relative_to(root) for root in roots):
        return []
    return [source / "__init__.py", source / "worker"]


def system_args() -> list[str]:
    """The operating system's programs and libraries, read-only; merged-/usr links kept."""
    args: list[str] = []
    for path in SYSTEM:
        args += ["--ro-bind", path, path]
    for path in LINKED:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    return args


def gpu_args() -> list[str]:
    """NVIDIA's device files and /sys (the driver reads its topology there), for CUDA."""
    devices = [*sorted(str(p) for p in Path("/dev").glob("nvidia*")), "/dev/dri"]
    args = [arg for device in devices for arg in ("--dev-bind-try", device, device)]
    return [*args, "--ro-bind-try", "/sys", "/sys"]


def parent_args(binds: list[Path]) -> list[str]:
    """The folders above each bound path, made traversable (bwrap makes them 0700 as root,
    which the worker's user id could not pass)."""
    parents = dict.fromkeys(p for path in binds for p in reversed(path.parents) if p != p.parent)
    return [arg for parent in parents for arg in ("--perms", "0755", "--dir", str(parent))]


def scratch_args() -> list[str]:
    """Private tmpfs mounts of bounded size, writable by the worker's user id."""
    args: list[str] = []
    for path, mb in SCRATCH_MB.items():
        args += ["--perms", "1777", "--size", str(mb * 2**20), "--tmpfs", path]
    return args


def bwrap_prefix(folder: Path | None, *, user_namespace: bool, gpu: bool) -> list[str]:
    """The bwrap command line that runs a program in the worker's file system. As root,
    the caller drops to the worker's user id inside it (setpriv); otherwise bwrap makes a
    user namespace."""
    roots = python_roots()
    binds = [*roots, *grader_parts(roots), *([folder.resolve()] if folder is not None else [])]
    args = [available() or "bwrap", "--die-with-parent", "--new-session", *NAMESPACES]
    if user_namespace:
        args.append("--unshare-user")
    args += ["--proc", "/proc", "--dev", "/dev", *system_args(), *scratch_args()]
    args += parent_args(binds)
    for path in binds:
        args += ["--ro-bind", str(path), str(path)]
    if gpu:
        args += gpu_args()
    return [*args, "--chdir", HOME, "--"]


def scratch_used_mb(pid: int) -> float:
    """What the worker has written to its tmpfs mounts, seen through a process inside."""
    used = 0
    for path in SCRATCH_MB:
        try:
            stats = os.statvfs(f"/proc/{pid}/root{path}")
        except OSError:
            continue
        used += (stats.f_blocks - stats.f_bfree) * stats.f_frsize
    return used / 2**20
