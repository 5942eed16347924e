"""Checks for part 2, automatic differentiation.

References come from torch's own autograd in float64 (torch.autograd.grad,
torch.autograd.gradcheck); student gradients are compared with GRADIENT tolerances
(rtol 1e-4, atol 1e-6), and known mistakes get a message of their own.
"""

from __future__ import annotations

import numbers
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from torch import Tensor

from grader.checks.helpers.assertions import (
    FLOAT64,
    Tolerance,
    assert_number,
    assert_tensor,
    plain,
    type_name,
)
from grader.checks.helpers.descent import fit_advice
from grader.checks.helpers.functions import (
    assert_raw_shapes,
    assert_saved_properly,
    backward,
    forward,
    grad_out_like,
)
from grader.checks.helpers.gradients import (
    GRADIENT,
    accumulated,
    assert_gradient,
    batch_mean_forgotten,
    central_difference_halved,
    close,
    differences,
    not_accumulated,
    sign_flipped,
    transposed,
)
from grader.checks.helpers.source import AUTOGRAD_CALLS, source_of
from grader.engine.fixtures import exercise_fixture
from grader.engine.guarded import changed_in_place
from grader.engine.remote import Remote, StudentError, probe
from grader.worker.functions import FUNCTIONS

autograd = exercise_fixture("autograd", changes_inputs=("descent_step",))

INTEGER_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation"


def leaf(*shape: int) -> Tensor:
    return torch.randn(*shape, dtype=torch.float64, requires_grad=True)


def triple(got: Any, what: str) -> tuple[Any, Any, Any]:
    assert isinstance(got, tuple | list) and len(got) == 3, (
        f"{what}: expected a tuple (y, x.grad, w.grad), got {type_name(got)}"
    )
    return got[0], got[1], got[2]


class TestUsingAutograd:
    @pytest.mark.points(2)
    def test_course_example(self, autograd: Remote) -> None:
        """the course's example: y = dot(w, x) and both gradients"""
        try:
            y, x_grad, w_grad = triple(autograd.course_example(), "course_example")
        except StudentError as exc:
            if INTEGER_GRAD in exc.message:
                pytest.fail(
                    "course_example: torch.tensor([5, 3]) is an integer tensor, which cannot "
                    "require gradients; give dtype=torch.float64"
                )
            raise
        assert_number(y, 38.0, "course_example: y", tol=FLOAT64)
        expected_x = torch.tensor([5.0, 3.0], dtype=torch.float64)
        assert_tensor(x_grad, expected_x, "course_example: x.grad")
        assert_tensor(
            w_grad, torch.tensor([7.0, 1.0], dtype=torch.float64), "course_example: w.grad"
        )

    @pytest.mark.points(1)
    def test_random_vectors(self, autograd: Remote) -> None:
        """dot_and_gradients on random vectors"""
        w, x = leaf(6), leaf(6)
        y, x_grad, w_grad = triple(autograd.dot_and_gradients(w, x), "dot_and_gradients")
        assert_number(y, float(torch.dot(w, x)), "dot_and_gradients: y", tol=FLOAT64)
        mistakes = (sign_flipped(), accumulated())
        assert_gradient(x_grad, w.detach(), "dot_and_gradients: x.grad", mistakes)
        assert_gradient(w_grad, x.detach(), "dot_and_gradients: w.grad", mistakes)

    @pytest.mark.points(1)
    def test_detach(self, autograd: Remote) -> None:
        """detached leaves the graph but shares storage"""
        t = leaf(3, 2) * 2
        got = autograd.detached(t)
        assert type(got) is Tensor, f"detached: expected a torch.Tensor, got {type_name(got)}"
        assert got.grad_fn is None, "detached: the result still has a grad_fn; use t.detach()"
        assert not got.requires_grad, "detached: the result still requires grad"
        assert_tensor(got, t.detach(), "detached")
        assert got.untyped_storage().data_ptr() == t.untyped_storage().data_ptr(), (
            "detached: the result is a copy; t.detach() shares storage with t"
        )

    @pytest.mark.points(1)
    def test_accumulation(self, autograd: Remote) -> None:
        """backward_twice shows that gradients accumulate"""
        w, x = leaf(5), leaf(5)
        got = autograd.backward_twice(w, x)
        assert_gradient(got, 2 * x.detach(), "backward_twice: w.grad", (not_accumulated(),))

    @pytest.mark.points(1)
    def test_zero_between(self, autograd: Remote) -> None:
        """zeroed_between clears the gradient between two backward calls"""
        w, x = leaf(5), leaf(5)
        got = autograd.zeroed_between(w, x)
        assert_gradient(got, x.detach(), "zeroed_between: w.grad", (accumulated(),))


