"""Turn what student code returned into data: tensors, numbers, strings, plain containers.

Anything else (a model, a DataLoader, a function) stays in the worker; a handle that
names it crosses instead, and the checker may ask about it later.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

from grader.worker.wire import HANDLE, NUMPY

SCALARS = (type(None), bool, int, float, complex, str, bytes)
PLAIN = (torch.dtype, torch.device, torch.Size)
MAX_ITEMS = 100_000
MAX_DEPTH = 12


class Objects:
    """The worker's objects the checker holds handles to."""

    def __init__(self) -> None:
        self.table: dict[int, Any] = {}

    def keep(self, value: Any) -> dict[str, Any]:
        key = len(self.table) + 1
        self.table[key] = value
        kind = type(value)
        name = (
            kind.__name__
            if kind.__module__ == "builtins"
            else f"{kind.__module__}.{kind.__qualname__}"
        )
        return {HANDLE: key, "type": name, "callable": callable(value)}

    def get(self, key: int) -> Any:
        return self.table[key]


def plain_tensor(value: Tensor, shared: dict[int, Any]) -> Tensor:
    """A tensor of base type; one that uses an argument's memory (torch.from_numpy of an
    argument) is rebuilt on the argument's storage so that the sharing survives saving."""
    if type(value) not in (Tensor, torch.nn.Parameter):
        value = value.as_subclass(Tensor)
    storage = value.untyped_storage()
    base = shared.get(storage.data_ptr())
    if base is not None and base is not storage and value.device.type == "cpu":
        view = torch.empty(0, dtype=value.dtype).set_(
            base, value.storage_offset(), value.size(), value.stride()
        )
        return view.requires_grad_(value.requires_grad) if value.dtype.is_floating_point else view
    return value


def encoder(objects: Objects, shared: dict[int, Any]) -> Callable[[Any], Any]:
    """The function that turns one value into data, keeping handles in `objects`."""
    count = [0]

    def encode(value: Any, depth: int = 0) -> Any:
        count[0] += 1
        if count[0] > MAX_ITEMS or depth > MAX_DEPTH:
            return objects.keep(value)
        kind = type(value)
        if kind in SCALARS or kind in PLAIN:
            return value
        if isinstance(value, Tensor):
            return plain_tensor(value, shared)
        if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
            return {NUMPY: plain_tensor(torch.from_numpy(np.ascontiguousarray(value)), shared)}
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            return value.item()
        if isinstance(value, tuple):
            return tuple(encode(v, depth + 1) for v in value)
        if kind is list:
            return [encode(v, depth + 1) for v in value]
        if kind is dict and all(type(k) in (str, int) for k in value):
            return {k: encode(v, depth + 1) for k, v in value.items()}
        return objects.keep(value)

    return encode
