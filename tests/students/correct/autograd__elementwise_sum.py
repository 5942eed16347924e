"""Correct: dot products as (w * x).sum(), itertools.product over the index grid, eye()-indexed one-hot with log_softmax().exp(), torch.sigmoid, and alpha= in-place updates."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

# Using autograd


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    """The course's example: w = [5, 3], x = [7, 1] as float64 tensors that require grad.

    Compute y = dot(w, x), call y.backward() and return (y, x.grad, w.grad).
    """
    w = torch.tensor([5, 3]).double().requires_grad_(True)
    x = torch.tensor([7, 1]).double().requires_grad_(True)
    y = (w * x).sum()
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = torch.sum(w * x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    return Tensor.detach(t)


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    calls = 0
    while calls < 2:
        (w * x).sum().backward()
        calls += 1
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    (w * x).sum().backward()
    w.grad = None
    (w * x).sum().backward()
    return w.grad  # type: ignore[return-value]


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    with torch.no_grad():
        theta.add_(theta.grad, alpha=-lr)  # type: ignore[arg-type]
    theta.grad = None


# Writing gradients yourself


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    x0 = x.detach()
    grad = torch.zeros(x0.shape, dtype=x0.dtype, device=x0.device)
    for index in itertools.product(*(range(n) for n in x0.shape)):
        shifted_up = x0.clone()
        shifted_up[index] = x0[index] + eps
        shifted_down = x0.clone()
        shifted_down[index] = x0[index] - eps
        with torch.no_grad():
            difference = f(shifted_up) - f(shifted_down)
        grad[index] = difference.item() / (2 * eps)
    return grad


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    with torch.no_grad():
        logits = X.matmul(W.t()) + b
        probs = torch.log_softmax(logits, dim=-1).exp()
        one_hot = torch.eye(W.shape[0], dtype=probs.dtype, device=probs.device)[y]
        grad_logits = (probs - one_hot) / len(y)
        grad_W = grad_logits.t().matmul(X)
        grad_b = grad_logits.sum(0)
    return grad_W, grad_b


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W)
        return x.matmul(W.t()) + b

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        x, W = ctx.saved_tensors
        return grad_y.mm(W), grad_y.t().mm(x), grad_y.sum(0)


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        out = torch.sigmoid(x)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        out = ctx.saved_tensors[0]
        return grad_y * out * (1.0 - out)


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    shapes = {"x": (4, 3), "W": (2, 3), "b": (2,)}
    inputs = {
        name: torch.rand(shape, dtype=torch.float64).requires_grad_()
        for name, shape in shapes.items()
    }
    ok = torch.autograd.gradcheck(LinearFunction.apply, (inputs["x"], inputs["W"], inputs["b"]))
    return bool(ok)


# Putting it together


def fit_line(x: Tensor, y: Tensor, steps: int, lr: float) -> tuple[Tensor, list[float]]:
    """Fit y ~ theta[0] * x + theta[1] by gradient descent on the mean squared error.

    Start from theta = zeros(2, float64) that requires grad; each step computes the loss,
    calls backward and then descent_step. Return (theta, the loss before each step as a
    Python float).
    """
    theta = torch.zeros(2, dtype=torch.float64).requires_grad_()
    losses: list[float] = []
    for _ in range(steps):
        slope, intercept = theta.unbind()
        loss = torch.mean(torch.square(slope * x + intercept - y))
        losses += [loss.item()]
        loss.backward()
        descent_step(theta, lr)
    return theta, losses
