"""Each classic autograd mistake loses the right checks, with a message that names it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.report import Status
from tests.conftest import replace_function, solution_text
from tests.inprocess import check

pytestmark = pytest.mark.slow  # each mistake runs every autograd check


def replace_method(source: str, old: str, new: str) -> str:
    assert source.count(old) == 1, f"{old!r} is not unique in the solution"
    return source.replace(old, new)


# mistake -> (how to make it from the solution, {check id: phrase of its message})
MISTAKES: dict[str, tuple[Callable[[str], str], dict[str, str]]] = {
    "plus sign from the slide": (
        lambda s: replace_function(
            s,
            "descent_step",
            "with torch.no_grad():\n    theta += lr * theta.grad\ntheta.grad = None",
        ),
        {
            "descent_step.update": "the slide's plus sign is a slip",
            "fit.fit_line": "check the sign in descent_step",
        },
    ),
    "batch mean forgotten": (
        lambda s: replace_method(s, "    delta /= len(y)\n", ""),
        {
            "gradients_by_hand.softmax_regression_dw": "5 times too large",
            "gradients_by_hand.softmax_regression_db": "5 times too large",
        },
    ),
    "transposed": (
        lambda s: replace_method(s, "return delta.T @ X,", "return X.T @ delta,"),
        {"gradients_by_hand.softmax_regression_dw": "it is transposed"},
    ),
    "wrong number of gradients": (
        lambda s: replace_method(
            s,
            "return grad_y @ W, grad_y.T @ x, grad_y.sum(dim=0)",
            "return grad_y @ W, grad_y.T @ x",
        ),
        {
            "custom_function.linear_backward": "return one gradient per input of forward",
            "custom_function.linear_gradcheck": "return one gradient per input of forward",
        },
    ),
    "float32 inputs to gradcheck": (
        lambda s: replace_method(
            s,
            "dtype=torch.float64, requires_grad=True)\n        for shape",
            "dtype=torch.float32, requires_grad=True)\n        for shape",
        ),
        {"custom_function.gradcheck_linear": "finite differences need float64"},
    ),
    "integer tensors that require grad": (
        lambda s: replace_method(
            s,
            "w = torch.tensor([5.0, 3.0], dtype=torch.float64, requires_grad=True)",
            "w = torch.tensor([5, 3], requires_grad=True)",
        ),
        {"using_autograd.course_example": "integer tensor, which cannot require gradients"},
    ),
    "ctx attributes instead of save_for_backward": (
        lambda s: replace_method(
            replace_method(s, "ctx.save_for_backward(x, W)", "ctx.x, ctx.W = x, W"),
            "x, W = ctx.saved_tensors",
            "x, W = ctx.x, ctx.W",
        ),
        {"custom_function.linear_saves_for_backward": "use ctx.save_for_backward"},
    ),
    "gradients not cleared": (
        lambda s: replace_method(s, "    w.grad = None\n", ""),
        {"using_autograd.zero_between": ".grad was not cleared between backward calls"},
    ),
    "central difference divided by eps": (
        lambda s: replace_method(s, "(plus - minus) / (2 * eps)", "(plus - minus) / eps"),
        {
            f"gradients_by_hand.numerical_gradient[{name}]": "divide by 2 * eps"
            for name in ("cubic", "sin_times_x", "logsumexp", "quadratic_form")
        },
    ),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_mistake_loses_exactly_its_checks(mistake: str, tmp_path: Path) -> None:
    """The real checks in this process (tests/inprocess.py)."""
    make, losses = MISTAKES[mistake]
    (tmp_path / "autograd.py").write_text(make(solution_text("autograd")), encoding="utf-8")
    verdicts = check(tmp_path, "autograd")
    lost = {
        v.id.removeprefix("autograd."): v
        for v in verdicts.values()
        if v.status is not Status.PASSED
    }
    assert set(lost) == set(losses), {k: v.message for k, v in lost.items()}
    for check_id, phrase in losses.items():
        assert lost[check_id].status is Status.FAILED, lost[check_id].message
        assert phrase in lost[check_id].message, lost[check_id].message