def step(autograd: Remote, theta: Tensor) -> None:
    """The student's descent_step, with the classic in-place error explained."""
    try:
        autograd.descent_step(theta, 0.1)
    except StudentError as exc:
        if LEAF_IN_PLACE in exc.message:
            pytest.fail("descent_step: update theta inside `with torch.no_grad():`")
        raise


class TestDescentStep:
    def prepared(self) -> tuple[Tensor, Tensor, Tensor]:
        """A leaf with a known gradient: (theta, its gradient, its value)."""
        theta = leaf(4)
        weights = torch.arange(1.0, 5.0, dtype=torch.float64)
        (grad,) = torch.autograd.grad((weights * theta**2).sum(), theta)
        theta.grad = grad.clone()
        return theta, grad, theta.detach().clone()

    @pytest.mark.points(2)
    def test_update(self, autograd: Remote) -> None:
        """descent_step moves against the gradient, in place"""
        theta, grad, before = self.prepared()
        step(autograd, theta)
        now = theta.detach()
        assert not torch.equal(now, before), (
            "descent_step: theta did not change; update it in place (theta -= ...), "
            "a new tensor assigned to the name theta is lost when the function returns"
        )
        if torch.allclose(now, before + 0.1 * grad):
            pytest.fail(
                "descent_step: theta moved up the gradient; the slide's plus sign is a slip: "
                "descend with theta - lr * grad"
            )
        assert_tensor(now, before - 0.1 * grad, "descent_step: theta", tol=FLOAT64)

    @pytest.mark.points(1)
    def test_leaf_and_cleared(self, autograd: Remote) -> None:
        """after descent_step theta is still a leaf and its gradient is cleared"""
        theta, _, _ = self.prepared()
        step(autograd, theta)
        assert theta.is_leaf and theta.requires_grad, (
            "descent_step: theta is no longer a leaf that requires grad"
        )
        cleared = theta.grad is None or not bool(theta.grad.any())
        assert cleared, "descent_step: theta.grad was not cleared after the step"


NO_AUTOGRAD = "without autograd: the docstring asks you to compute it yourself"


def assert_without_autograd(autograd: Remote, name: str) -> None:
    """The submitted source of `name` (and its helpers) calls nothing of autograd."""
    found = source_of(autograd).calls(name, *AUTOGRAD_CALLS)
    assert not found, f"{name}: {NO_AUTOGRAD} (the source calls backward or autograd.grad)"


