"""Gradient assertions that name the classic mistakes instead of only printing numbers.

A wrong gradient is compared, in a fixed order, with the reference transformed by each
known mistake (sign flipped, batch mean forgotten, transposed, accumulated twice); the
first that matches within the tolerance names the mistake. A gradient that matches
none of them gets the generic mismatch message: input, largest absolute error, index,
expected and received value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor

from grader.kit.assertions import (
    Tolerance,
    assert_shape,
    assert_values,
    fmt_shape,
    plain,
)

GRADIENT = Tolerance(rtol=1e-4, atol=1e-6)


@dataclass(frozen=True)
class Mistake:
    """A known wrong gradient: how it transforms the right one, and what to tell the student."""

    transform: Callable[[Tensor], Tensor]
    advice: str


def sign_flipped() -> Mistake:
    return Mistake(lambda g: -g, "the sign is flipped (it equals minus the right gradient)")


def batch_mean_forgotten(batch: int) -> Mistake:
    return Mistake(
        lambda g: g * batch,
        f"it is {batch} times too large: the loss is the mean over the batch, divide by N",
    )


def transposed() -> Mistake:
    return Mistake(lambda g: g.T, "it is transposed: it must have the shape of its input")


def accumulated(times: int = 2) -> Mistake:
    return Mistake(
        lambda g: g * times,
        f"it equals {times} times the right gradient: .grad was not cleared between "
        "backward calls, so gradients accumulated",
    )


def not_accumulated() -> Mistake:
    return Mistake(
        lambda g: g / 2,
        "it holds only one backward's gradient: backward adds into .grad; do not clear it",
    )


def central_difference_halved() -> Mistake:
    return Mistake(lambda g: g * 2, "it is twice the gradient: divide by 2 * eps, not eps")


def differences(f: Callable[[Tensor], Tensor], x: Tensor, eps: float, central: bool) -> Tensor:
    """numerical_gradient's oracle, element by element: the docstring's central differences
    (f(x + eps e_i) - f(x - eps e_i)) / 2 eps, or the forward ones a student may write."""
    grad = torch.zeros_like(x).reshape(-1)
    for i in range(x.numel()):
        step = torch.zeros_like(x).reshape(-1)
        step[i] = eps
        step = step.reshape(x.shape)
        if central:
            grad[i] = (f(x + step) - f(x - step)) / (2 * eps)
        else:
            grad[i] = (f(x + step) - f(x)) / eps
    return grad.reshape(x.shape)


def close(got: Tensor, expected: Tensor, tol: Tolerance) -> bool:
    if got.shape != expected.shape:
        return False
    return bool(torch.allclose(got.double(), expected.double(), rtol=tol.rtol, atol=tol.atol))


def diagnose(got: Tensor, expected: Tensor, mistakes: tuple[Mistake, ...], tol: Tolerance) -> str:
    """The advice of the first known mistake that `got` matches, or ''."""
    for mistake in mistakes:
        if close(got, mistake.transform(expected.double()), tol):
            return mistake.advice
    return ""


def assert_gradient(
    got: object,
    expected: Tensor,
    what: str,
    mistakes: tuple[Mistake, ...] = (),
    tol: Tolerance = GRADIENT,
) -> None:
    """`got` equals the reference gradient; otherwise name the mistake or the worst element."""
    tensor = plain(got, what)
    reference = expected.detach().cpu().double()
    if tensor.shape != reference.shape:
        advice = diagnose(tensor, reference, mistakes, tol)
        assert not advice, f"{what}: {advice} (expected shape {fmt_shape(reference.shape)})"
        assert_shape(tensor, reference.shape, what)
    if close(tensor, reference, tol):
        return
    advice = diagnose(tensor, reference, mistakes, tol)
    assert not advice, f"{what}: {advice}"
    assert_values(tensor, reference, what, tol)


def assert_not_rescaled(got: object, expected: Tensor, batch: int, what: str) -> None:
    """A gradient that is the right one times a constant names the divisor it used."""
    if not isinstance(got, Tensor) or got.shape != expected.shape:
        return
    tensor, reference = got.detach().cpu().double(), expected.detach().double()
    norm = float((reference * reference).sum())
    if norm == 0:
        return
    scale = float((tensor * reference).sum()) / norm
    known = (1.0, float(batch))  # right, or the forgotten mean that Mistake names
    if scale <= 0 or any(abs(scale - k) < 1e-3 * k for k in known):
        return
    if not close(tensor, scale * reference, GRADIENT):
        return
    raise AssertionError(
        f"{what}: it is {scale:.4g} times the right gradient, as if divided by "
        f"{batch / scale:.4g}: the loss is the mean over this batch, so divide by N = {batch} "
        "(len(y)), not a fixed number"
    )
