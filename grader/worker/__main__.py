"""`python -m grader.worker`: import one exercise of a submission and serve the checker.

Started by the checker (grader/engine/workers.py) inside whatever box the platform allows; the
socket to the checker is the inherited descriptor given by --fd.
"""

from __future__ import annotations

import argparse
import contextlib
import faulthandler
import os
import signal
import socket
import sys
from pathlib import Path

import torch

from grader.worker.lifetime import die_with_parent
from grader.worker.load import Folder, import_exercise
from grader.worker.serve import Workspace, reseed, serve
from grader.worker.wire import READY, STACK_SIGNAL, ChannelClosed, Job, send


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--job", type=Job.from_json, required=True)
    options = parser.parse_args(argv)
    job: Job = options.job
    die_with_parent()  # again: changing the user id (setpriv) cleared what unshare set
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a huge print fails, it does not kill
    for stream in (sys.stdout, sys.stderr):  # any text prints, lone surrogates included
        stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    # where the student's code is when a check runs out of time (grader/engine/workers.py)
    faulthandler.register(STACK_SIGNAL, file=sys.stderr, all_threads=True)
    torch.set_num_threads(job.threads)
    if job.device != "cpu" and torch.cuda.is_available():
        torch.zeros(1, device="cuda")  # CUDA's start-up now, while the checker starts too
    if job.warm_optimizer:  # its first step imports torch._dynamo: now, not in a check
        weight = torch.zeros(1, requires_grad=True)
        weight.grad = torch.zeros(1)
        torch.optim.Adam([weight]).step()
    sock = socket.socket(fileno=options.fd)
    folder = Folder(Path(job.folder).resolve())
    reseed(job.seed)  # code that runs at import time is seeded like every check
    owner = os.getpid()
    send(sock, READY)  # from here on, what happens to this process may be student code
    module = import_exercise(folder, job.exercise, job.problem)
    with contextlib.suppress(ChannelClosed, BrokenPipeError, ConnectionResetError):
        serve(sock, Workspace(folder, module, owner))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
