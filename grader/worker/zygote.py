"""The zygote's side of a submission's box: it forks a worker per exercise on request.

Requests come on the control channel (grader/worker/forks.py): `fork` with a job (the
exercise, its seed and threads) and two descriptors (the worker's channel to the checker
and the write end of its output pipe), and `wait` for a worker's exit status.
"""

from __future__ import annotations

import contextlib
import faulthandler
import json
import os
import signal
import socket
import sys
from pathlib import Path
from typing import Any, NoReturn

import torch

from grader.worker import forks
from grader.worker.lifetime import die_with_parent, set_dumpable
from grader.worker.load import Folder, import_exercise
from grader.worker.serve import Workspace, reseed, serve
from grader.worker.wire import READY, STACK_SIGNAL, ChannelClosed, Job, send


def warm_optimizer() -> None:
    """An optimizer's first step imports torch._dynamo (~1 s): once here, not in a check."""
    weight = torch.zeros(1, requires_grad=True)
    weight.grad = torch.zeros(1)
    torch.optim.Adam([weight]).step()


def hello(fd: int) -> socket.socket:
    """The first message: this process's id in its box, sent before any fork, so that the
    checker knows which process in the box is the zygote before student code runs."""
    control = socket.socket(fileno=fd)
    control.sendall(json.dumps({"pid": os.getpid()}).encode())
    return control


def serve_forks(control: socket.socket) -> int:
    """Fork a worker for each exercise the checker asks for, until it closes the channel."""

    def become(request: dict[str, Any], fds: list[int]) -> NoReturn:
        job = Job(**request["job"])
        forks.child(control, fds[1], lambda: run_worker(job, fds[0]))

    return forks.serve(control, become)


def run_worker(job: Job, channel: int) -> int:
    """Import the exercise (seeded like every check) and serve the checker's requests."""
    die_with_parent()
    set_dumpable(True)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a huge print fails, it does not kill
    # where the student's code is when a check runs out of time (grader/engine/workers.py)
    faulthandler.register(STACK_SIGNAL, file=sys.stderr, all_threads=True)
    torch.set_num_threads(job.threads)
    if job.device != "cpu" and torch.cuda.is_available():
        torch.zeros(1, device="cuda")  # CUDA's start-up before the first check's clock
    sock = socket.socket(fileno=channel)
    folder = Folder(Path(job.folder).resolve())
    reseed(job.seed)  # code that runs at import time is seeded like every check
    owner = os.getpid()
    send(sock, READY)  # from here on, what happens to this process may be student code
    module = import_exercise(folder, job.exercise, job.problem)
    with contextlib.suppress(ChannelClosed, BrokenPipeError, ConnectionResetError):
        serve(sock, Workspace(folder, module, owner))
    return 0
