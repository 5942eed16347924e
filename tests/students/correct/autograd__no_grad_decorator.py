"""Correct: @torch.no_grad() decorated helpers for the update and the numerical gradient, torch.vdot, a comparison-built one-hot, and torch.mm with keyword gradcheck."""

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
    w = torch.as_tensor([5.0, 3.0], dtype=torch.float64).clone().requires_grad_()
    x = torch.as_tensor([7.0, 1.0], dtype=torch.float64).clone().requires_grad_()
    y = torch.vdot(w, x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = torch.dot(input=w, tensor=x)
    y.backward(gradient=torch.ones_like(y))
    return y, x.grad, w.grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    return t.detach()


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    ys = []
    for _ in range(2):
        ys.append(torch.dot(w, x))
        ys[-1].backward()
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    torch.dot(w, x).backward()
    w.grad = None
    y = torch.dot(w, x)
    y.backward()
    return w.grad  # type: ignore[return-value]


@torch.no_grad()
def _apply_update(theta: Tensor, lr: float) -> None:
    theta.sub_(theta.grad * lr)  # type: ignore[operator]


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    _apply_update(theta, lr)
    theta.grad = None


# Writing gradients yourself


@torch.no_grad()
def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    work = x.detach().clone().contiguous()
    flat = work.view(-1)
    grad = torch.zeros_like(flat)
    for i in range(flat.numel()):
        saved = flat[i].clone()
        flat[i] = saved + eps
        f_plus = f(work).item()
        flat[i] = saved - eps
        f_minus = f(work).item()
        flat[i] = saved
        grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad.view_as(x)


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    with torch.no_grad():
        num_classes = W.size(0)
        probs = F.softmax(F.linear(X, W, b), dim=1)
        one_hot = (y.view(-1, 1) == torch.arange(num_classes, device=y.device)).to(probs.dtype)
        d_logits = (probs - one_hot).div(X.size(0))
        return torch.mm(d_logits.t(), X), torch.sum(d_logits, dim=0)


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W)
        return torch.mm(x, W.t()) + b.unsqueeze(0)

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        x, W = ctx.saved_tensors
        grad_x = torch.mm(grad_y, W)
        grad_W = torch.mm(grad_y.t(), x)
        grad_b = torch.sum(grad_y, dim=0)
        return grad_x, grad_W, grad_b


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        y = torch.exp(-x).add(1.0).pow(-1)
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        (y,) = ctx.saved_tensors
        return grad_y * (y - y * y)


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    x = torch.randn((4, 3), dtype=torch.float64, requires_grad=True)
    W = torch.randn((2, 3), dtype=torch.float64, requires_grad=True)
    b = torch.randn((2,), dtype=torch.float64, requires_grad=True)
    result = torch.autograd.gradcheck(
        func=LinearFunction.apply, inputs=(x, W, b), eps=1e-6, atol=1e-5, rtol=1e-3
    )
    return result is True


# Putting it together


def fit_line(x: Tensor, y: Tensor, steps: int, lr: float) -> tuple[Tensor, list[float]]:
    """Fit y ~ theta[0] * x + theta[1] by gradient descent on the mean squared error.

    Start from theta = zeros(2, float64) that requires grad; each step computes the loss,
    calls backward and then descent_step. Return (theta, the loss before each step as a
    Python float).
    """
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    losses: list[float] = []
    step = 0
    while step < steps:
        loss = F.mse_loss(x * theta[0] + theta[1], y, reduction="mean")
        losses.append(loss.detach().item())
        loss.backward()
        descent_step(theta, lr)
        step += 1
    return theta, losses
