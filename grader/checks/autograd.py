"""Checks for part 2, automatic differentiation.

References come from torch's own autograd in float64 (torch.autograd.grad,
torch.autograd.gradcheck); student gradients are compared with GRADIENT tolerances
(rtol 1e-4, atol 1e-6), and known mistakes get a message of their own. Every function
is tried on several sizes, dtypes, learning rates, step counts and eps values
(grader.kit.generated), so an answer tuned to one input does not pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from torch import Tensor

from grader.kit import exercise_fixture
from grader.kit.assertions import (
    FLOAT32,
    FLOAT64,
    Tolerance,
    assert_number,
    assert_sequence,
    assert_tensor,
    plain,
    shares_memory,
)
from grader.kit.descent import assert_descent, assert_losses, assert_step, trajectory
from grader.kit.errors import StudentError
from grader.kit.functions import (
    assert_raw_shapes,
    assert_saved_properly,
    backward,
    forward,
    grad_out_like,
)
from grader.kit.generated import (
    FLOAT_DTYPES,
    describe_dtype,
    dtypes,
    explore,
    keys,
    shapes,
)
from grader.kit.gradients import (
    GRADIENT,
    accumulated,
    assert_gradient,
    assert_not_rescaled,
    batch_mean_forgotten,
    central_difference_halved,
    close,
    differences,
    not_accumulated,
    sign_flipped,
    transposed,
)
from grader.kit.inplace import changed_in_place
from grader.kit.remote import Remote, probe
from grader.kit.source import AUTOGRAD_CALLS, source_of
from grader.worker.functions import FUNCTIONS

autograd = exercise_fixture("autograd", changes_inputs=("descent_step",))

INTEGER_GRAD = "Only Tensors of floating point and complex dtype can require gradients"
LEAF_IN_PLACE = "a leaf Variable that requires grad is being used in an in-place operation"


def leaf(*shape: int, dtype: torch.dtype = torch.float64, key: int | None = None) -> Tensor:
    generator = None if key is None else torch.Generator().manual_seed(key)
    return torch.randn(*shape, dtype=dtype, generator=generator).requires_grad_()


def triple(got: Any, what: str) -> tuple[Any, Any, Any]:
    values = assert_sequence(got, 3, what, "a tuple (y, x.grad, w.grad)")
    return values[0], values[1], values[2]


def vectors() -> st.SearchStrategy[tuple[int, torch.dtype, int]]:
    """(length, dtype, key): vectors of one to nine elements, float32 or float64."""
    return st.tuples(st.integers(1, 9), dtypes(FLOAT_DTYPES), keys())


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
        """dot_and_gradients on vectors of any length and float dtype"""

        def check(case: tuple[int, torch.dtype, int]) -> None:
            size, dtype, key = case
            w, x = leaf(size, dtype=dtype, key=key), leaf(size, dtype=dtype, key=key + 1)
            what = f"dot_and_gradients(w, x of shape ({size},), {describe_dtype(dtype)})"
            y, x_grad, w_grad = triple(autograd.dot_and_gradients(w, x), what)
            tol = FLOAT32 if dtype == torch.float32 else FLOAT64
            assert_number(y, float(torch.dot(w.double(), x.double())), f"{what}: y", tol=tol)
            mistakes = (sign_flipped(), accumulated())
            assert_gradient(x_grad, w.detach(), f"{what}: x.grad", mistakes)
            assert_gradient(w_grad, x.detach(), f"{what}: w.grad", mistakes)

        explore(check, vectors(), explicit=[(6, torch.float64, 0), (3, torch.float32, 1)])

    @pytest.mark.points(1)
    def test_detach(self, autograd: Remote) -> None:
        """detached leaves the graph but shares storage, and leaves its input as it was"""

        def check(case: tuple[tuple[int, ...], int, bool]) -> None:
            shape, key, computed = case
            base = leaf(*shape, key=key)
            kind = "computed from a leaf (t = w * 2)" if computed else "a leaf that requires grad"
            what = f"detached(t of shape {shape}, {kind})"
            expected = (base * 2 if computed else base).detach()
            t = base.detach().clone().mul(2 if computed else 1).requires_grad_()
            got = autograd.detached(t)  # judged here, from the data that came back
            assert_tensor(got, expected, what)
            assert not got.requires_grad, f"{what}: the result still requires grad"
            assert shares_memory(got, t), (
                f"{what}: the result is a copy; t.detach() shares storage with t"
            )
            # What the worker observes on a tensor with a graph can only take the point away.
            run = probe(autograd, "detached_run", autograd.detached, base, computed)
            assert_tensor(run["value"], expected, what)
            assert not run["graph"], (
                f"{what}: the result still has a grad_fn or requires grad; use t.detach()"
            )
            assert run["shares"], f"{what}: the result is a copy; t.detach() shares storage with t"
            assert run["input_kept"], (
                f"{what}: t itself no longer requires grad (requires_grad_(False) changes the "
                "caller's tensor); return t.detach(), a new tensor on the same storage"
            )

        cases = st.tuples(shapes(1, 3), keys(), st.booleans())
        explicit = [((3, 2), 0, True), ((4,), 1, False)]
        explore(check, cases, explicit=explicit, examples=2)

    @pytest.mark.points(1)
    def test_accumulation(self, autograd: Remote) -> None:
        """backward_twice shows that gradients accumulate"""

        def check(case: tuple[int, torch.dtype, int]) -> None:
            size, dtype, key = case
            w, x = leaf(size, dtype=dtype, key=key), leaf(size, dtype=dtype, key=key + 1)
            what = f"backward_twice(w, x of shape ({size},)): w.grad"
            got = autograd.backward_twice(w, x)
            assert_gradient(got, 2 * x.detach(), what, (not_accumulated(),))

        explore(check, vectors(), explicit=[(5, torch.float64, 0)], examples=3)

    @pytest.mark.points(1)
    def test_zero_between(self, autograd: Remote) -> None:
        """zeroed_between clears the gradient between two backward calls"""

        def check(case: tuple[int, torch.dtype, int]) -> None:
            size, dtype, key = case
            w, x = leaf(size, dtype=dtype, key=key), leaf(size, dtype=dtype, key=key + 1)
            what = f"zeroed_between(w, x of shape ({size},)): w.grad"
            assert_gradient(autograd.zeroed_between(w, x), x.detach(), what, (accumulated(),))

        explore(check, vectors(), explicit=[(5, torch.float64, 0)], examples=3)


def step(autograd: Remote, theta: Tensor, lr: float) -> None:
    """The student's descent_step, with the classic in-place error explained."""
    try:
        autograd.descent_step(theta, lr)
    except StudentError as exc:
        if LEAF_IN_PLACE in exc.message:
            pytest.fail("descent_step: update theta inside `with torch.no_grad():`")
        raise