class TestGradientsByHand:
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("name", list(FUNCTIONS))
    def test_numerical_gradient(self, autograd: Remote, name: str) -> None:
        """numerical_gradient computes central differences, without autograd"""
        f, eps = FUNCTIONS[name], 1e-2  # large enough that forward differences show
        x = torch.randn(2, 3, dtype=torch.float64)
        run = probe(autograd, "numerical_gradient", autograd.numerical_gradient, name, x, eps)
        assert not run["changed"], changed_in_place("numerical_gradient", "x")
        assert not run["backward"] and not run["tracked"], (
            f"numerical_gradient: {NO_AUTOGRAD} (no backward)"
        )
        assert_without_autograd(autograd, "numerical_gradient")
        tensor = plain(run["value"], f"numerical_gradient({name})")
        if close(tensor, differences(f, x, eps, central=False), GRADIENT):
            pytest.fail(
                f"numerical_gradient({name}): these are forward differences (f(x + eps e_i) - "
                "f(x)) / eps; use central ones: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)"
            )
        expected = differences(f, x, eps, central=True)
        tracked_x = x.clone().requires_grad_()
        (exact,) = torch.autograd.grad(f(tracked_x), tracked_x)
        if not close(tensor, expected, GRADIENT) and close(tensor, exact, Tolerance(1e-6, 1e-8)):
            pytest.fail(
                f"numerical_gradient({name}): called with eps={eps}, the result is the exact "
                "gradient, not the central difference with that eps: use the eps argument"
            )
        mistakes = (sign_flipped(), central_difference_halved())
        assert_gradient(tensor, expected, f"numerical_gradient({name}, eps={eps})", mistakes)

    def softmax_answers(self, autograd: Remote) -> tuple[Any, Any, Tensor, Tensor]:
        """The student's (dW, db) and torch's, for a float64 batch of N=5, D=4, C=3."""
        X = torch.randn(5, 4, dtype=torch.float64)
        y = torch.tensor([0, 2, 1, 2, 0])
        W, b = leaf(3, 4), leaf(3)
        dW, db = torch.autograd.grad(F.cross_entropy(X @ W.T + b, y), (W, b))
        function = autograd.softmax_regression_gradients
        run = probe(autograd, "without_backward", function, X, y, W.detach(), b.detach())
        got = run["value"]
        assert not run["backward"], (
            f"softmax_regression_gradients: {NO_AUTOGRAD} by hand (no backward)"
        )
        assert_without_autograd(autograd, "softmax_regression_gradients")
        assert isinstance(got, tuple | list) and len(got) == 2, (
            f"softmax_regression_gradients: expected (dW, db), got {type_name(got)}"
        )
        return got[0], got[1], dW, db

    @pytest.mark.points(2)
    def test_softmax_regression_dw(self, autograd: Remote) -> None:
        """hand-derived dL/dW of softmax regression"""
        got, _, dW, _ = self.softmax_answers(autograd)
        mistakes = (sign_flipped(), batch_mean_forgotten(5), transposed())
        assert_gradient(got, dW, "softmax_regression_gradients: dL/dW", mistakes)

    @pytest.mark.points(1)
    def test_softmax_regression_db(self, autograd: Remote) -> None:
        """hand-derived dL/db of softmax regression"""
        _, got, _, db = self.softmax_answers(autograd)
        mistakes = (sign_flipped(), batch_mean_forgotten(5))
        assert_gradient(got, db, "softmax_regression_gradients: dL/db", mistakes)


