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
    Tolerance,
    assert_gradient,
    assert_param_layers,
    assert_tensor,
    exercise_fixture,
)

norms = exercise_fixture("norms")
SHAPES = [(5, 3), (1, 7), (4, 1)]
DTYPES = [torch.float32, torch.float64]


def tolerance(dtype: torch.dtype) -> Tolerance:
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
        for shape, dtype, zero in (((6, 4), torch.float64, 2), ((1, 5), torch.float32, None)):
            X = 3 * torch.randn(shape, dtype=dtype)
            if zero is not None:
                X[zero] = 0
            norm = torch.linalg.vector_norm(X.double(), dim=1, keepdim=True)
            scaled = X.double() / norm.clamp_min(1e-30)
            expected = torch.where(norm > 0, scaled, torch.zeros_like(scaled)).to(dtype)
            what = f"normalise_rows(X of shape {shape}, {dtype}, zero row {zero})"
            assert_tensor(norms.normalise_rows(X), expected, what, tol=tolerance(dtype))


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


def checker_weights(generator: torch.Generator) -> dict[str, torch.Tensor]:
    """Weights the checker draws: a model matches its outputs only by computing them."""
    shapes = {"down.weight": (3, 8), "down.bias": (3,), "out.weight": (2, 3)}
    return {name: torch.randn(shape, generator=generator) for name, shape in shapes.items()}


def assert_computes_projection(model: Remote, what: str) -> None:
    """The model, given the checker's weights, gives out(down(x)) on the checker's inputs,
    for two sets of weights and two batch sizes (what the worker says of itself, its layer
    table or its state_dict, is only a claim)."""
    generator = torch.Generator().manual_seed(7)
    for batch in (7, 1):
        weights = checker_weights(generator)
        model.load_state_dict(weights)
        x = torch.randn(batch, 8, generator=generator)
        hidden = x @ weights["down.weight"].T + weights["down.bias"]
        expected = hidden @ weights["out.weight"].T
        assert_tensor(model(x), expected, f"{what}(x of shape ({batch}, 8))", tol=FLOAT32)


class TestProjector:
    @pytest.mark.points(2)
    def test_parameters_per_layer(self, norms: Remote, device: torch.device) -> None:
        """Projector has 27 parameters in its first layer and 6 in its second"""
        model = norms.Projector()
        assert_param_layers(model, [("down", 27), ("out", 6)], (5, 8), "Projector", device)
        assert_computes_projection(model, "Projector with the grader's weights")

    @pytest.mark.points(1)
    def test_forward(self, norms: Remote) -> None:
        """Projector computes out(down(x)) with any weights, for any batch"""
        assert_computes_projection(norms.Projector(), "Projector with the grader's weights")
