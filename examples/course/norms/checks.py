"""Checks of the example course's own exercise, written with grader.kit's public API only.

Expected values come from torch in the check, in float64, on inputs the check draws with
uneven sizes and more than one dtype, so an answer tuned to one input does not pass.
"""

from __future__ import annotations

import pytest
import torch

from grader.kit import (
    FLOAT32,
    FLOAT64,
    Remote,
    assert_gradient,
    assert_param_layers,
    assert_tensor,
    exercise_fixture,
)

norms = exercise_fixture("norms")
SHAPES = [(5, 3), (1, 7), (4, 1)]
DTYPES = [torch.float32, torch.float64]


def tolerance(dtype: torch.dtype) -> object:
    return FLOAT64 if dtype == torch.float64 else FLOAT32


class TestNorms:
    @pytest.mark.points(1)
    @pytest.mark.parametrize("dtype", DTYPES, ids=["float32", "float64"])
    def test_row_norms(self, norms: Remote, dtype: torch.dtype) -> None:
        """row_norms is the Euclidean norm of each row, in X's dtype"""
        for shape in SHAPES:
            X = torch.randn(shape, dtype=dtype)
            expected = torch.linalg.vector_norm(X.double(), dim=1).to(dtype)
            what = f"row_norms(X of shape {tuple(shape)}, {dtype})"
            assert_tensor(norms.row_norms(X), expected, what, tol=tolerance(dtype))

    @pytest.mark.points(2)
    def test_normalise_rows(self, norms: Remote) -> None:
        """normalise_rows gives rows of norm 1, and leaves a zero row at 0"""
        X = torch.randn(6, 4, dtype=torch.float64)
        X[2] = 0
        norm = torch.linalg.vector_norm(X, dim=1, keepdim=True)
        expected = torch.where(norm > 0, X / norm.clamp_min(1e-30), torch.zeros_like(X))
        what = "normalise_rows(X of shape (6, 4) with row 2 all zeros)"
        assert_tensor(norms.normalise_rows(X), expected, what, tol=FLOAT64)


class TestGradients:
    @pytest.mark.points(2)
    def test_norm_gradient(self, norms: Remote) -> None:
        """norm_gradient is the gradient of ||x||^2, 2x, for any length"""
        for length in (3, 11):
            x = torch.randn(length, dtype=torch.float64)
            leaf = x.clone().requires_grad_(True)
            (expected,) = torch.autograd.grad(leaf.pow(2).sum(), leaf)
            assert_gradient(
                norms.norm_gradient(x), expected, f"norm_gradient(x of length {length})"
            )


class TestProjector:
    @pytest.mark.points(2)
    def test_parameters_per_layer(self, norms: Remote, device: torch.device) -> None:
        """Projector has 27 parameters in its first layer and 6 in its second"""
        model = norms.Projector()
        assert_param_layers(model, [("down", 27), ("out", 6)], (5, 8), "Projector", device)

    @pytest.mark.points(1)
    def test_forward(self, norms: Remote) -> None:
        """Projector computes out(down(x)) with its own weights, for any batch"""
        model = norms.Projector()
        weights = {name: torch.as_tensor(value) for name, value in model.state_dict().items()}
        x = torch.randn(7, 8)
        hidden = x @ weights["down.weight"].T + weights["down.bias"]
        expected = hidden @ weights["out.weight"].T
        assert_tensor(model(x), expected, "Projector()(x of shape (7, 8))", tol=FLOAT32)