class TestCustomFunction:
    def linear_inputs(self) -> tuple[Tensor, Tensor, Tensor]:
        return leaf(4, 3), leaf(2, 3), leaf(2)

    @pytest.mark.points(1)
    def test_linear_forward(self, autograd: Remote) -> None:
        """LinearFunction.forward equals F.linear"""
        x, W, b = self.linear_inputs()
        out = forward(autograd, "LinearFunction", x, W, b)["out"]
        assert_tensor(out, F.linear(x, W, b), "LinearFunction.forward", tol=FLOAT64)

    @pytest.mark.points(1)
    def test_linear_saves_for_backward(self, autograd: Remote) -> None:
        """LinearFunction saves its tensors with save_for_backward"""
        inputs = self.linear_inputs()
        run = forward(autograd, "LinearFunction", *inputs)
        assert_tensor(run["out"], F.linear(*inputs), "LinearFunction.forward", tol=FLOAT64)
        assert_saved_properly(run, "LinearFunction", source_of(autograd))

    def linear_gradients(
        self, autograd: Remote, raw_shapes: bool = True
    ) -> tuple[tuple[Tensor, ...], Any]:
        """The inputs, and the student's gradients checked against F.linear's (and what
        backward itself returns checked for each input's shape, when `raw_shapes`)."""
        inputs = self.linear_inputs()
        out = forward(autograd, "LinearFunction", *inputs)["out"]
        grad_out = grad_out_like(out)
        run = backward(autograd, "LinearFunction", inputs, grad_out)
        if raw_shapes:
            assert_raw_shapes(run["raw"], inputs, "LinearFunction")
        expected = torch.autograd.grad(F.linear(*inputs), inputs, grad_out)
        for name, g, e in zip(("dL/dx", "dL/dW", "dL/db"), run["grads"], expected, strict=True):
            mistakes = (sign_flipped(), transposed())
            assert_gradient(g, e, f"LinearFunction.backward: {name}", mistakes)
        return inputs, run

    @pytest.mark.points(2)
    def test_linear_backward(self, autograd: Remote) -> None:
        """LinearFunction.backward gives the right gradient for each input"""
        self.linear_gradients(autograd)

    @pytest.mark.points(1)
    def test_linear_gradcheck(self, autograd: Remote) -> None:
        """torch.autograd.gradcheck accepts LinearFunction"""
        inputs, _ = self.linear_gradients(autograd, raw_shapes=False)
        assert probe(autograd, "gradcheck", autograd.LinearFunction, inputs, False), (
            "LinearFunction: torch.autograd.gradcheck found that backward disagrees with "
            "finite differences"
        )

    @pytest.mark.points(1)
    def test_sigmoid_forward(self, autograd: Remote) -> None:
        """SigmoidFunction.forward equals torch.sigmoid"""
        x = leaf(3, 4)
        run = forward(autograd, "SigmoidFunction", x)
        assert_tensor(run["out"], torch.sigmoid(x), "SigmoidFunction.forward", tol=FLOAT64)
        assert_saved_properly(run, "SigmoidFunction", source_of(autograd))

    @pytest.mark.points(2)
    def test_sigmoid_backward(self, autograd: Remote) -> None:
        """SigmoidFunction.backward passes gradcheck"""
        x = leaf(3, 4)
        out = forward(autograd, "SigmoidFunction", x)["out"]
        grad_out = grad_out_like(out)
        (got,) = backward(autograd, "SigmoidFunction", (x,), grad_out)["grads"]
        (expected,) = torch.autograd.grad(torch.sigmoid(x), x, grad_out)
        assert_gradient(got, expected, "SigmoidFunction.backward: dL/dx", (sign_flipped(),))
        big = leaf(64, 64)
        assert probe(autograd, "gradcheck", autograd.SigmoidFunction, (big,), True), (
            "SigmoidFunction: torch.autograd.gradcheck found that backward disagrees with "
            "finite differences"
        )

    @pytest.mark.points(2)
    def test_gradcheck_linear(self, autograd: Remote) -> None:
        """gradcheck_linear runs gradcheck on float64 inputs"""
        run = probe(autograd, "gradcheck_linear", autograd)
        wrong = [d for dtypes in run["seen"] for d in dtypes if d != "torch.float64"]
        assert not wrong, (
            f"gradcheck_linear: gradcheck got inputs of dtype {wrong[0]}; finite differences "
            "need float64 (dtype=torch.float64), float32 is too coarse"
        )
        assert run["seen"], "gradcheck_linear: torch.autograd.gradcheck was never called"
        source = source_of(autograd)
        assert source.calls("gradcheck_linear", "gradcheck"), (
            "gradcheck_linear: the source never calls torch.autograd.gradcheck"
        )
        assert source.mentions("gradcheck_linear", "float64", "double"), (
            "gradcheck_linear: the source never asks for float64 inputs (dtype=torch.float64)"
        )
        verdict = run["verdict"]
        assert verdict is True, f"gradcheck_linear: expected True, got {verdict!r}"


class TestFit:
    @pytest.mark.points(2)
    def test_fit_line(self, autograd: Remote) -> None:
        """fit_line reaches the least-squares line with descent_step"""
        x = torch.linspace(-1, 1, 50, dtype=torch.float64)
        y = 3 * x - 2 + 0.1 * torch.randn(50, dtype=torch.float64)
        design = torch.stack([x, torch.ones_like(x)], dim=1)
        optimum = torch.linalg.lstsq(design, y.unsqueeze(1)).solution.squeeze(1)
        got = autograd.fit_line(x, y, 300, 0.5)
        assert isinstance(got, tuple | list) and len(got) == 2, (
            f"fit_line: expected (theta, losses), got {type_name(got)}"
        )
        theta, losses = got
        assert isinstance(losses, list | tuple) and len(losses) == 300, (
            "fit_line: expected a list of 300 losses, one per step"
        )
        kinds = {
            type_name(v) for v in losses if not isinstance(v, numbers.Real) or isinstance(v, bool)
        }
        assert not kinds, (
            f"fit_line: the losses must be Python floats, got {', '.join(sorted(kinds))}: "
            "append loss.item() (a kept loss tensor also keeps its graph)"
        )
        assert losses[-1] < losses[0], f"fit_line: {fit_advice(losses, x, y, 0.5)}"
        assert_tensor(
            plain(theta, "fit_line: theta"), optimum, "fit_line: theta (the optimum)", tol=GRADIENT
        )
