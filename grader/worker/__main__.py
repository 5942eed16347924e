"""`python -m grader.worker`: the first process in a submission's box, its zygote.

Started by the checker (grader/engine/spawner.py) inside whatever box the platform allows;
the control socket to the checker is the inherited descriptor given by --fd. It imports
torch once, then forks one fresh worker per exercise when the checker asks (each fork
brings its own channel and output pipe), so a submission pays for torch's import once,
not once per exercise. No student code runs in the zygote itself; each fork imports one
exercise of the submission and serves the checker (grader/worker/serve.py).
"""

from __future__ import annotations

import argparse
import sys

import torch

from grader.worker.lifetime import die_with_parent, set_dumpable
from grader.worker.wire import Job
from grader.worker.zygote import hello, serve_forks, warm_optimizer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m grader.worker")
    parser.add_argument("--fd", type=int, required=True)
    parser.add_argument("--job", type=Job.from_json, required=True)
    options = parser.parse_args(argv)
    job: Job = options.job
    die_with_parent()  # again: changing the user id (setpriv) cleared what unshare set
    for stream in (sys.stdout, sys.stderr):  # any text prints, lone surrogates included
        stream.reconfigure(errors="backslashreplace")  # type: ignore[union-attr]
    torch.set_num_threads(1)  # no thread pool before a fork; each worker sets its own
    if job.warm_optimizer:
        warm_optimizer()
    set_dumpable(False)  # the workers it forks (same user id) cannot trace or read it
    control = hello(options.fd)
    return serve_forks(control)


if __name__ == "__main__":
    raise SystemExit(main())
