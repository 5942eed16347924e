"""The kit check modules are written with: the student's objects as proxies (`remote`),
what can go wrong (`errors`), assertions, gradient and architecture diagnosis, generated
inputs, the course's loops and models, and training measured in the checker. Runs in the
checker only; imports nothing of `grader.engine` (the engine provides the fixtures by name:
device, mnist, prepared, trainer, progress, credit and student_modules).

The names below are the public, typed API for checks of a course's own exercises (README,
"Adding an exercise"); the submodules hold more, for the built-in checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from grader.kit.architecture import LayerRow, assert_param_layers
from grader.kit.assertions import (
    EXACT,
    FLOAT32,
    FLOAT64,
    Tolerance,
    assert_number,
    assert_shape,
    assert_tensor,
)
from grader.kit.gradients import GRADIENT, assert_gradient
from grader.kit.remote import Remote, student_module
from grader.kit.training import Recipe, Target, Trainer

__all__ = [
    "EXACT",
    "FLOAT32",
    "FLOAT64",
    "GRADIENT",
    "LayerRow",
    "Recipe",
    "Remote",
    "Target",
    "Tolerance",
    "Trainer",
    "assert_gradient",
    "assert_number",
    "assert_param_layers",
    "assert_shape",
    "assert_tensor",
    "exercise_fixture",
]


def exercise_fixture(name: str, changes_inputs: tuple[str, ...] = ()) -> Callable[..., Any]:
    """A pytest fixture, named after the exercise, that yields the student's module.

    Write `tensors = exercise_fixture("tensors")` in a check module, then take
    `tensors` as an argument in each check. A call that changes a tensor argument in
    place fails its check, except for the functions named in `changes_inputs`.
    """

    @pytest.fixture(name=name)
    def _fixture(student_modules: Callable[[str], Remote]) -> Iterator[Remote]:
        yield student_module(student_modules(name), changes_inputs)

    return _fixture
