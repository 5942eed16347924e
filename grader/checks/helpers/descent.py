"""Why a line fit's loss did not fall, named from the losses themselves.

The fit_line check replays the first steps of gradient descent, ascent and descent on
the summed loss from theta = 0, computed here, and names the one the student's first
losses match; a loss that never changes means theta was never updated.
"""

from __future__ import annotations

import math

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
            for a, b in zip(first, replay(x, y, lr, sign, summed), strict=True)
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
