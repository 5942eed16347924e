"""Gradient descent as the docstrings define it, computed by the grader, and the
student's steps and losses judged against it with the cause named.

descent_step must move theta by exactly lr x grad; fit_line's losses must be those of
the docstring's loop (the loss before each step, from theta = 0, with the given lr and
number of steps). Where they differ, the losses themselves name the cause: the list
starts one step late, theta never moved, it moved up the gradient, the loss was summed.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import Tensor


def replay(x: Tensor, y: Tensor, lr: float, sign: float, summed: bool) -> list[float]:
    """The first three losses of gradient descent (sign -1) or ascent (+1) on the mean or
    the summed squared error, computed by the grader."""
    theta, losses = torch.zeros(2, dtype=torch.float64), []
    for _ in range(3):
        residual = theta[0] * x + theta[1] - y
        scale = 1.0 if summed else 1.0 / len(x)
        losses.append(float((residual**2).sum() * scale))
        grad = 2 * scale * torch.stack([(residual * x).sum(), residual.sum()])
        theta = theta + sign * lr * grad
    return losses


def fit_advice(losses: list[float] | tuple[float, ...], x: Tensor, y: Tensor, lr: float) -> str:
    """Why the loss did not fall, named only when the losses show it."""
    seen = f"the loss went from {losses[0]:.4g} to {losses[-1]:.4g} in {len(losses)} steps"
    first = [float(v) for v in losses[:3]]

    def matches(sign: float, summed: bool) -> bool:
        return all(
            math.isclose(a, b, rel_tol=1e-6)
            for a, b in zip(first, replay(x, y, lr, sign, summed)[: len(first)], strict=True)
        )

    if len(set(losses)) == 1:
        return (
            f"{seen} without changing: theta was never updated; update the theta that "
            "requires grad in place with descent_step (a new tensor assigned to the name "
            "theta is not the one autograd tracks)"
        )
    if matches(+1.0, summed=False):
        return f"{seen}: theta moved up the gradient; check the sign in descent_step"
    if matches(-1.0, summed=True):
        return (
            f"{seen}: the loss is the sum of squared errors; the docstring asks for the mean "
            f"(a sum makes the gradient {len(x)} times larger, too large for lr={lr})"
        )
    return f"{seen}; it must fall: compute the mean squared error and step against the gradient"


def assert_step(now: Tensor, before: Tensor, grad: Tensor, lr: float, what: str) -> None:
    """theta moved to before - lr * grad; otherwise say by how much it moved."""
    assert not torch.equal(now, before), (
        f"{what}: theta did not change; update it in place (theta -= ...), a new tensor "
        "assigned to the name theta is lost when the function returns"
    )
    expected = before - lr * grad
    if torch.allclose(now, expected, rtol=1e-9, atol=1e-12):
        return
    moved = before - now
    rate = float((moved * grad).sum() / (grad * grad).sum())
    along = torch.allclose(moved, rate * grad, rtol=1e-6, atol=1e-12)
    assert not (along and rate < 0), (
        f"{what}: theta moved up the gradient; the slide's plus sign is a slip: descend "
        "with theta - lr * grad"
    )
    assert not along, (
        f"{what}: theta moved by {rate:.4g} x grad, not lr x grad = {lr:g} x grad: "
        "use the lr argument"
    )
    raise AssertionError(
        f"{what}: theta is not theta - lr * grad; largest error "
        f"{float((now - expected).abs().max()):.3g}"
    )


def trajectory(x: Tensor, y: Tensor, lr: float, steps: int) -> tuple[list[float], Tensor]:
    """The docstring's loop, computed by the grader: the loss before each step, and theta."""
    theta, losses = torch.zeros(2, dtype=torch.float64), []
    for _ in range(steps):
        residual = theta[0] * x + theta[1] - y
        losses.append(float((residual**2).mean()))
        grad = 2 / len(x) * torch.stack([(residual * x).sum(), residual.sum()])
        theta = theta - lr * grad
    return losses, theta


def assert_losses(losses: Any, steps: int, what: str) -> list[float]:
    """One Python float per step."""
    assert type(losses) in (list, tuple) and len(losses) == steps, (
        f"{what}: expected a list of {steps} losses, one per step, got "
        f"{len(losses) if type(losses) in (list, tuple) else type(losses).__name__}"
    )
    kinds = {type(v).__name__ for v in losses if type(v) not in (float, int)}
    assert not kinds, (
        f"{what}: the losses must be Python floats, got {', '.join(sorted(kinds))}: append "
        "loss.item() (a kept loss tensor also keeps its graph)"
    )
    return [float(v) for v in losses]


def assert_descent(losses: list[float], x: Tensor, y: Tensor, lr: float, what: str) -> None:
    """The losses are the docstring's: before each step, from theta = 0, with this lr."""
    expected, _ = trajectory(x, y, lr, len(losses) + 1)
    if all_close(losses, expected[: len(losses)]):
        return
    assert not all_close(losses, expected[1:]), (
        f"{what}: the loss list starts after the first step: record each loss before its "
        "step (the first is the loss at theta = 0)"
    )
    summed = math.isclose(losses[0], expected[0] * len(x), rel_tol=1e-6)
    assert not summed or len(x) == 1, (
        f"{what}: the first loss is {losses[0]:.6g}, {len(x)} times the mean: the loss is "
        "the sum of squared errors; the docstring asks for the mean (.mean(), not .sum())"
    )
    assert math.isclose(losses[0], expected[0], rel_tol=1e-6), (
        f"{what}: the first loss is {losses[0]:.6g}, expected {expected[0]:.6g}, the mean "
        "squared error at theta = zeros(2)"
    )
    if len(losses) > 1 and not losses[-1] < losses[0]:
        raise AssertionError(f"{what}: {fit_advice(losses, x, y, lr)}")
    index = next(
        i
        for i, (a, b) in enumerate(zip(losses, expected, strict=False))
        if not math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12)
    )
    raise AssertionError(
        f"{what}: loss {index} is {losses[index]:.6g}, expected {expected[index]:.6g}: each "
        f"step must be theta - lr * grad with lr={lr}, on the mean squared error"
    )


def all_close(got: list[float], expected: list[float]) -> bool:
    return len(got) == len(expected) and all(
        math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12) for a, b in zip(got, expected, strict=True)
    )
