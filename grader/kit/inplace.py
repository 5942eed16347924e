"""What a call did to its arguments: changed them in place, or returned a view of them.

A check computes its expected value from the inputs it passed, in the checker; the
worker's copies come back with the answer. A function that changed an input in place
fails its check with a message that names the argument, unless the contract says the
function changes it (descent_step): then the change is copied back into the check's
tensor, gradient included. A result that shares memory with an argument is rebuilt on
the check's own argument, so that views stay checkable.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch import Tensor

from grader.kit.errors import FAIL_EXCEPTION


def as_tensor(value: Any) -> Tensor | None:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return torch.from_numpy(value)
    return None


def pairs(original: Any, after: Any) -> Iterator[tuple[Tensor, Tensor]]:
    """(the check's tensor, the worker's copy after the call), also inside lists/tuples."""
    if type(original) in (list, tuple) and type(after) in (list, tuple):
        for o, a in zip(original, after, strict=False):
            yield from pairs(o, a)
        return
    mine, theirs = as_tensor(original), as_tensor(after)
    if mine is not None and theirs is not None:
        yield mine, theirs


def unchanged(after: Tensor, before: Tensor) -> bool:
    """Equal shape and values; floats within 1e-12, so a perturb-and-restore that leaves a
    last-bit rounding (x + eps - eps) still counts as unchanged."""
    if after.shape != before.shape or after.dtype != before.dtype:
        return False
    now, then = Tensor.detach(after), Tensor.detach(before).to(after.device)
    if now.is_floating_point():
        return bool(torch.allclose(now, then, rtol=1e-12, atol=1e-12, equal_nan=True))
    return bool(torch.equal(now, then))


def changed_in_place(label: str, name: str) -> str:
    return (
        f"{label}: the input {name} was changed in place; leave the inputs as they were and "
        "return a new tensor (work on a copy, e.g. .clone(), or use out-of-place operations)"
    )


def check_inputs(
    label: str,
    may_change: bool,
    args: Sequence[Any],
    after: Sequence[Any],
    grads: Sequence[Any],
    names: Sequence[str],
) -> None:
    """Fail on an in-place change the contract does not allow; copy back one it does."""
    for index, (original, changed) in enumerate(zip(args, after, strict=False)):
        for mine, theirs in pairs(original, changed):
            if unchanged(theirs, mine):
                continue
            if not may_change:
                name = names[index] if index < len(names) else f"argument {index + 1}"
                raise FAIL_EXCEPTION(changed_in_place(label, name), pytrace=False)
            with torch.no_grad():
                if mine.shape == theirs.shape:
                    mine.copy_(theirs)
                else:
                    copy = theirs.clone().contiguous()
                    mine.set_(copy.untyped_storage(), 0, copy.shape, copy.stride())
        if may_change and isinstance(original, Tensor) and index < len(grads):
            original.grad = grads[index]


def rebuild_views(value: Any, args: Sequence[Any], after: Sequence[Any]) -> Any:
    """`value` with each tensor that shares memory with an argument's copy rebuilt as a view
    of the check's own argument (the same storage, offset and strides)."""
    bases: dict[int, Tensor] = {}
    for original, changed in zip(args, after, strict=False):
        for mine, theirs in pairs(original, changed):
            bases[theirs.untyped_storage().data_ptr()] = mine
    if not bases:
        return value

    def rebuild(item: Any) -> Any:
        if isinstance(item, Tensor):
            base = bases.get(item.untyped_storage().data_ptr()) if item.numel() else None
            if base is None or base.device != item.device:
                return item
            view = torch.empty(0, dtype=item.dtype, device=item.device).set_(
                base.untyped_storage(),
                item.storage_offset(),
                item.size(),
                item.stride(),
            )
            return view.requires_grad_() if item.requires_grad else view
        if type(item) in (list, tuple):
            return type(item)(rebuild(v) for v in item)
        if type(item) is dict:
            return {k: rebuild(v) for k, v in item.items()}
        return item

    return rebuild(value)
