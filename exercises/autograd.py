"""Part 2: automatic differentiation.

Autograd records the operations on tensors that require gradients and, on
`backward()`, adds d(output)/d(input) into each leaf's `.grad`. Here you use it, show
what it does (accumulation, detach), and prove you understand it by writing gradients
yourself: numerically, by hand, and as a custom `torch.autograd.Function`.
"""

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
    # TODO(student): write your code here
    raise NotImplementedError("autograd: course_example")


def dot_and_gradients(w: Tensor, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """The same for any vectors w and x that require grad: (y, x.grad, w.grad)."""
    # TODO(student): write your code here
    raise NotImplementedError("autograd: dot_and_gradients")


def detached(t: Tensor) -> Tensor:
    """`t` cut out of the graph: no grad_fn, no requires_grad, and the same storage."""
    # TODO(student): write your code here
    raise NotImplementedError("autograd: detached")


def backward_twice(w: Tensor, x: Tensor) -> Tensor:
    """Compute y = dot(w, x) and call backward, twice (a new y each time); return w.grad.

    The result shows that backward adds into .grad instead of overwriting it.
    """
    # TODO(student): write your code here
    raise NotImplementedError("autograd: backward_twice")


def zeroed_between(w: Tensor, x: Tensor) -> Tensor:
    """As backward_twice, but clear w.grad before the second backward; return w.grad."""
    # TODO(student): write your code here
    raise NotImplementedError("autograd: zeroed_between")


def descent_step(theta: Tensor, lr: float) -> None:
    """One gradient-descent step on the leaf `theta`, in place: theta <- theta - lr * grad.

    Update under torch.no_grad() (so the step is not recorded), then clear theta.grad.
    """
    # TODO(student): write your code here
    raise NotImplementedError("autograd: descent_step")


# Writing gradients yourself


def numerical_gradient(f: Callable[[Tensor], Tensor], x: Tensor, eps: float = 1e-6) -> Tensor:
    """The gradient of the scalar function f at x by central differences, with the shape
    and dtype of x.

    For each element i: (f(x + eps * e_i) - f(x - eps * e_i)) / (2 * eps). Do not use autograd.
    """
    # TODO(student): write your code here
    raise NotImplementedError("autograd: numerical_gradient")


def softmax_regression_gradients(
    X: Tensor, y: Tensor, W: Tensor, b: Tensor
) -> tuple[Tensor, Tensor]:
    """(dL/dW, dL/db) by hand, without autograd, for L = cross_entropy(X @ W.T + b, y).

    X is (N, D), y holds N class indices, W is (C, D), b is (C,); L is the mean over the
    batch. Hint: dL/dlogits = (softmax(logits) - one_hot(y)) / N.
    """
    # TODO(student): write your code here
    raise NotImplementedError("autograd: softmax_regression_gradients")


class LinearFunction(torch.autograd.Function):
    """y = x @ W.T + b with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, W: Tensor, b: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        # TODO(student): write your code here
        raise NotImplementedError("autograd: LinearFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Return (dL/dx, dL/dW, dL/db) from dL/dy, one gradient per input of forward."""
        # TODO(student): write your code here
        raise NotImplementedError("autograd: LinearFunction.backward")


class SigmoidFunction(torch.autograd.Function):
    """y = 1 / (1 + exp(-x)), elementwise, with a hand-written backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor) -> Tensor:
        """Compute y and save what backward needs with ctx.save_for_backward."""
        # TODO(student): write your code here
        raise NotImplementedError("autograd: SigmoidFunction.forward")

    @staticmethod
    def backward(ctx: Any, grad_y: Tensor) -> Tensor:
        """Return dL/dx from dL/dy."""
        # TODO(student): write your code here
        raise NotImplementedError("autograd: SigmoidFunction.backward")


def gradcheck_linear() -> bool:
    """Verify LinearFunction with torch.autograd.gradcheck and return its verdict.

    Build small random inputs x (4, 3), W (2, 3), b (2,) that gradcheck can trust: float64,
    and all three requiring grad (gradcheck tests only the inputs that require grad).
    """
    # TODO(student): write your code here
    raise NotImplementedError("autograd: gradcheck_linear")


# Putting it together


def fit_line(x: Tensor, y: Tensor, steps: int, lr: float) -> tuple[Tensor, list[float]]:
    """Fit y ~ theta[0] * x + theta[1] by gradient descent on the mean squared error.

    Start from theta = zeros(2, float64) that requires grad; each step computes the loss,
    calls backward and then descent_step. Return (theta, the loss before each step as a
    Python float).
    """
    # TODO(student): write your code here
    raise NotImplementedError("autograd: fit_line")
