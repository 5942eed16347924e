"""How a run's exercises are shared among checker processes."""

from __future__ import annotations

from grader.engine.schedule import dealt
from grader.exercises import EXERCISES, Exercise


def names(groups: list[tuple[Exercise, ...]]) -> list[list[str]]:
    return [[e.name for e in group] for group in groups]


def test_exercises_are_dealt_in_course_order_among_the_checkers() -> None:
    """Each exercise lands in exactly one checker; a checker grades its share in course
    order; with as many jobs as exercises, each gets its own checker."""
    assert names(dealt(EXERCISES, 1)) == [["tensors", "autograd", "mlp", "lenet"]]
    assert names(dealt(EXERCISES, 2)) == [["tensors", "mlp"], ["autograd", "lenet"]]
    assert names(dealt(EXERCISES, 3)) == [["tensors", "lenet"], ["autograd"], ["mlp"]]
    assert names(dealt(EXERCISES, 8)) == [["tensors"], ["autograd"], ["mlp"], ["lenet"]]
    assert dealt(EXERCISES[:1], 4) == [EXERCISES[:1]]
