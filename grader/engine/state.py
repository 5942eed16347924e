"""The checker's state, kept on pytest's config.stash, and the workers it holds.

Each exercise of a checker session gets its own worker; the session's first is started
before pytest is imported (grader.engine.checker), the next two while the current
exercise runs, and a worker is closed once its exercise is done.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO

import torch

from grader.data import Mnist, MnistError
from grader.data import load as load_mnist
from grader.engine.checker import Started, trains_on_mnist, worker_spec
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
    cpu: CpuShare | None = None  # the cores student code may use, shared by the workers

    def __post_init__(self) -> None:
        self.cpu = CpuShare(self.settings.threads)

    def upcoming(self, name: str) -> list[str]:
        """The two exercises after `name` in this session: their workers start early, so
        their torch imports use the cores that the current exercise's checks leave idle."""
        index = self.exercises.index(name) if name in self.exercises else len(self.exercises)
        return self.exercises[index + 1 : index + 3]

    def prepare(self, mnist: Mnist, device: torch.device) -> Prepared:
        """MNIST normalised on `device`, made once per process and device."""
        key = str(device)
        if key not in self.prepared:
            self.prepared[key] = Prepared.from_mnist(mnist, device)
        return self.prepared[key]


def trains(state: State, name: str) -> bool:
    """Whether this exercise's checks train on MNIST (and the parent passed it)."""
    return state.settings.data_dir is not None and trains_on_mnist(state.settings, name)


def start_worker(state: State, name: str, started: Started | None = None) -> Worker:
    """The exercise's worker: the one `python -m grader.engine.checker` started before pytest
    (for the session's first exercise), or one started now, whose torch import overlaps
    the checker's work."""
    spec = worker_spec(state.settings, state.submission.folder, name)
    if started is not None and started.launched is not None and started.exercise == name:
        state.workers[name] = Worker(spec, started.launched, started.workdir, state.cpu)
    else:
        state.workers[name] = worker = Worker(spec, share=state.cpu)
        worker.start()
    return state.workers[name]


def move_to(state: State, name: str) -> None:
    """A check of exercise `name` is next: the previous exercise's worker is closed (its
    memory freed), this one's runs, and the next exercises' workers start importing torch."""
    needed = [name, *state.upcoming(name)]
    for other in [n for n in state.workers if n not in needed]:
        state.workers.pop(other).close()
        state.modules.pop(other, None)
    for exercise in needed:
        if exercise not in state.workers:
            start_worker(state, exercise)


def preload(state: State, name: str) -> None:
    """What the training checks need in the checker, made while the first worker starts:
    MNIST read, and its test split on the device. Only when the session's first exercise
    trains; later ones read it when their first check asks (the mnist fixture)."""
    folder = state.settings.data_dir
    cuda_missing = state.device == "cuda" and not torch.cuda.is_available()
    if folder is None or not trains(state, name) or cuda_missing:
        return
    try:
        state.mnist = load_mnist(folder)
    except MnistError:
        return  # the mnist fixture reads again and reports the problem on each check
    state.prepare(state.mnist, torch.device(state.device))
