"""Correct: the @ operator for dot products, gradients cleared with .zero_(), unravel_index for the numerical gradient, F.one_hot and F.linear, and a sigmoid that saves its input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

# Using autograd


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    """The course's example: w = [5, 3], x = [7, 1] as float64 tensors that require grad.

    Compute y = dot(w, x), call y.backward() and return (y, x.grad, w.grad).
    """
    w = torch.tensor([5, 3], dtype=torch.float64).requires_grad_()
    x = torch.tensor([7, 1], dtype=torch.float64).requires_grad_()
    y = w @ x
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = w @ x
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    return t.detach()


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    first = w @ x
    first.backward()
    second = w @ x
    second.backward()
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    (w @ x).backward()
    w.grad.zero_()  # type: ignore[union-attr]
    (w @ x).backward()
    return w.grad  # type: ignore[return-value]


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    with torch.no_grad():
        theta.sub_(lr * theta.grad)  # type: ignore[operator]
    theta.grad.zero_()  # type: ignore[union-attr]


# Writing gradients yourself


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    base = x.detach()
    grad = torch.zeros_like(base)
    with torch.no_grad():
        for flat in range(base.numel()):
            index = tuple(int(k) for k in torch.unravel_index(torch.tensor(flat), base.shape))
            plus, minus = base.clone(), base.clone()
            plus[index] += eps
            minus[index] -= eps
            grad[index] = (f(plus).item() - f(minus).item()) / (2 * eps)
    return grad


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    with torch.no_grad():
        n, classes = X.shape[0], W.shape[0]
        probs = F.softmax(X @ W.T + b, dim=1)
        target = F.one_hot(y.long(), num_classes=classes).to(probs.dtype)
        dlogits = (probs - target) / n
        return dlogits.T @ X, dlogits.sum(dim=0)


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W)
        return F.linear(x, W, b)

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        x, W = ctx.saved_tensors
        grad_x = grad_y @ W
        rows_y = grad_y.reshape(-1, grad_y.shape[-1])
        rows_x = x.reshape(-1, x.shape[-1])
        return grad_x, rows_y.T @ rows_x, rows_y.sum(dim=0)


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x)
        return 1 / (1 + torch.exp(-x))

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        (x,) = ctx.saved_tensors
        s = 1 / (1 + torch.exp(-x))
        return grad_y * s * (1 - s)


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    x = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    W = torch.randn(2, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, dtype=torch.float64, requires_grad=True)
    verdict = torch.autograd.gradcheck(LinearFunction.apply, (x, W, b), eps=1e-6, atol=1e-4)
    return bool(verdict)


# Putting it together


def fit_line(x: Tensor, y: Tensor, steps: int, lr: float) -> tuple[Tensor, list[float]]:
    """Fit y ~ theta[0] * x + theta[1] by gradient descent on the mean squared error.

    Start from theta = zeros(2, float64) that requires grad; each step computes the loss,
    calls backward and then descent_step. Return (theta, the loss before each step as a
    Python float).
    """
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    history: list[float] = []
    for _step in range(steps):
        loss = F.mse_loss(theta[0] * x + theta[1], y)
        history.append(float(loss.item()))
        loss.backward()
        descent_step(theta, lr)
    return theta, history
