"""The registry: which exercises exist, in course order, and their time limits.

An exercise is one name shared by `exercises/<name>.py`, `solutions/<name>.py` and
`grader/checks/<name>.py`. Points live on the checks themselves (pytest markers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHECKS_DIR = Path(__file__).with_name("checks")


@dataclass(frozen=True)
class Exercise:
    """One part of the course and the limits its checks run under."""

    name: str
    title: str
    timeout_s: float
    check_timeout_s: float
    needs_mnist: bool = False

    @property
    def check_module(self) -> Path:
        return CHECKS_DIR / f"{self.name}.py"


# The limits leave several times the solutions' time on a slow 2-core runner (tensors and
# autograd take 2-3 s, mlp 5 s, lenet 9 s on this project's CI machine) and add up to 17
# minutes, so the Classroom job (grader.template) fits its steps in 40 minutes with margin.
EXERCISES: tuple[Exercise, ...] = (
    Exercise("tensors", "Tensors", timeout_s=90, check_timeout_s=20),
    Exercise("autograd", "Automatic differentiation", timeout_s=90, check_timeout_s=30),
    Exercise(
        "mlp",
        "MNIST with logistic regression and an MLP",
        timeout_s=240,
        check_timeout_s=180,
        needs_mnist=True,
    ),
    Exercise("lenet", "A LeNet-like CNN", timeout_s=360, check_timeout_s=300, needs_mnist=True),
)


def names() -> tuple[str, ...]:
    return tuple(e.name for e in EXERCISES)


def trains_on_mnist(name: str) -> bool:
    """Whether the exercise of this name trains on MNIST (its worker warms an optimizer)."""
    return any(e.name == name and e.needs_mnist for e in EXERCISES)


def select(only: Iterable[str] = ()) -> tuple[Exercise, ...]:
    """The exercises to grade, in course order; unknown names fail at once."""
    wanted = set(only)
    unknown = wanted - set(names())
    if unknown:
        valid = ", ".join(names())
        raise ValueError(f"unknown exercise {', '.join(sorted(unknown))}; valid names: {valid}")
    return tuple(e for e in EXERCISES if not wanted or e.name in wanted)
