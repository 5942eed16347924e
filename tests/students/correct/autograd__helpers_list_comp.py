"""Correct: helper functions (torch.inner), numerical gradient as a list comprehension rebuilt with torch.tensor, index_put_ with accumulate for the one-hot subtraction, and addcmul in fit_line."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

# Using autograd


def _dot(w: Tensor, x: Tensor) -> Tensor:
    return torch.inner(w, x)


def _vector(values: list[float]) -> Tensor:
    return torch.tensor(values, dtype=torch.float64, requires_grad=True)


def course_example() -> tuple[Tensor, Tensor, Tensor]:
    """The course's example: w = [5, 3], x = [7, 1] as float64 tensors that require grad.

    Compute y = dot(w, x), call y.backward() and return (y, x.grad, w.grad).
    """
    w, x = _vector([5.0, 3.0]), _vector([7.0, 1.0])
    return dot_and_gradients(w, x)


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    y = _dot(w, x)
    y.backward()
    x_grad, w_grad = x.grad, w.grad
    return y, x_grad, w_grad  # type: ignore[return-value]


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    cut = t.detach()
    return cut


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    for y in (_dot(w, x) for _ in range(2)):
        y.backward()
    return w.grad  # type: ignore[return-value]


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    _dot(w, x).backward()
    w.grad = None
    _dot(w, x).backward()
    assert w.grad is not None
    return w.grad


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    step = lr * theta.grad  # type: ignore[operator]
    with torch.no_grad():
        theta -= step
    theta.grad = None


# Writing gradients yourself


def _central_difference(
    f: Callable[[Tensor], Tensor], flat: Tensor, shape: torch.Size, i: int, eps: float
) -> float:
    up, down = flat.clone(), flat.clone()
    up[i] += eps
    down[i] -= eps
    return (f(up.view(shape)).item() - f(down.view(shape)).item()) / (2 * eps)


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    flat = x.detach().flatten().clone()
    with torch.no_grad():
        values = [_central_difference(f, flat, x.shape, i, eps) for i in range(flat.numel())]
    return torch.tensor(values, dtype=x.dtype, device=x.device).reshape(x.shape)


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    batch = X.shape[0]
    logits = X.detach() @ W.detach().T + b.detach()
    grad = logits.softmax(dim=1)
    rows = torch.arange(batch, device=grad.device)
    minus_one = torch.full((batch,), -1.0, dtype=grad.dtype, device=grad.device)
    grad.index_put_((rows, y.long()), minus_one, accumulate=True)
    grad = grad / batch
    return grad.T @ X.detach(), grad.sum(dim=0)


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        ctx.save_for_backward(x, W, b)
        return x @ W.transpose(0, 1) + b

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        x, W, b = ctx.saved_tensors
        flat_grad = grad_y.flatten(0, -2) if grad_y.dim() > 1 else grad_y.unsqueeze(0)
        flat_x = x.flatten(0, -2) if x.dim() > 1 else x.unsqueeze(0)
        grad_b = flat_grad.sum(dim=0).reshape(b.shape)
        return grad_y @ W, flat_grad.transpose(0, 1) @ flat_x, grad_b


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        y = torch.reciprocal(1 + torch.exp(-x))
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        (y,) = ctx.saved_tensors
        local = y * (1.0 - y)
        return local * grad_y


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    inputs = [
        torch.randn(shape, dtype=torch.double, requires_grad=True)
        for shape in ((4, 3), (2, 3), (2,))
    ]
    return bool(
        torch.autograd.gradcheck(LinearFunction.apply, tuple(inputs), raise_exception=False)
    )


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
        prediction = torch.addcmul(theta[1], theta[0], x)
        loss = (prediction - y).pow(2).sum() / y.numel()
        losses.append(loss.item())
        loss.backward()
        descent_step(theta, lr)
    return theta, losses
