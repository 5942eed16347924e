"""Processes that die with their parent: the checker, the worker, and what they start."""

from __future__ import annotations

import contextlib
import ctypes
import signal

PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """PR_SET_PDEATHSIG: the child is killed when the thread of `grade` that started it
    ends, so a `grade` killed with SIGKILL leaves no child pytest behind (Linux only)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


PR_SET_DUMPABLE = 4


def set_dumpable(dumpable: bool) -> None:
    """PR_SET_DUMPABLE: a process that is not dumpable cannot be traced, nor its memory
    read, by processes of the same user id (the zygote, against the workers it forks)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_DUMPABLE, int(dumpable), 0, 0, 0)