def prepared(shape: tuple[int, ...], key: int) -> tuple[Tensor, Tensor, Tensor]:
    """A leaf with a known gradient: (theta, its gradient, its value)."""
    theta = leaf(*shape, key=key)
    weights = torch.arange(1.0, theta.numel() + 1, dtype=torch.float64).reshape(shape)
    (grad,) = torch.autograd.grad((weights * theta**2).sum(), theta)
    theta.grad = grad.clone()
    return theta, grad, theta.detach().clone()


RATES = st.sampled_from([0.1, 0.05, 0.3, 1.5, 0.01])


class TestDescentStep:
    @pytest.mark.points(2)
    def test_update(self, autograd: Remote) -> None:
        """descent_step moves against the gradient by lr x grad, in place"""

        def check(case: tuple[tuple[int, ...], float, int]) -> None:
            shape, lr, key = case
            theta, grad, before = prepared(shape, key)
            step(autograd, theta, lr)
            what = f"descent_step(theta of shape {shape}, lr={lr})"
            assert_step(theta.detach(), before, grad, lr, what)

        cases = st.tuples(shapes(1, 3), RATES, keys())
        explore(check, cases, explicit=[((4,), 0.1, 0), ((2, 3), 0.05, 1)])

    @pytest.mark.points(1)
    def test_leaf_and_cleared(self, autograd: Remote) -> None:
        """after descent_step theta is still a leaf and its gradient is cleared"""

        def check(case: tuple[tuple[int, ...], float, int]) -> None:
            shape, lr, key = case
            theta, _, _ = prepared(shape, key)
            step(autograd, theta, lr)
            what = f"descent_step(theta of shape {shape}, lr={lr})"
            assert theta.is_leaf and theta.requires_grad, (
                f"{what}: theta is no longer a leaf that requires grad"
            )
            cleared = theta.grad is None or not bool(theta.grad.any())
            assert cleared, f"{what}: theta.grad was not cleared after the step"

        explore(check, st.tuples(shapes(1, 3), RATES, keys()), explicit=[((4,), 0.1, 0)])


