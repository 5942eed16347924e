"""Tensor-aware assertions whose messages say what was expected and what came back.

Every helper takes `what`, the name of the student's function or value, so a message
reads "column: expected shape (4,), got (5,)". Values are compared in float64 against
a reference computed by torch itself, with the tolerances stated in the message.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import pytest
import torch
from torch import Tensor

from grader.kit.remote import type_of


@dataclass(frozen=True)
class Tolerance:
    """|got - expected| <= atol + rtol * |expected|, elementwise, in float64."""

    rtol: float
    atol: float

    def __str__(self) -> str:
        exact = self.rtol == self.atol == 0
        return "exactly" if exact else f"within rtol={self.rtol:g}, atol={self.atol:g}"


EXACT = Tolerance(0.0, 0.0)
FLOAT32 = Tolerance(1e-5, 1e-6)
FLOAT64 = Tolerance(1e-9, 1e-12)


def type_name(value: Any) -> str:
    """The type a student would recognise, also for an object left in the worker."""
    return type_of(value) if value is not None else "None"


def fmt_shape(shape: torch.Size | tuple[int, ...]) -> str:
    return str(tuple(shape))


PLAIN_TENSORS = (Tensor, torch.nn.Parameter)
NUMBERS = (int, float, bool)


def plain(got: Any, what: str) -> Tensor:
    """`got` as a plain CPU tensor without autograd history, or a failed check.

    Only torch.Tensor itself (or a Parameter) is accepted: a subclass could redefine
    comparison or __torch_function__ and make a wrong answer look right.
    """
    assert type(got) in PLAIN_TENSORS, f"{what}: expected a torch.Tensor, got {type_name(got)}"
    return Tensor.detach(got).cpu()


def assert_shape(got: Any, shape: tuple[int, ...] | torch.Size, what: str) -> Tensor:
    tensor = plain(got, what)
    assert tuple(tensor.shape) == tuple(shape), (
        f"{what}: expected shape {fmt_shape(shape)}, got {fmt_shape(tensor.shape)}"
    )
    return tensor


def assert_dtype(got: Any, dtype: torch.dtype, what: str) -> Tensor:
    tensor = plain(got, what)
    assert tensor.dtype == dtype, f"{what}: expected dtype {dtype}, got {tensor.dtype}"
    return tensor


def worst_index(errors: Tensor) -> tuple[int, ...]:
    flat = int(torch.argmax(errors.reshape(-1)).item())
    return tuple(int(i) for i in torch.unravel_index(torch.tensor(flat), errors.shape))


def assert_values(got: Any, expected: Tensor, what: str, tol: Tolerance) -> None:
    """Equal within rtol/atol, compared in float64; names the worst element on failure."""
    tensor = plain(got, what)
    reference = expected.detach().cpu()
    if reference.dtype == torch.bool or tensor.dtype == torch.bool:
        close = tensor == reference
    else:
        close = torch.isclose(
            tensor.double(), reference.double(), rtol=tol.rtol, atol=tol.atol, equal_nan=True
        )
    if bool(close.all()):
        return
    index, error = worst(tensor, reference, close)
    raise AssertionError(
        f"{what}: {int((~close).sum())} of {close.numel()} values differ ({tol}); "
        f"largest absolute error {error:.3g} at index {index}: "
        f"expected {reference[index].item()!r}, got {tensor[index].item()!r}"
    )


def worst(tensor: Tensor, reference: Tensor, close: Tensor) -> tuple[tuple[int, ...], float]:
    """The index of the largest error among the elements that are not close, and that error."""
    if reference.dtype == torch.bool or tensor.dtype == torch.bool:
        errors = (~close).double()
    else:
        diff = (tensor.double() - reference.double()).abs().nan_to_num(float("inf"))
        errors = torch.where(close, torch.full_like(diff, -1.0), diff)
    index = worst_index(errors) if errors.dim() else ()
    return index, float(errors[index])


def assert_tensor(
    got: Any,
    expected: Tensor,
    what: str,
    *,
    tol: Tolerance = EXACT,
    check_dtype: bool = True,
) -> Tensor:
    """Type, shape, dtype and values of `got` against the reference `expected`."""
    tensor = assert_shape(got, expected.shape, what)
    if check_dtype:
        assert_dtype(tensor, expected.dtype, what)
    assert_values(tensor, expected, what, tol)
    return tensor


def assert_number(got: Any, expected: float, what: str, tol: Tolerance = FLOAT32) -> None:
    """A single value: a Python number or a tensor with one element."""
    if type(got) in PLAIN_TENSORS:
        assert got.numel() == 1, (
            f"{what}: expected a single value, got shape {fmt_shape(got.shape)}"
        )
        got = got.detach().cpu().item()
    assert type(got) in NUMBERS, f"{what}: expected a number, got {type_name(got)}"
    assert abs(float(got) - expected) <= tol.atol + tol.rtol * abs(expected), (
        f"{what}: expected {expected!r}, got {got!r} ({tol})"
    )


def assert_shares_memory(got: Any, original: Any, what: str, lesson: str) -> None:
    """`got` must be a view of `original` (same storage), not a copy."""
    assert isinstance(got, Tensor), f"{what}: expected a torch.Tensor, got {type_name(got)}"
    assert shares_memory(got, original), (
        f"{what}: the result is a copy; it must share memory with the input ({lesson})"
    )


def shares_memory(got: Any, original: Any) -> bool:
    """`got` is a tensor on the storage of `original` (a tensor or a NumPy array)."""
    return isinstance(got, Tensor) and got.untyped_storage().data_ptr() == _storage_ptr(original)


def _storage_ptr(value: Any) -> int:
    if isinstance(value, Tensor):
        return int(value.untyped_storage().data_ptr())
    return int(value.__array_interface__["data"][0])


def assert_unchanged(after: Tensor, before: Tensor, what: str, name: str) -> None:
    """The input `name` still equals its copy `before`: nothing was changed in place."""
    same = after.shape == before.shape and bool(torch.equal(after, before))
    assert same, f"{what}: the input {name} was changed in place; work on a copy (e.g. .clone())"


def plain_value(got: Any) -> Any:
    """Tuples, lists, torch.Size, ints, floats and strings as plain Python values; anything
    else (an object that could claim to equal everything) becomes its type name."""
    if type(got) in (tuple, list, torch.Size):
        return tuple(plain_value(v) for v in got)
    if type(got) in (*NUMBERS, str):
        return got
    return f"<{type_name(got)}>"


def python_number(got: Any, what: str) -> float:
    """A float (or int) result, as the contract says: a tensor keeps its graph alive."""
    if isinstance(got, Tensor):
        pytest.fail(
            f"{what}: expected a Python float, got a torch.Tensor of shape "
            f"{tuple(got.shape)}: convert with .item() (a tensor kept across batches also "
            "keeps every batch's graph in memory)"
        )
    number = isinstance(got, numbers.Real) and not isinstance(got, bool)
    assert number, f"{what}: expected a Python float, got {type_name(got)}"
    return float(got)


def assert_sequence(got: Any, length: int, what: str, expected: str) -> tuple[Any, ...]:
    """A tuple or list of `length` items (`expected` says which, for the message)."""
    count = len(got) if type(got) in (tuple, list) else None
    assert count == length, (
        f"{what}: expected {expected}, got {type_name(got) if count is None else f'{count} items'}"
    )
    return tuple(got)
