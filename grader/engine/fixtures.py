"""Fixtures the checks can ask for: device, mnist, prepared, trainer, progress, credit and
student_modules (through `grader.kit.exercise_fixture`).

Loaded with the plugin (its `pytest_plugins`); state comes from the plugin's config.stash.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch

from grader.data import Mnist, MnistError
from grader.data import load as load_mnist
from grader.engine.events import CheckProgress
from grader.engine.plugin import STATE, emit, load_exercise
from grader.engine.verdict import CREDIT, SubmissionError, exercise_of
from grader.kit.remote import Remote
from grader.kit.training import Prepared, Trainer
from grader.report import Status


@pytest.fixture
def device(request: pytest.FixtureRequest) -> torch.device:
    """The device the grader was asked to use (cpu or cuda)."""
    state = request.config.stash.get(STATE, None)
    return torch.device(state.device if state else "cpu")


@pytest.fixture
def mnist(request: pytest.FixtureRequest) -> Mnist:
    """MNIST as uint8 tensors, read once per checker process from the folder the parent found."""
    state = request.config.stash.get(STATE, None)
    if state is None or state.settings.data_dir is None:
        why = state.settings.data_problem if state else ""
        raise SubmissionError(Status.ERROR, why or "MNIST was not provided to this run")
    if state.mnist is None:
        try:
            state.mnist = load_mnist(state.settings.data_dir)
        except MnistError as exc:
            message = f"the grader's MNIST files are broken: {exc}"
            raise SubmissionError(Status.ERROR, message) from None
    return state.mnist


@pytest.fixture
def prepared(request: pytest.FixtureRequest, mnist: Mnist, device: torch.device) -> Prepared:
    """MNIST normalised on the device, once per process and device, shared by the checks."""
    return request.config.stash[STATE].prepare(mnist, device)


@pytest.fixture
def trainer(
    request: pytest.FixtureRequest,
    prepared: Prepared,
    credit: Callable[[float, str], None],
    progress: Callable[[str], None],
    record_property: Callable[[str, object], None],
) -> Trainer:
    """Everything a trained-accuracy check needs: data, seed, partial credit, progress."""
    settings = request.config.stash[STATE].settings
    exercise = settings.course.exercise(exercise_of(request.node))
    check = request.node.name.removeprefix("test_")
    target = exercise.accuracy_of(check) if exercise is not None else None
    return Trainer(prepared, settings.seed, credit, progress, record_property, target)


@pytest.fixture
def progress(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Call progress(text) from a long check; the parent shows it while it waits."""

    def report(text: str) -> None:
        emit(request.config, CheckProgress(request.node.nodeid, text))

    return report


@pytest.fixture
def credit(request: pytest.FixtureRequest) -> Any:
    """Call credit(fraction, message) to award part of a check's points."""

    def award(fraction: float, message: str) -> None:
        request.node.stash[CREDIT] = (min(max(fraction, 0.0), 1.0), message)

    return award


@pytest.fixture
def student_modules(request: pytest.FixtureRequest) -> Callable[[str], Remote]:
    """The student's module of an exercise, by name, imported in its worker (which is
    reseeded first); `grader.kit.exercise_fixture` builds each check module's fixture on it."""
    return lambda name: load_exercise(request.config, name)