NO_AUTOGRAD = "without autograd: the docstring asks you to compute it yourself"


def assert_without_autograd(autograd: Remote, name: str) -> None:
    """The submitted source of `name` (and its helpers) calls nothing of autograd."""
    found = source_of(autograd).calls(name, *AUTOGRAD_CALLS)
    assert not found, f"{name}: {NO_AUTOGRAD} (the source calls backward or autograd.grad)"


def numerical(autograd: Remote, name: str, x: Tensor, eps: float) -> Tensor:
    """The student's numerical_gradient of FUNCTIONS[name] at x, checked for autograd."""
    run = probe(autograd, "numerical_gradient", autograd.numerical_gradient, name, x, eps)
    assert not run["changed"], changed_in_place("numerical_gradient", "x")
    assert not run["backward"] and not run["tracked"], (
        f"numerical_gradient: {NO_AUTOGRAD} (no backward)"
    )
    return plain(run["value"], f"numerical_gradient({name})")


def assert_central(
    tensor: Tensor, f: Callable[[Tensor], Tensor], x: Tensor, eps: float, what: str
) -> None:
    """`tensor` is the central difference of f at x with this eps, or the mistake named."""
    expected = differences(f, x, eps, central=True)
    if close(tensor, expected, GRADIENT):
        return
    if close(tensor, differences(f, x, eps, central=False), GRADIENT):
        pytest.fail(
            f"{what}: these are forward differences (f(x + eps e_i) - f(x)) / eps; use "
            "central ones: (f(x + eps e_i) - f(x - eps e_i)) / (2 eps)"
        )
    tracked_x = x.clone().requires_grad_()
    (exact,) = torch.autograd.grad(f(tracked_x), tracked_x)
    if close(tensor, exact, Tolerance(1e-6, 1e-8)):
        pytest.fail(
            f"{what}: the result is the exact gradient, not the central difference with "
            f"eps={eps}: use the eps argument"
        )
    mistakes = (sign_flipped(), central_difference_halved())
    assert_gradient(tensor, expected, what, mistakes)


@st.composite
def batches(draw: st.DrawFn) -> tuple[int, int, int, int]:
    """(N, D, C, key): softmax regression sizes, rarely equal to each other."""
    return draw(st.integers(1, 7)), draw(st.integers(1, 6)), draw(st.integers(2, 5)), draw(keys())


