"""The built-in exercises, in course order, and their time limits.

An exercise is one name shared by `exercises/<name>.py`, `solutions/<name>.py` and
`grader/checks/<name>.py`, or, for an exercise of a course's own, a folder named in the
course file (grader.course) holding `solution.py`, `stub.py` and `checks.py`. Points live
on the checks (pytest markers); a course file may change them, the limits, the accuracy
targets and which exercises are graded.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

CHECKS_DIR = Path(__file__).with_name("checks")


@dataclass(frozen=True)
class Accuracy:
    """A trained-accuracy target: full marks at `threshold`, none at or below `floor`."""

    threshold: float
    floor: float


@dataclass(frozen=True)
class Exercise:
    """One part of the course and the limits its checks run under."""

    name: str
    title: str
    timeout_s: float
    check_timeout_s: float
    needs_mnist: bool = False
    # The checks (the last part of their id) that train to an accuracy a course may change.
    accuracy_checks: tuple[str, ...] = ()
    # A course's targets for them, by that name (the checks' own defaults otherwise).
    accuracy: tuple[tuple[str, Accuracy], ...] = ()
    folder: Path | None = None  # an exercise of the course's own: solution, stub, checks
    hidden: Path | None = None  # a module of checks students never get, when graded

    @property
    def check_module(self) -> Path:
        if self.folder is not None:
            return self.folder / "checks.py"
        return CHECKS_DIR / f"{self.name}.py"

    @property
    def check_modules(self) -> tuple[Path, ...]:
        """Every module whose checks grade this exercise: its own, then the hidden ones."""
        return (self.check_module, *((self.hidden,) if self.hidden else ()))

    def accuracy_of(self, check: str) -> Accuracy | None:
        """The course's target for the accuracy check named `check`, if it sets one."""
        return dict(self.accuracy).get(check)


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
        accuracy_checks=("logistic_regression", "mlp"),
    ),
    Exercise(
        "lenet",
        "A LeNet-like CNN",
        timeout_s=360,
        check_timeout_s=300,
        needs_mnist=True,
        accuracy_checks=("lenet",),
    ),
)


# Check ids that changed, old -> new: gradebooks written before keep reading.
RENAMED_IDS = {"lenet.trained_accuracy.reaches_98_percent": "lenet.trained_accuracy.lenet"}


def current_id(check_id: str) -> str:
    return RENAMED_IDS.get(check_id, check_id)


def names(among: Iterable[Exercise] = EXERCISES) -> tuple[str, ...]:
    return tuple(e.name for e in among)


def select(
    only: Iterable[str] = (), among: tuple[Exercise, ...] = EXERCISES
) -> tuple[Exercise, ...]:
    """The exercises to grade, in course order; unknown names fail at once."""
    wanted = set(only)
    unknown = sorted(wanted - set(names(among)))
    if unknown:
        valid = ", ".join(names(among))
        raise ValueError(f"--only {unknown[0]}: no such exercise; valid names: {valid}")
    return tuple(e for e in among if not wanted or e.name in wanted)
