"""The student's module as the checks see it: every call is watched for changed inputs.

A check computes its expected value from the inputs it passed. A function that also
changes an input in place would make that expected value wrong, and a correct-looking
result would be judged against it. So each call of a function defined in the
submission copies its tensor arguments first and compares after; a change fails the
check with a message that names the argument, unless the contract says the function
changes it (descent_step).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from types import ModuleType
from typing import Any

import torch
from torch import Tensor

from grader.submission import FAIL_EXCEPTION


def tensors_in(value: Any) -> list[Tensor]:
    """The tensors of an argument: itself, or those in a list or tuple of them."""
    if type(value) in (Tensor, torch.nn.Parameter):
        return [value]
    if type(value) in (list, tuple):
        return [v for v in value if type(v) in (Tensor, torch.nn.Parameter)]
    return []


def unchanged(after: Tensor, before: Tensor) -> bool:
    """Equal shape and values; floats within 1e-12, so a perturb-and-restore that leaves a
    last-bit rounding (x + eps - eps) still counts as unchanged."""
    if after.shape != before.shape or after.dtype != before.dtype:
        return False
    now = Tensor.detach(after)
    if now.is_floating_point():
        return bool(torch.allclose(now, before, rtol=1e-12, atol=1e-12, equal_nan=True))
    return bool(torch.equal(now, before))


def argument_names(function: Callable[..., Any], count: int) -> list[str]:
    try:
        names = list(inspect.signature(function).parameters)
    except (TypeError, ValueError):
        names = []
    return [names[i] if i < len(names) else f"argument {i + 1}" for i in range(count)]


def guard(function: Callable[..., Any], name: str) -> Callable[..., Any]:
    """`function`, failing the check when it changes a tensor argument in place."""

    @functools.wraps(function)
    def watched(*args: Any, **kwargs: Any) -> Any:
        given = [(str(i), a) for i, a in enumerate(args)] + list(kwargs.items())
        copies = [(key, t, Tensor.detach(t).clone()) for key, a in given for t in tensors_in(a)]
        result = function(*args, **kwargs)
        names = argument_names(function, len(args))
        for key, tensor, before in copies:
            if not unchanged(tensor, before):
                label = names[int(key)] if key.isdigit() else key
                raise FAIL_EXCEPTION(
                    f"{name}: the input {label} was changed in place; leave the inputs as "
                    "they were and return a new tensor (work on a copy, e.g. .clone(), or "
                    "use out-of-place operations)",
                    pytrace=False,
                )
        return result

    watched.__dict__["__guarded__"] = True
    return watched


class Guarded:
    """A read-through view of a student's module; its own functions are guarded."""

    def __init__(self, module: ModuleType, changes_inputs: Iterable[str] = ()) -> None:
        object.__setattr__(self, "__wrapped__", module)
        object.__setattr__(self, "_changes_inputs", frozenset(changes_inputs))

    def __getattr__(self, name: str) -> Any:
        module: ModuleType = object.__getattribute__(self, "__wrapped__")
        value = getattr(module, name)
        own = inspect.isfunction(value) and value.__module__ == module.__name__
        if own and name not in object.__getattribute__(self, "_changes_inputs"):
            return guard(value, name)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        """Checks may monkeypatch the module (a spy); guards never end up in it."""
        if getattr(value, "__guarded__", False):
            value = value.__wrapped__
        setattr(object.__getattribute__(self, "__wrapped__"), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(object.__getattribute__(self, "__wrapped__"), name)
