"""A fork server's loop, shared by a submission's zygote (grader/worker/zygote.py) and a
class's checker forkserver (grader/engine/forkserver.py).

The control channel is a SOCK_SEQPACKET socket pair: one JSON object per message, with
the descriptors a fork needs beside it. Two requests:
- `{"op": "fork", ...}` with two descriptors: answered `{"pid": N}`; the child runs
  `become(request, fds)` and never comes back to the loop;
- `{"op": "wait", "pid": N, "timeout": S}`: answered `{"status": CODE}` once that child
  ended (Popen's returncode: negative for a signal), or `{"status": null}` after S
  seconds (0 by default).
Children are reaped as they end; a server that is a PID namespace's first process reaps
what its children left behind too.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
import traceback
from collections.abc import Callable
from typing import Any, NoReturn

MAX_REQUEST = 1024 * 1024
FORK_FDS = 2
WAIT_STEP_S = 0.01

Become = Callable[[dict[str, Any], list[int]], NoReturn]


def serve(control: socket.socket, become: Become) -> int:
    """Answer requests until the other end closes the channel."""
    ended: dict[int, int] = {}
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, MAX_REQUEST, FORK_FDS)
        except OSError:
            return 0
        if not data:
            return 0
        reap(ended)
        try:
            answer = handle(json.loads(data), fds, ended, become)
        finally:
            for fd in fds:  # a forked child holds its own copies
                os.close(fd)
        control.sendall(json.dumps(answer).encode())


def handle(
    request: dict[str, Any], fds: list[int], ended: dict[int, int], become: Become
) -> dict[str, Any]:
    if request.get("op") == "fork" and len(fds) == FORK_FDS:
        sys.stdout.flush()  # nothing of the server's own output goes to the child's
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            become(request, fds)
        return {"pid": pid}
    if request.get("op") == "wait":
        timeout = float(request.get("timeout", 0))
        return {"status": wait(int(request["pid"]), timeout, ended)}
    return {"error": "unknown request"}


def wait(pid: int, timeout: float, ended: dict[int, int]) -> int | None:
    """The exit status of child `pid`, waiting up to `timeout` seconds for it to end."""
    deadline = time.monotonic() + timeout
    while True:
        reap(ended)
        if pid in ended or time.monotonic() >= deadline:
            return ended.get(pid)
        time.sleep(WAIT_STEP_S)


def reap(ended: dict[int, int]) -> None:
    """Collect every child that ended, as Popen.returncode would say it."""
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                return
            ended[pid] = os.waitstatus_to_exitcode(status)


def child(control: socket.socket, output: int, body: Callable[[], int]) -> NoReturn:
    """In a forked child: leave the server's channel, print to `output`, run `body`, and
    exit with its code, whatever it raises; never return to the server's loop."""
    code = 1
    try:
        control.close()
        os.dup2(output, 1)
        os.dup2(output, 2)
        os.close(output)
        code = body()
    except BaseException:
        with contextlib.suppress(Exception):
            traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)
