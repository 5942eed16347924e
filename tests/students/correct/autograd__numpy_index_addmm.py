"""Correct: torch.matmul for the dot product, grads cleared with fill_(0), np.unravel_index in the numerical gradient, addmm + logsumexp softmax, and a sigmoid that saves x and recomputes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import Tensor

# Using autograd


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    """The course's example: w = [5, 3], x = [7, 1] as float64 tensors that require grad.

    Compute y = dot(w, x), call y.backward() and return (y, x.grad, w.grad).
    """
    values = {"w": [5.0, 3.0], "x": [7.0, 1.0]}
    w, x = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values.values())
    y = torch.matmul(w, x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = torch.matmul(w, x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    result = t.detach()
    assert result.data_ptr() == t.data_ptr()
    return result


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    for attempt in (1, 2):
        y = torch.matmul(w, x)
        y.backward()
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    torch.matmul(w, x).backward()
    if w.grad is not None:
        w.grad.fill_(0.0)
    torch.matmul(w, x).backward()
    return w.grad  # type: ignore[return-value]


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    with torch.no_grad():
        theta.copy_(theta - lr * theta.grad)  # type: ignore[operator]
    theta.grad = None


# Writing gradients yourself


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    center = x.detach()
    grad = torch.zeros_like(center)
    with torch.no_grad():
        for i in range(center.numel()):
            position = tuple(int(p) for p in np.unravel_index(i, tuple(center.shape)))
            e_i = torch.zeros_like(center)
            e_i[position] = 1.0
            forward = f(center + eps * e_i)
            backward = f(center - eps * e_i)
            grad[position] = (forward.item() - backward.item()) / (2 * eps)
    return grad


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    with torch.no_grad():
        logits = torch.addmm(b, X, W.T)
        probs = torch.exp(logits - torch.logsumexp(logits, dim=1, keepdim=True))
        targets = torch.zeros_like(probs)
        targets[torch.arange(X.shape[0]), y] = 1
        dz = (probs - targets) / X.shape[0]
        dW = torch.zeros_like(W)
        dW.addmm_(dz.T, X)
        db = dz.sum(dim=0)
    return dW, db


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W)
        return x.mm(W.t()).add(b)

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        saved_x, saved_W = ctx.saved_tensors
        dx = torch.matmul(grad_y, saved_W)
        dW = torch.matmul(grad_y.transpose(-1, -2), saved_x)
        db = grad_y.sum(dim=-2)
        return dx, dW, db


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x)
        return 1.0 / (1.0 + (-x).exp())

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        x = ctx.saved_tensors[0]
        sig = torch.sigmoid(x)
        return grad_y * sig * (1 - sig)


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    inputs = tuple(
        (torch.rand(*shape, dtype=torch.float64) * 2 - 1).requires_grad_(True)
        for shape in [(4, 3), (2, 3), (2,)]
    )
    return bool(torch.autograd.gradcheck(LinearFunction.apply, inputs, nondet_tol=0.0))


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
        diff = x * theta[0] + theta[1] - y
        loss = (diff * diff).mean()
        losses.append(loss.item())
        loss.backward()
        descent_step(theta, lr)
    return theta, losses