class TestGradientsByHand:
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("name", list(FUNCTIONS))
    def test_numerical_gradient(self, autograd: Remote, name: str) -> None:
        """numerical_gradient computes central differences with the given eps, without autograd"""

        def check(case: tuple[tuple[int, ...], float, int]) -> None:
            shape, eps, key = case
            generator = torch.Generator().manual_seed(key)
            x = torch.randn(shape, dtype=torch.float64, generator=generator)
            tensor = numerical(autograd, name, x, eps)
            what = f"numerical_gradient({name}, x of shape {shape}, eps={eps})"
            assert_central(tensor, FUNCTIONS[name], x, eps, what)
            assert tensor.dtype == x.dtype, (
                f"{what}: expected dtype {x.dtype}, got {tensor.dtype}: build the result with "
                "torch.zeros_like(x) (torch.zeros(x.shape) is float32)"
            )

        eps = st.sampled_from([1e-2, 5e-3, 2e-2])  # large enough that forward differences show
        cases = st.tuples(shapes(1, 3, max_side=4), eps, keys())
        explore(check, cases, explicit=[((2, 3), 1e-2, 0), ((5,), 2e-2, 1)], examples=2)
        assert_without_autograd(autograd, "numerical_gradient")

    def softmax_answers(
        self, autograd: Remote, case: tuple[int, int, int, int]
    ) -> tuple[Any, Any, Tensor, Tensor, str]:
        """The student's (dW, db), torch's, and how a message names the batch."""
        n, d, c, key = case
        generator = torch.Generator().manual_seed(key)
        X = torch.randn(n, d, dtype=torch.float64, generator=generator)
        y = torch.randint(0, c, (n,), generator=generator)
        W, b = leaf(c, d, key=key + 1), leaf(c, key=key + 2)
        dW, db = torch.autograd.grad(F.cross_entropy(X @ W.T + b, y), (W, b))
        what = f"softmax_regression_gradients(N={n}, D={d}, C={c})"
        function = autograd.softmax_regression_gradients
        run = probe(autograd, "without_backward", function, X, y, W.detach(), b.detach())
        assert not run["backward"], f"{what}: {NO_AUTOGRAD} by hand (no backward)"
        got = assert_sequence(run["value"], 2, what, "(dW, db)")
        return got[0], got[1], dW, db, what

    @pytest.mark.points(2)
    def test_softmax_regression_dw(self, autograd: Remote) -> None:
        """hand-derived dL/dW of softmax regression"""

        def check(case: tuple[int, int, int, int]) -> None:
            got, _, dW, _, what = self.softmax_answers(autograd, case)
            mistakes = (sign_flipped(), batch_mean_forgotten(case[0]), transposed())
            assert_not_rescaled(got, dW, case[0], f"{what}: dL/dW")
            assert_gradient(got, dW, f"{what}: dL/dW", mistakes)

        explore(check, batches(), explicit=[(5, 4, 3, 0), (6, 2, 4, 1)], examples=4)
        assert_without_autograd(autograd, "softmax_regression_gradients")

    @pytest.mark.points(1)
    def test_softmax_regression_db(self, autograd: Remote) -> None:
        """hand-derived dL/db of softmax regression"""

        def check(case: tuple[int, int, int, int]) -> None:
            _, got, _, db, what = self.softmax_answers(autograd, case)
            mistakes = (sign_flipped(), batch_mean_forgotten(case[0]))
            assert_not_rescaled(got, db, case[0], f"{what}: dL/db")
            assert_gradient(got, db, f"{what}: dL/db", mistakes)

        explore(check, batches(), explicit=[(5, 4, 3, 0), (6, 2, 4, 1)], examples=4)
        assert_without_autograd(autograd, "softmax_regression_gradients")


def linear_inputs(case: tuple[int, int, int, int]) -> tuple[Tensor, Tensor, Tensor]:
    """x (N, D), W (C, D), b (C,) for F.linear, from (N, D, C, key)."""
    n, d, c, key = case
    return leaf(n, d, key=key), leaf(c, d, key=key + 1), leaf(c, key=key + 2)


def linear_name(case: tuple[int, int, int, int]) -> str:
    n, d, c, _ = case
    return f"LinearFunction (x of shape ({n}, {d}), W ({c}, {d}), b ({c},))"


