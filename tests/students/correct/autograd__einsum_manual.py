"""Correct: einsum everywhere (dot product, weight gradients), torch.autograd.backward, a hand-written stable softmax with scatter one-hot, and a design-matrix fit_line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

# Using autograd


def _dot(w: Tensor, x: Tensor) -> Tensor:
    return torch.einsum("i,i->", w, x)


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    """The course's example: w = [5, 3], x = [7, 1] as float64 tensors that require grad.

    Compute y = dot(w, x), call y.backward() and return (y, x.grad, w.grad).
    """
    w = torch.tensor([5.0, 3.0], dtype=torch.double, requires_grad=True)
    x = torch.tensor([7.0, 1.0], dtype=torch.double, requires_grad=True)
    y = _dot(w, x)
    y.backward()
    return y, x.grad, w.grad  # type: ignore[return-value]


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = _dot(w, x)
    torch.autograd.backward(y)
    return y, x.grad, w.grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    return torch.detach(t)


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    for _ in range(2):
        y = _dot(w, x)
        torch.autograd.backward(y)
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    torch.autograd.backward(_dot(w, x))
    w.grad = torch.zeros_like(w)
    torch.autograd.backward(_dot(w, x))
    return w.grad


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    grad = theta.grad
    with torch.no_grad():
        theta.copy_(theta - lr * grad)  # type: ignore[operator]
    theta.grad = None


# Writing gradients yourself


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    point = x.detach().reshape(-1).clone()
    grad = torch.empty_like(point)
    with torch.no_grad():
        for i in range(point.numel()):
            step = torch.zeros_like(point)
            step[i] = eps
            f_plus = float(f((point + step).reshape(x.shape)))
            f_minus = float(f((point - step).reshape(x.shape)))
            grad[i] = (f_plus - f_minus) / (2 * eps)
    return grad.reshape(x.shape)


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    X, W, b = X.detach(), W.detach(), b.detach()
    logits = torch.einsum("nd,cd->nc", X, W) + b
    shifted = logits - logits.max(dim=1, keepdim=True).values
    exps = shifted.exp()
    probs = exps / exps.sum(dim=1, keepdim=True)
    one_hot = torch.zeros_like(probs).scatter_(1, y.long().unsqueeze(1), 1.0)
    delta = (probs - one_hot) / X.shape[0]
    grad_W = torch.einsum("nc,nd->cd", delta, X)
    grad_b = torch.einsum("nc->c", delta)
    return grad_W, grad_b


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W)
        return torch.einsum("nd,cd->nc", x, W) + b

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        x, W = ctx.saved_tensors
        grad_x = torch.einsum("nc,cd->nd", grad_y, W)
        grad_W = torch.einsum("nc,nd->cd", grad_y, x)
        grad_b = torch.einsum("nc->c", grad_y)
        return grad_x, grad_W, grad_b


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        y = x.neg().exp().add(1).reciprocal()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        (y,) = ctx.saved_tensors
        return y.mul(1 - y).mul(grad_y)


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    gen = torch.Generator().manual_seed(1234)
    x = torch.randn(4, 3, generator=gen, dtype=torch.float64).requires_grad_()
    W = torch.randn(2, 3, generator=gen, dtype=torch.float64).requires_grad_()
    b = torch.randn(2, generator=gen, dtype=torch.float64).requires_grad_()
    return torch.autograd.gradcheck(LinearFunction.apply, (x, W, b)) is True


# Putting it together


def fit_line(x: Tensor, y: Tensor, steps: int, lr: float) -> tuple[Tensor, list[float]]:
    """Fit y ~ theta[0] * x + theta[1] by gradient descent on the mean squared error.

    Start from theta = zeros(2, float64) that requires grad; each step computes the loss,
    calls backward and then descent_step. Return (theta, the loss before each step as a
    Python float).
    """
    theta = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    design = torch.stack([x, torch.ones_like(x)], dim=-1).to(torch.float64)
    target = y.to(torch.float64)
    losses = []
    for _ in range(steps):
        residual = design @ theta - target
        loss = residual.pow(2).sum() / residual.numel()
        losses.append(loss.item())
        loss.backward()
        descent_step(theta, lr)
    return theta, losses
