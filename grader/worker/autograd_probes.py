"""Probes for the autograd exercise: what a call did with autograd, as data.

Backward passes are counted at autograd's engine entry (Tensor.backward,
torch.autograd.backward and torch.autograd.grad all go through it).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import Tensor
from torch.autograd.gradcheck import GradcheckError

from grader.worker.functions import FUNCTIONS, BrokenLinear, ReferenceLinear

ENTRY = "_engine_run_backward"


@contextlib.contextmanager
def patched(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


@contextlib.contextmanager
def counting_backward() -> Iterator[list[int]]:
    runs: list[int] = []
    names = [ENTRY] if hasattr(torch.autograd, ENTRY) else ["backward", "grad"]
    with contextlib.ExitStack() as stack:
        for name in names:
            original = getattr(torch.autograd, name)

            def counted(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
                runs.append(1)
                return _original(*args, **kwargs)

            stack.enter_context(patched(torch.autograd, name, counted))
        yield runs


def numerical_gradient(_: Any, function: Any, name: str, x: Tensor, eps: float) -> dict[str, Any]:
    """The student's numerical_gradient of FUNCTIONS[name] at x: the result, the backward
    passes it ran and whether f ever got an input that requires grad."""
    f, tracked, before = FUNCTIONS[name], [], x.clone()

    def watched(t: Tensor) -> Tensor:
        tracked.append(isinstance(t, Tensor) and t.requires_grad)
        return f(t)

    with counting_backward() as runs:
        value = function(watched, x, eps)
    changed = not torch.allclose(x.detach(), before, rtol=1e-12, atol=1e-12)
    return {"value": value, "backward": len(runs), "tracked": any(tracked), "changed": changed}


def without_backward(_: Any, function: Any, *args: Any) -> dict[str, Any]:
    """`function(*args)` and how many backward passes it ran."""
    with counting_backward() as runs:
        value = function(*args)
    return {"value": value, "backward": len(runs)}


def detached_run(_: Any, function: Any, base: Tensor, computed: bool) -> dict[str, Any]:
    """The student's detached on a tensor made here (a leaf, or computed from one, so that
    it has a graph), and what it did to that tensor and the result."""
    t = base * 2 if computed else base
    before = (t.requires_grad, t.grad_fn)
    got = function(t)
    tensor = isinstance(got, Tensor)
    return {
        "value": got.detach().clone() if tensor else got,
        "graph": tensor and (got.grad_fn is not None or got.requires_grad),
        "shares": tensor and got.untyped_storage().data_ptr() == t.untyped_storage().data_ptr(),
        "input_kept": (t.requires_grad, t.grad_fn) == before,
    }


def function_forward(_: Any, function: Any, inputs: tuple[Tensor, ...]) -> dict[str, Any]:
    """Function.apply(*inputs): the output and what forward kept on ctx."""
    out = function.apply(*inputs)
    if not isinstance(out, Tensor):
        return {"out": out}
    ctx: Any = out.grad_fn
    stashed = [k for k, v in vars(ctx).items() if isinstance(v, Tensor)] if ctx else []
    saved = len(ctx.saved_tensors) if ctx is not None else 0
    return {"out": out.detach(), "stashed": stashed, "saved": saved, "graph": ctx is not None}


def function_backward(
    _: Any, function: Any, inputs: tuple[Tensor, ...], grad_out: Tensor
) -> dict[str, Any]:
    """What backward itself returns for a gradient of ones, and the input gradients
    autograd computes from it for `grad_out`."""
    out = function.apply(*inputs)
    raw = out.grad_fn.apply(torch.ones_like(out))
    grads = torch.autograd.grad(out, inputs, grad_out)
    return {"raw": list(raw) if isinstance(raw, tuple | list) else [raw], "grads": list(grads)}


def gradcheck(_: Any, function: Any, inputs: tuple[Tensor, ...], fast: bool) -> bool:
    return bool(
        torch.autograd.gradcheck(function.apply, inputs, fast_mode=fast, raise_exception=False)
    )


def gradcheck_linear(_: Any, module: Any, broken: bool) -> dict[str, Any]:
    """The student's gradcheck_linear with the grader's LinearFunction (a right one, or one
    whose backward is wrong), and for every gradcheck call it made the (dtype,
    requires_grad) of each input. A GradcheckError raised on the wrong one is a verdict."""
    original, seen = torch.autograd.gradcheck, []

    def spy(func: Any, inputs: Any, *args: Any, **kwargs: Any) -> bool:
        tensors = inputs if isinstance(inputs, tuple | list) else (inputs,)
        seen.append([(str(t.dtype), t.requires_grad) for t in tensors if isinstance(t, Tensor)])
        return bool(original(func, inputs, *args, **kwargs))

    with contextlib.ExitStack() as stack:
        stack.enter_context(patched(torch.autograd, "gradcheck", spy))
        stack.enter_context(patched(sys.modules["torch.autograd.gradcheck"], "gradcheck", spy))
        for name, value in list(vars(module).items()):
            if value is original:
                stack.enter_context(patched(module, name, spy))
        linear = BrokenLinear if broken else ReferenceLinear
        stack.enter_context(patched(module, "LinearFunction", linear))
        try:
            verdict: Any = module.gradcheck_linear()
        except Exception as error:
            if any(dtype != "torch.float64" for inputs in seen for dtype, _ in inputs):
                return {"seen": seen}
            if not (broken and isinstance(error, GradcheckError)):
                raise
            verdict = False
    return {"seen": seen, "verdict": verdict if isinstance(verdict, bool) else repr(verdict)}


PROBES: dict[str, Callable[..., Any]] = {
    "detached_run": detached_run,
    "numerical_gradient": numerical_gradient,
    "without_backward": without_backward,
    "function_forward": function_forward,
    "function_backward": function_backward,
    "gradcheck": gradcheck,
    "gradcheck_linear": gradcheck_linear,
}
