"""Functions both sides use: the autograd checks' test functions and a reference Function.

Plain torch, no state: the checker computes expected values with them, the worker hands
them to the student's code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

FUNCTIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "cubic": lambda x: (x**3).sum(),
    "sin_times_x": lambda x: (torch.sin(x) * x).sum(),
    "logsumexp": lambda x: torch.logsumexp(x.reshape(-1), dim=0),
    "quadratic_form": lambda x: (
        x.reshape(-1) @ torch.arange(1.0, x.numel() + 1, dtype=x.dtype) * x.reshape(-1).sum()
    ),
}


class ReferenceLinear(torch.autograd.Function):
    """The grader's own linear Function, so gradcheck_linear is judged on its own."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        ctx.save_for_backward(x, W)
        return F.linear(x, W, b)

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x, W = ctx.saved_tensors
        return grad_y @ W, grad_y.T @ x, grad_y.sum(0)


class BrokenLinear(ReferenceLinear):
    """ReferenceLinear with wrong dL/dW and dL/db (dL/dx is right): a gradcheck_linear that
    really checks LinearFunction, every input requiring grad, must reject it."""

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x, W = ctx.saved_tensors
        return grad_y @ W, 1.5 * (grad_y.T @ x), 0.5 * grad_y.sum(0)