class TestCustomFunction:
    @pytest.mark.points(1)
    def test_linear_forward(self, autograd: Remote) -> None:
        """LinearFunction.forward equals F.linear, at any batch and layer size"""

        def check(case: tuple[int, int, int, int]) -> None:
            x, W, b = linear_inputs(case)
            out = forward(autograd, "LinearFunction", x, W, b)["out"]
            what = f"{linear_name(case)}.forward"
            assert_tensor(out, F.linear(x, W, b), what, tol=FLOAT64)

        explore(check, batches(), explicit=[(4, 3, 2, 0), (1, 5, 3, 1)], examples=3)

    @pytest.mark.points(1)
    def test_linear_saves_for_backward(self, autograd: Remote) -> None:
        """LinearFunction saves its tensors with save_for_backward"""
        inputs = linear_inputs((4, 3, 2, 0))
        run = forward(autograd, "LinearFunction", *inputs)
        assert_tensor(run["out"], F.linear(*inputs), "LinearFunction.forward", tol=FLOAT64)
        assert_saved_properly(run, "LinearFunction", source_of(autograd))

    def linear_gradients(
        self, autograd: Remote, case: tuple[int, int, int, int], raw_shapes: bool = True
    ) -> tuple[Tensor, ...]:
        """The inputs, after the student's gradients were checked against F.linear's (and
        what backward itself returns checked for each input's shape, when `raw_shapes`)."""
        inputs, what = linear_inputs(case), f"{linear_name(case)}.backward"
        out = forward(autograd, "LinearFunction", *inputs)["out"]
        grad_out = grad_out_like(out)
        run = backward(autograd, "LinearFunction", inputs, grad_out)
        if raw_shapes:
            assert_raw_shapes(run["raw"], inputs, "LinearFunction")
        expected = torch.autograd.grad(F.linear(*inputs), inputs, grad_out)
        for name, g, e in zip(("dL/dx", "dL/dW", "dL/db"), run["grads"], expected, strict=True):
            mistakes = (sign_flipped(), transposed())
            assert_gradient(g, e, f"{what}: {name}", mistakes)
        return inputs

    @pytest.mark.points(2)
    def test_linear_backward(self, autograd: Remote) -> None:
        """LinearFunction.backward gives the right gradient for each input"""

        def check(case: tuple[int, int, int, int]) -> None:
            self.linear_gradients(autograd, case)

        explore(check, batches(), explicit=[(4, 3, 2, 0), (1, 5, 3, 1), (6, 2, 4, 2)], examples=3)

    @pytest.mark.points(1)
    def test_linear_gradcheck(self, autograd: Remote) -> None:
        """torch.autograd.gradcheck accepts LinearFunction"""
        inputs = self.linear_gradients(autograd, (4, 3, 2, 0), raw_shapes=False)
        assert probe(autograd, "gradcheck", autograd.LinearFunction, inputs, False), (
            "LinearFunction: torch.autograd.gradcheck found that backward disagrees with "
            "finite differences"
        )

    @pytest.mark.points(1)
    def test_sigmoid_forward(self, autograd: Remote) -> None:
        """SigmoidFunction.forward equals torch.sigmoid, at any shape"""

        def check(case: tuple[tuple[int, ...], int]) -> None:
            x = leaf(*case[0], key=case[1])
            run = forward(autograd, "SigmoidFunction", x)
            what = f"SigmoidFunction.forward(x of shape {case[0]})"
            assert_tensor(run["out"], torch.sigmoid(x), what, tol=FLOAT64)
            assert_saved_properly(run, "SigmoidFunction", source_of(autograd))

        explore(check, st.tuples(shapes(1, 4), keys()), explicit=[((3, 4), 0)], examples=3)

    @pytest.mark.points(2)
    def test_sigmoid_backward(self, autograd: Remote) -> None:
        """SigmoidFunction.backward passes gradcheck"""

        def check(case: tuple[tuple[int, ...], int]) -> None:
            x = leaf(*case[0], key=case[1])
            out = forward(autograd, "SigmoidFunction", x)["out"]
            grad_out = grad_out_like(out)
            (got,) = backward(autograd, "SigmoidFunction", (x,), grad_out)["grads"]
            (expected,) = torch.autograd.grad(torch.sigmoid(x), x, grad_out)
            what = f"SigmoidFunction.backward(x of shape {case[0]}): dL/dx"
            assert_gradient(got, expected, what, (sign_flipped(),))

        explore(check, st.tuples(shapes(1, 4), keys()), explicit=[((3, 4), 0)], examples=3)
        big = leaf(64, 64)
        assert probe(autograd, "gradcheck", autograd.SigmoidFunction, (big,), True), (
            "SigmoidFunction: torch.autograd.gradcheck found that backward disagrees with "
            "finite differences"
        )

    @pytest.mark.points(2)
    def test_gradcheck_linear(self, autograd: Remote) -> None:
        """gradcheck_linear runs gradcheck on float64 inputs that all require grad"""
        run = probe(autograd, "gradcheck_linear", autograd, False)
        calls = run["seen"]
        wrong = [dtype for inputs in calls for dtype, _ in inputs if dtype != "torch.float64"]
        assert not wrong, (
            f"gradcheck_linear: gradcheck got inputs of dtype {wrong[0]}; finite differences "
            "need float64 (dtype=torch.float64), float32 is too coarse"
        )
        assert calls, "gradcheck_linear: torch.autograd.gradcheck was never called"
        assert_all_checked(calls)
        source = source_of(autograd)
        assert source.calls("gradcheck_linear", "gradcheck"), (
            "gradcheck_linear: the source never calls torch.autograd.gradcheck"
        )
        assert source.mentions("gradcheck_linear", "float64", "double"), (
            "gradcheck_linear: the source never asks for float64 inputs (dtype=torch.float64)"
        )
        verdict = run["verdict"]
        assert verdict is True, f"gradcheck_linear: expected True, got {verdict!r}"
        wrong = probe(autograd, "gradcheck_linear", autograd, True)["verdict"]
        assert wrong is False, (
            "gradcheck_linear: with a LinearFunction whose dL/dW and dL/db are wrong it still "
            f"returned {wrong!r}: run gradcheck on LinearFunction.apply itself, with x, W and b "
            "all requiring grad, and return its verdict"
        )


