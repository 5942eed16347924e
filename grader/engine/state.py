"""The checker's state, kept on pytest's config.stash, and the workers it holds.

Each exercise of a checker session gets its own worker, forked from the submission's
box (grader/engine/spawner.py) when its first check starts and stopped once its
exercise is done: one worker of the submission runs at a time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

import torch

from grader.data import Mnist, MnistError
from grader.data import load as load_mnist
from grader.engine.checker import Preloaded, box_spec, trains_on_mnist, worker_spec
from grader.engine.spawner import Spawner
from grader.engine.verdict import Submission, SubmissionError
from grader.engine.watch import CpuShare
from grader.engine.workers import Worker
from grader.kit.remote import Remote
from grader.kit.training import Prepared
from grader.settings import Settings


@dataclass
class State:
    """Per-process state, kept on config.stash rather than in module globals."""

    settings: Settings
    submission: Submission
    device: str  # the device the checks use: `auto` resolved
    channel: IO[str]
    key: bytes = b""
    exercises: list[str] = field(default_factory=list)
    workers: dict[str, Worker] = field(default_factory=dict)
    modules: dict[str, Remote | SubmissionError] = field(default_factory=dict)
    mnist: Mnist | None = None
    prepared: dict[str, Prepared] = field(default_factory=dict)
    spawner: Spawner | None = None  # the submission's box, which forks the workers

    def box(self) -> Spawner:
        """The submission's box: the one `python -m grader.engine.checker` started, or one
        started now."""
        if self.spawner is None:
            spec = box_spec(self.settings, self.submission.folder, self.exercises)
            self.spawner = Spawner(spec, share=CpuShare(self.settings.threads))
            self.spawner.start()
        return self.spawner

    def close(self) -> None:
        """Stop every worker and the box."""
        for worker in self.workers.values():
            worker.close()
        if self.spawner is not None:
            self.spawner.close()

    def prepare(self, mnist: Mnist, device: torch.device) -> Prepared:
        """MNIST normalised on `device`, made once per process and device."""
        key = str(device)
        if key not in self.prepared:
            self.prepared[key] = Prepared.from_mnist(mnist, device)
        return self.prepared[key]


def trains(state: State, name: str) -> bool:
    """Whether this exercise's checks train on MNIST (and the parent passed it)."""
    return state.settings.data_dir is not None and trains_on_mnist(state.settings, name)


def start_worker(state: State, name: str) -> Worker:
    """The exercise's worker, forked when its first request comes."""
    spec = worker_spec(state.settings, state.submission.folder, name)
    state.workers[name] = Worker(spec, state.box())
    return state.workers[name]


def move_to(state: State, name: str) -> None:
    """A check of exercise `name` is next: the other exercises' workers are stopped (their
    memory freed; only one worker of the submission runs at a time)."""
    for other in [n for n in state.workers if n != name]:
        state.workers.pop(other).close()
        state.modules.pop(other, None)
    if name not in state.workers:
        start_worker(state, name)


def preload(state: State, name: str, preloaded: Preloaded) -> None:
    """What the training checks need in the checker, made while the box starts: MNIST
    read, and its test split on the device. From the forkserver when it read the same
    folder; else read here only when the session's first exercise trains (later ones
    read it when their first check asks: the mnist fixture)."""
    folder = state.settings.data_dir
    cuda_missing = state.device == "cuda" and not torch.cuda.is_available()
    if folder is None or cuda_missing:
        return
    if preloaded.folder == folder and preloaded.mnist is not None:
        state.mnist = preloaded.mnist
        if preloaded.prepared is not None:
            state.prepared["cpu"] = preloaded.prepared
    elif trains(state, name):
        try:
            state.mnist = load_mnist(folder)
        except MnistError:
            return  # the mnist fixture reads again and reports the problem on each check
    else:
        return
    state.prepare(state.mnist, torch.device(state.device))
