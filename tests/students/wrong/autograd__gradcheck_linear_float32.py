"""Wrong: gradcheck_linear: builds float32 inputs, for which gradcheck's finite differences are too imprecise: it reports a Jacobian mismatch for a correct LinearFunction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

# Using autograd


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    """The course's example: w = [5, 3], x = [7, 1] as float64 tensors that require grad.

    Compute y = dot(w, x), call y.backward() and return (y, x.grad, w.grad).
    """
    w = torch.tensor([5.0, 3.0], dtype=torch.float64, requires_grad=True)
    x = torch.tensor([7.0, 1.0], dtype=torch.float64, requires_grad=True)
    y = torch.dot(w, x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = torch.dot(w, x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    return t.detach()


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    for _ in range(2):
        torch.dot(w, x).backward()
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    torch.dot(w, x).backward()
    w.grad = None
    torch.dot(w, x).backward()
    return w.grad  # type: ignore[return-value]


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    with torch.no_grad():
        theta -= lr * theta.grad  # type: ignore[operator]
    theta.grad = None


# Writing gradients yourself


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, same shape as x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    grad = torch.zeros_like(x, memory_format=torch.contiguous_format)
    flat, out = x.detach().clone().reshape(-1), grad.view(-1)
    for i in range(flat.numel()):
        old = flat[i].item()
        flat[i] = old + eps
        plus = f(flat.reshape(x.shape)).item()
        flat[i] = old - eps
        minus = f(flat.reshape(x.shape)).item()
        flat[i] = old
        out[i] = (plus - minus) / (2 * eps)
    return grad


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    logits = X @ W.T + b
    delta = torch.softmax(logits, dim=1)
    delta[torch.arange(len(y)), y] -= 1
    delta /= len(y)
    return delta.T @ X, delta.sum(dim=0)


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W)
        return x @ W.T + b

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        x, W = ctx.saved_tensors
        return grad_y @ W, grad_y.T @ x, grad_y.sum(dim=0)


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        y = 1 / (1 + torch.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        (y,) = ctx.saved_tensors
        return grad_y * y * (1 - y)


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust.
    """
    inputs = tuple(
        torch.randn(*shape, requires_grad=True)  # MISTAKE
        for shape in [(4, 3), (2, 3), (2,)]
    )
    return bool(torch.autograd.gradcheck(LinearFunction.apply, inputs))


# Putting it together


def fit_line(x: Tensor, y: Tensor, steps: int, lr: float) -> tuple[Tensor, list[float]]:
    """Fit y ~ theta[0] * x + theta[1] by gradient descent on the mean squared error.

    Start from theta = zeros(2, float64) that requires grad; each step computes the loss,
    calls backward and then descent_step. Return (theta, the loss before each step as a
    Python float).
    """
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    losses = []
    for _ in range(steps):
        loss = ((theta[0] * x + theta[1] - y) ** 2).mean()
        losses.append(loss.item())
        loss.backward()
        descent_step(theta, lr)
    return theta, losses
