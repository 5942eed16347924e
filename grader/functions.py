"""Helpers for checking a student's torch.autograd.Function: structure, saving, backward.

The classic structural mistakes (a wrong number of gradients from backward, tensors kept
as ctx attributes instead of save_for_backward) become messages that say what to change.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from grader.assertions import type_name


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


def apply(function: Any, what: str, *inputs: Tensor) -> Tensor:
    """Call Function.apply and turn the classic structural mistakes into messages."""
    out = function.apply(*inputs)
    assert isinstance(out, Tensor), f"{what}.forward: expected a tensor, got {type_name(out)}"
    return out


def backward_grads(out: Tensor, inputs: tuple[Tensor, ...], what: str) -> tuple[Tensor, ...]:
    grad_out = torch.randn_like(out)
    try:
        return torch.autograd.grad(out, inputs, grad_out)
    except RuntimeError as exc:
        if "incorrect number of gradients" in str(exc):
            pytest.fail(
                f"{what}.backward: return one gradient per input of forward "
                f"({len(inputs)} here, in the same order): {exc}"
            )
        raise


def assert_raw_shapes(out: Tensor, inputs: tuple[Tensor, ...], what: str) -> None:
    """What backward itself returns has each input's shape: autograd would sum a gradient of
    a broadcast shape (say dL/db of shape (N, C)) into shape silently and hide the mistake."""
    ctx: Any = out.grad_fn
    raw = ctx.apply(torch.ones_like(out))
    grads = raw if isinstance(raw, tuple | list) else (raw,)
    names = ("dL/dx", "dL/dW", "dL/db")[: len(inputs)] if len(inputs) == 3 else ("dL/dx",)
    for name, grad, given in zip(names, grads, inputs, strict=False):
        if isinstance(grad, Tensor) and grad.shape != given.shape:
            pytest.fail(
                f"{what}.backward: {name} has shape {tuple(grad.shape)}, expected "
                f"{tuple(given.shape)} (its input's shape): sum over the batch where the input "
                "was broadcast (autograd would have summed it silently)"
            )


def assert_saved_properly(out: Tensor, what: str) -> None:
    """backward's tensors must go through ctx.save_for_backward, not ctx attributes."""
    ctx: Any = out.grad_fn
    stashed = [k for k, v in vars(ctx).items() if isinstance(v, Tensor)]
    assert not stashed, (
        f"{what}.forward: ctx.{stashed[0]} = ... keeps a tensor on ctx; use "
        "ctx.save_for_backward(...) and ctx.saved_tensors (it checks for in-place changes "
        "and avoids reference cycles)"
    )
    assert len(ctx.saved_tensors) > 0, f"{what}.forward: nothing was saved with save_for_backward"