def assert_all_checked(calls: list[list[tuple[str, bool]]]) -> None:
    """Some gradcheck call had x, W and b all requiring grad (else dW or db went untested)."""
    names = ("x", "W", "b")
    best = max(calls, key=lambda inputs: sum(grad for _, grad in inputs))
    untested = [name for name, (_, grad) in zip(names, best, strict=False) if not grad]
    untested += list(names[len(best) :])
    assert not untested, (
        f"gradcheck_linear: {', '.join(untested)} did not require grad, so gradcheck never "
        f"tested {' and '.join('d' + name for name in untested)}: give every input "
        "requires_grad=True"
    )


class TestFit:
    @pytest.mark.points(2)
    def test_fit_line(self, autograd: Remote) -> None:
        """fit_line follows gradient descent from zeros with this lr and number of steps,
        recording the loss before each step"""

        def check(case: tuple[int, float, int, int]) -> None:
            steps, lr, size, key = case
            generator = torch.Generator().manual_seed(key)
            x = torch.linspace(-1, 1, size, dtype=torch.float64)
            y = 3 * x - 2 + 0.1 * torch.randn(size, dtype=torch.float64, generator=generator)
            what = f"fit_line(x, y of {size} points, steps={steps}, lr={lr})"
            got = assert_sequence(autograd.fit_line(x, y, steps, lr), 2, what, "(theta, losses)")
            losses = assert_losses(got[1], steps, what)
            assert_descent(losses, x, y, lr, what)
            _, theta = trajectory(x, y, lr, steps)
            assert_tensor(plain(got[0], f"{what}: theta"), theta, f"{what}: theta", tol=GRADIENT)

        cases = st.tuples(
            st.integers(1, 40), st.sampled_from([0.5, 0.1, 0.3, 0.05]), st.integers(5, 60), keys()
        )
        explore(check, cases, explicit=[(300, 0.5, 50, 0), (7, 0.1, 23, 1)], examples=3)
