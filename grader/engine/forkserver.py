"""`python -m grader.engine.forkserver`: checkers for a whole class, forked ready-made.

A checker never runs student code, so the work every checker does first (import torch,
pytest, the plugin and the kit; find the strongest box; read MNIST and normalise it) can
be done once, here, and every submission's checker forked from this process: a fresh
process per submission, with that start-up already done, and nothing carried from one
submission to the next. grade-class starts one with the class (`Forkserver`, below),
over a socket pair only it holds: nothing else can reach the forkserver.

The requests (grader/worker/forks.py, the loop the submission's zygote uses too):
`{"op": "fork", "argv": [...], "cwd": "...", "env": {...}, "memory_mb": N}` with two
descriptors (the checker's log, the read end of the pipe its signing key comes on),
answered with the checker's pid; `{"op": "wait", "pid": N}`, answered with its exit
status once it ended. The child runs `grader.engine.checker.main` with `--grader-key-fd`.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from grader.worker import forks
from grader.worker.lifetime import die_with_parent

if TYPE_CHECKING:
    from grader.engine.checker import Preloaded

MAX_ANSWER = 4096
WAIT_STEP_S = 0.02


class ForkserverGone(OSError):
    """The forkserver ended or answered nonsense: checkers start the plain way instead."""


class Forkserver:
    """grade-class's end: start the forkserver (it imports in the background), fork a
    checker per submission from it, from any thread, and stop it with the class."""

    def __init__(self, data_dir: Path | None, env: dict[str, str]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.sock, self.lock, self.greeted = ours, threading.Lock(), False
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed with the forkserver)
        data = [f"--data-dir={data_dir}"] if data_dir is not None else []
        try:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "grader.engine.forkserver",
                    f"--fd={theirs.fileno()}",
                    *data,
                ],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=subprocess.STDOUT,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
                preexec_fn=die_with_parent,
            )
        finally:
            theirs.close()

    def __enter__(self) -> Forkserver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fork(
        self, argv: list[str], cwd: Path, env: dict[str, str], memory_mb: int | None, fds: list[int]
    ) -> Forked:
        """A checker for these arguments; `fds` are its log and its key pipe's read end."""
        request = {"op": "fork", "argv": argv, "cwd": str(cwd), "env": env, "memory_mb": memory_mb}
        with self.lock:
            if not self.greeted:
                self.receive()  # its hello: the imports are done
                self.greeted = True
            answer = self.ask(request, fds)
        pid = answer.get("pid")
        if type(pid) is not int or pid <= 0:
            raise ForkserverGone(f"the forkserver did not fork: {answer}")
        return Forked(self, pid)

    def status(self, pid: int) -> int | None:
        with self.lock:
            status = self.ask({"op": "wait", "pid": pid}).get("status")
        return status if type(status) is int else None

    def ask(self, request: dict[str, Any], fds: list[int] | None = None) -> dict[str, Any]:
        try:
            socket.send_fds(self.sock, [json.dumps(request).encode()], fds or [])
        except OSError as exc:
            raise ForkserverGone(f"the forkserver is gone: {exc}") from None
        return self.receive()

    def receive(self) -> dict[str, Any]:
        try:
            data = self.sock.recv(MAX_ANSWER)
            answer = json.loads(data) if data else None
        except (OSError, ValueError):
            answer = None
        if type(answer) is not dict:
            self.log.seek(0)
            said = self.log.read()[-2000:].decode("utf-8", "replace")
            raise ForkserverGone(f"the forkserver is gone: {said}")
        return answer

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self.sock.close()
        self.log.close()


class Forked:
    """A checker the forkserver forked: what CheckerProcess needs of a Popen."""

    def __init__(self, server: Forkserver, pid: int) -> None:
        self.server, self.pid = server, pid
        self.returncode: int | None = None

    def poll(self) -> int | None:
        if self.returncode is None:
            try:
                self.returncode = self.server.status(self.pid)
            except ForkserverGone:
                self.returncode = -9  # it died with the forkserver
        return self.returncode

    def wait(self) -> int:
        while self.poll() is None:
            time.sleep(WAIT_STEP_S)
        assert self.returncode is not None
        return self.returncode


# What a checker imports before its first check (the check modules themselves are
# imported by pytest, cheaply once these are in memory).
WARM_MODULES = (
    "torch",
    "pytest",
    "pytest_timeout",
    "hypothesis",
    "grader.engine.plugin",
    "grader.engine.fixtures",
    "grader.kit",
)


def warm(data_dir: Path | None) -> Preloaded:
    """Everything a checker imports before its first check, and MNIST when given."""
    for name in WARM_MODULES:
        importlib.import_module(name)
    import torch

    from grader.engine.box import strongest
    from grader.engine.checker import Preloaded as Read

    torch.set_num_threads(1)  # no thread pool before a fork; each checker sets its own
    strongest(False)
    return Read.read(data_dir)


def serve(control: socket.socket, preloaded: Preloaded) -> int:
    """Fork a checker for each submission grade-class asks for, until it closes."""

    def become(request: dict[str, Any], fds: list[int]) -> NoReturn:
        forks.child(control, fds[0], lambda: run_checker(request, fds[1], preloaded))

    return forks.serve(control, become)


def run_checker(request: dict[str, Any], key: int, preloaded: Preloaded) -> int:
    """In the forked child: what `subprocess.Popen` would have set up for a checker
    (grader/engine/checkers.py), then the checker itself."""
    from grader.engine import checker
    from grader.engine.sandbox import Limits, apply_limits

    apply_limits(Limits(request["memory_mb"]))()
    os.setsid()
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    return checker.main([*request["argv"], "--grader-key-fd", str(key)], preloaded)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.engine.forkserver")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--data-dir", type=Path)
    options = parser.parse_args(argv)
    die_with_parent()
    preloaded = warm(options.data_dir)
    control = socket.socket(fileno=options.fd)
    control.sendall(json.dumps({"pid": os.getpid()}).encode())
    return serve(control, preloaded)


if __name__ == "__main__":
    raise SystemExit(main())
