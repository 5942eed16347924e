"""Judging a student's torch.autograd.Function from what the worker reports of it.

The classic structural mistakes (a wrong number of gradients from backward, tensors kept
as ctx attributes instead of save_for_backward, a gradient of a broadcast shape) become
messages that say what to change.
"""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch import Tensor

from grader.kit.assertions import type_name
from grader.kit.errors import StudentError
from grader.kit.remote import Remote, probe
from grader.kit.source import Source


def forward(module: Remote, name: str, *inputs: Tensor) -> dict[str, Any]:
    """Function.apply(*inputs) in the worker: the output (a tensor) and what ctx kept."""
    run: dict[str, Any] = probe(module, "function_forward", getattr(module, name), inputs)
    out = run["out"]
    assert isinstance(out, Tensor), f"{name}.forward: expected a tensor, got {type_name(out)}"
    return run


def backward(module: Remote, name: str, inputs: tuple[Tensor, ...], grad_out: Tensor) -> Any:
    """backward's raw gradients (for ones) and autograd's input gradients for `grad_out`."""
    try:
        return probe(module, "function_backward", getattr(module, name), inputs, grad_out)
    except StudentError as exc:
        if "incorrect number of gradients" in exc.message:
            pytest.fail(
                f"{name}.backward: return one gradient per input of forward "
                f"({len(inputs)} here, in the same order): {exc.message}"
            )
        raise


def assert_raw_shapes(raw: list[Any], inputs: tuple[Tensor, ...], what: str) -> None:
    """What backward itself returns has each input's shape: autograd would sum a gradient of
    a broadcast shape (say dL/db of shape (N, C)) into shape silently and hide the mistake."""
    names = ("dL/dx", "dL/dW", "dL/db")[: len(inputs)] if len(inputs) == 3 else ("dL/dx",)
    for name, grad, given in zip(names, raw, inputs, strict=False):
        if isinstance(grad, Tensor) and grad.shape != given.shape:
            pytest.fail(
                f"{what}.backward: {name} has shape {tuple(grad.shape)}, expected "
                f"{tuple(given.shape)} (its input's shape): sum over the batch where the input "
                "was broadcast (autograd would have summed it silently)"
            )


def assert_saved_properly(run: dict[str, Any], what: str, source: Source) -> None:
    """backward's tensors must go through ctx.save_for_backward, not ctx attributes: what
    the worker saw on ctx, and the call in the submitted source."""
    stashed = list(run.get("stashed") or [])
    assert not stashed, (
        f"{what}.forward: ctx.{stashed[0]} = ... keeps a tensor on ctx; use "
        "ctx.save_for_backward(...) and ctx.saved_tensors (it checks for in-place changes "
        "and avoids reference cycles)"
    )
    assert run.get("saved"), f"{what}.forward: nothing was saved with save_for_backward"
    assert source.calls(f"{what}.forward", "save_for_backward"), (
        f"{what}.forward: the source never calls ctx.save_for_backward(...)"
    )


def grad_out_like(out: Tensor) -> Tensor:
    """The upstream gradient the checks use: seeded, so the oracle can draw the same one."""
    torch.manual_seed(1)
    return torch.randn_like(out)
