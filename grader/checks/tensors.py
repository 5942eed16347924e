"""Checks for part 1, tensors. Expected values come from torch itself.

Inputs are random (seeded by the grader before every check) so that a hard-coded
answer cannot pass; float results are compared in float64 within FLOAT32 tolerances.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from grader.checks.helpers.assertions import (
    EXACT,
    FLOAT32,
    FLOAT64,
    assert_number,
    assert_shares_memory,
    assert_tensor,
    assert_unchanged,
    plain,
    plain_value,
    type_name,
)
from grader.engine.fixtures import exercise_fixture
from grader.engine.remote import Remote, probe

tensors = exercise_fixture("tensors")

EXAMPLE_SHAPES = {
    "signals": (16, 2, 8000),
    "activations": (64, 300),
    "images": (32, 3, 28, 28),
    "video": (4, 3, 10, 64, 64),
}


def matrix(rows: int = 5, cols: int = 4) -> torch.Tensor:
    """A non-square matrix of distinct values in random places: a wrong index, a swapped
    row and column or a wrong slice always picks a different value, at every seed."""
    return torch.randperm(rows * cols).reshape(rows, cols).float()


def with_threes(rows: int = 5, cols: int = 4, count: int = 4) -> torch.Tensor:
    """Small integers with exactly `count` 3s in random places (none elsewhere)."""
    values = torch.randint(0, 6, (rows * cols,)).float()
    values[values == 3] = 5
    values[torch.randperm(rows * cols)[:count]] = 3
    return values.reshape(rows, cols)


class TestCreating:
    @pytest.mark.points(1)
    def test_full(self, tensors: Remote) -> None:
        """make_full fills a new float32 tensor with one value, integers included"""
        for shape, value in (((2, 3), 7.5), ((4,), 3), ((1, 2, 3), -2)):
            got = tensors.make_full(shape, value)
            expected = torch.full(shape, float(value), dtype=torch.float32)
            assert_tensor(got, expected, f"make_full({shape}, {value})")

    @pytest.mark.points(1)
    def test_full_like(self, tensors: Remote) -> None:
        """make_full_like keeps the shape and dtype of its input"""
        t = torch.arange(6, dtype=torch.int32).reshape(3, 2)
        got = tensors.make_full_like(t, 4)
        assert_tensor(got, torch.full_like(t, 4), "make_full_like(int32 (3, 2), 4)")

    @pytest.mark.points(1)
    def test_int16(self, tensors: Remote) -> None:
        """int16_from_values builds a tensor with dtype int16"""
        values = torch.randint(-100, 100, (3, 4)).tolist()
        got = tensors.int16_from_values(values)
        assert_tensor(got, torch.tensor(values, dtype=torch.int16), "int16_from_values")

    @pytest.mark.points(1)
    def test_from_numpy_shares_memory(self, tensors: Remote) -> None:
        """share_numpy returns a tensor that shares memory with the array"""
        array = np.random.rand(3, 4)
        got = tensors.share_numpy(array)
        assert_tensor(got, torch.from_numpy(array.copy()), "share_numpy")
        assert_shares_memory(got, array, "share_numpy", "use torch.from_numpy, not torch.tensor")
        array[0, 0] = 42.0
        assert float(got[0, 0]) == 42.0, "share_numpy: changing the array did not change the tensor"

    @pytest.mark.points(1)
    def test_zeros_and_ones(self, tensors: Remote) -> None:
        """zeros_and_ones returns (zeros, ones) of a shape"""
        got = tensors.zeros_and_ones((2, 5))
        assert isinstance(got, tuple) and len(got) == 2, (
            f"zeros_and_ones: expected a tuple (zeros, ones), got {type_name(got)}"
        )
        assert_tensor(got[0], torch.zeros(2, 5), "zeros_and_ones: zeros")
        assert_tensor(got[1], torch.ones(2, 5), "zeros_and_ones: ones")

    @pytest.mark.points(1)
    def test_zeros_and_ones_like(self, tensors: Remote) -> None:
        """zeros_and_ones_like keeps the shape and dtype of its input"""
        t = torch.randn(4, 3, dtype=torch.float64)
        got = tensors.zeros_and_ones_like(t)
        assert isinstance(got, tuple) and len(got) == 2, (
            f"zeros_and_ones_like: expected a tuple (zeros, ones), got {type_name(got)}"
        )
        assert_tensor(got[0], torch.zeros_like(t), "zeros_and_ones_like: zeros")
        assert_tensor(got[1], torch.ones_like(t), "zeros_and_ones_like: ones")

    @pytest.mark.points(1)
    def test_seeded_randn(self, tensors: Remote) -> None:
        """seeded_randn is reproducible and follows the seed"""
        generator = torch.Generator().manual_seed(1234)
        expected = torch.randn((3, 4), generator=generator)
        torch.manual_seed(999)
        got = tensors.seeded_randn(1234, (3, 4))
        assert_tensor(got, expected, "seeded_randn(1234, (3, 4))", tol=FLOAT32)


class TestIO:
    @pytest.mark.points(1)
    def test_save_and_load(self, tensors: Remote) -> None:
        """save_and_load writes the file and reads the same tensor back"""
        t = torch.randn(3, 5)
        path = Path("tensor.pt")
        got = tensors.save_and_load(t, path)
        saved = probe(tensors, "saved_tensor", path.name)
        assert saved is not None, f"save_and_load: nothing was saved to {path.name} (torch.save)"
        assert_tensor(saved, t, "save_and_load: the saved file")
        assert_tensor(got, t, "save_and_load: the loaded tensor")


class TestSlicing:
    @pytest.mark.points(1)
    def test_element(self, tensors: Remote) -> None:
        """element(A, i, j) is A[i, j]"""
        A = matrix()
        assert_number(tensors.element(A, 2, 1), float(A[2, 1]), "element(A, 2, 1)", tol=EXACT)

    @pytest.mark.points(1)
    def test_column(self, tensors: Remote) -> None:
        """column(A, j) is the j-th column"""
        A = matrix()
        assert_tensor(tensors.column(A, 1), A[:, 1], "column(A, 1)")

    @pytest.mark.points(1)
    def test_row(self, tensors: Remote) -> None:
        """row(A, i) is the i-th row"""
        A = matrix()
        assert_tensor(tensors.row(A, 3), A[3], "row(A, 3)")

    @pytest.mark.points(1)
    def test_row_range(self, tensors: Remote) -> None:
        """row_range(A, start, stop) excludes row stop"""
        A = matrix()
        assert_tensor(tensors.row_range(A, 1, 4), A[1:4], "row_range(A, 1, 4)")

    @pytest.mark.points(1)
    def test_negative_index(self, tensors: Remote) -> None:
        """all_but_last_column drops only the last column"""
        A = matrix()
        assert_tensor(tensors.all_but_last_column(A), A[:, :-1], "all_but_last_column(A)")

    @pytest.mark.points(1)
    def test_mask(self, tensors: Remote) -> None:
        """equals_three is the boolean mask A == 3"""
        A = with_threes()
        assert_tensor(tensors.equals_three(A), A == 3, "equals_three(A)")

    @pytest.mark.points(1)
    def test_replace_slice(self, tensors: Remote) -> None:
        """replace_top_left puts B in the top-left corner of a copy of A"""
        A, B = matrix(), -torch.ones(2, 3)
        before = A.clone()
        expected = A.clone()
        expected[:2, :3] = B
        assert_tensor(tensors.replace_top_left(A, B), expected, "replace_top_left(A, B)")
        assert_unchanged(A, before, "replace_top_left", "A")

    @pytest.mark.points(1)
    def test_set_where(self, tensors: Remote) -> None:
        """four_where_three sets a copy of A to 4 where B == 3"""
        A, B = matrix(), with_threes()
        before = A.clone()
        assert_tensor(
            tensors.four_where_three(A, B), torch.where(B == 3, 4.0, A), "four_where_three(A, B)"
        )
        assert_unchanged(A, before, "four_where_three", "A")


class TestManipulating:
    @pytest.mark.points(1)
    @pytest.mark.parametrize("dim", [0, 1])
    def test_cat(self, tensors: Remote, dim: int) -> None:
        """concatenate joins along the given axis"""
        parts = [torch.randn(2, 3), torch.randn(2, 3)]
        assert_tensor(
            tensors.concatenate(parts, dim), torch.cat(parts, dim), f"concatenate(dim={dim})"
        )

    @pytest.mark.points(1)
    def test_chunk(self, tensors: Remote) -> None:
        """split_in_chunks returns the pieces in order, along the given dimension"""
        t = torch.randn(6, 9)
        for dim in (0, 1):
            got = tensors.split_in_chunks(t, 3, dim)
            expected = torch.chunk(t, 3, dim)
            what = f"split_in_chunks(t of shape (6, 9), 3, dim={dim})"
            assert isinstance(got, tuple | list) and len(got) == len(expected), (
                f"{what}: expected {len(expected)} pieces, got "
                f"{len(got) if isinstance(got, tuple | list) else type_name(got)}"
            )
            for index, (piece, reference) in enumerate(zip(got, expected, strict=True)):
                assert_tensor(piece, reference, f"{what}: piece {index}")

    @pytest.mark.points(1)
    def test_view_shares_storage(self, tensors: Remote) -> None:
        """flat_view is a view: same storage, no copy"""
        t = torch.randn(3, 4)
        got = tensors.flat_view(t)
        assert_tensor(got, t.reshape(-1), "flat_view")
        assert_shares_memory(got, t, "flat_view", "use t.view(-1); torch.view does not exist")

    @pytest.mark.points(1)
    def test_reshape_non_contiguous(self, tensors: Remote) -> None:
        """reshape_any also works on a transposed (non-contiguous) tensor"""
        t = torch.randn(4, 6).t()
        assert_tensor(tensors.reshape_any(t, (3, 8)), t.reshape(3, 8), "reshape_any(t.T, (3, 8))")

    @pytest.mark.points(1)
    def test_repeat(self, tensors: Remote) -> None:
        """tile repeats along each dimension"""
        t = torch.randn(2, 3)
        assert_tensor(tensors.tile(t, (2, 3)), t.repeat(2, 3), "tile(t, (2, 3))")

    @pytest.mark.points(1)
    def test_t(self, tensors: Remote) -> None:
        """transpose_matrix is the transpose"""
        A = torch.randn(3, 5)
        assert_tensor(tensors.transpose_matrix(A), A.t(), "transpose_matrix(A)")

    @pytest.mark.points(1)
    def test_transpose(self, tensors: Remote) -> None:
        """swap_dims swaps two dimensions"""
        t = torch.randn(2, 3, 4)
        assert_tensor(tensors.swap_dims(t, 0, 2), t.transpose(0, 2), "swap_dims(t, 0, 2)")

    @pytest.mark.points(1)
    def test_sort(self, tensors: Remote) -> None:
        """sort_along returns sorted values and their indices"""
        t = torch.randn(4, 5)
        got = tensors.sort_along(t, 1)
        values, indices = torch.sort(t, dim=1)
        assert isinstance(got, tuple | list) and len(got) == 2, (
            f"sort_along: expected (values, indices), got {type_name(got)}"
        )
        assert_tensor(got[0], values, "sort_along(t, 1): values")
        assert_tensor(got[1], indices, "sort_along(t, 1): indices")


class TestMath:
    @pytest.mark.points(1)
    def test_combine(self, tensors: Remote) -> None:
        """combine computes A + Y * Z - B elementwise"""
        A, Y, Z, B = (torch.randn(3, 4) for _ in range(4))
        assert_tensor(
            tensors.combine(A, Y, Z, B), A + Y * Z - B, "combine(A, Y, Z, B)", tol=FLOAT32
        )

    @pytest.mark.points(1)
    @pytest.mark.parametrize("name", ["sum", "prod", "min", "max"])
    def test_reduction(self, tensors: Remote, name: str) -> None:
        """reductions over all elements"""
        A = torch.rand(3, 4) + 0.5
        got = tensors.reductions(A)
        assert isinstance(got, dict), f"reductions: expected a dict, got {type_name(got)}"
        assert name in got, f"reductions: the key {name!r} is missing (got {sorted(got)})"
        expected = getattr(A.double(), name)().item()
        assert_number(got[name], expected, f"reductions(A)[{name!r}]", tol=FLOAT32)

    @pytest.mark.points(1)
    def test_mm(self, tensors: Remote) -> None:
        """matrix_product is the matrix product, not elementwise"""
        A, B = torch.randn(3, 4), torch.randn(4, 2)
        assert_tensor(tensors.matrix_product(A, B), A @ B, "matrix_product(A, B)", tol=FLOAT32)

    @pytest.mark.points(1)
    def test_inverse(self, tensors: Remote) -> None:
        """inverse(A) @ A is the identity"""
        A = torch.randn(4, 4, dtype=torch.float64) + 4 * torch.eye(4, dtype=torch.float64)
        got = tensors.inverse(A)
        assert_tensor(got, torch.linalg.inv(A), "inverse(A)", tol=FLOAT64)

    @pytest.mark.points(1)
    def test_det(self, tensors: Remote) -> None:
        """determinant of a square matrix"""
        A = torch.randn(4, 4, dtype=torch.float64)
        expected = torch.linalg.det(A).item()
        assert_number(tensors.determinant(A), expected, "determinant(A)", tol=FLOAT64)


class TestElementwise:
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("name", ["exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"])
    def test_function(self, tensors: Remote, name: str) -> None:
        """elementwise function"""
        x = torch.rand(3, 4) + 0.1
        got = tensors.elementwise(x)
        assert isinstance(got, dict), f"elementwise: expected a dict, got {type_name(got)}"
        assert name in got, f"elementwise: the key {name!r} is missing (got {sorted(got)})"
        expected = getattr(torch, name)(x)
        assert_tensor(got[name], expected, f"elementwise(x)[{name!r}]", tol=FLOAT32)

    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("name", ["add", "div", "mul", "sub"])
    @pytest.mark.parametrize("operand", ["tensor", "scalar"])
    def test_arithmetic(self, tensors: Remote, name: str, operand: str) -> None:
        """arithmetic with a tensor or a scalar"""
        a = torch.randn(3, 4)
        b = torch.rand(3, 4) + 0.5 if operand == "tensor" else 2.5
        got = tensors.arithmetic(a, b)
        assert isinstance(got, dict), f"arithmetic: expected a dict, got {type_name(got)}"
        assert name in got, f"arithmetic: the key {name!r} is missing (got {sorted(got)})"
        expected = getattr(torch, name)(a, b)
        assert_tensor(got[name], expected, f"arithmetic(a, {operand})[{name!r}]", tol=FLOAT32)


class TestDimensions:
    @pytest.mark.points(1)
    def test_colour_image(self, tensors: Remote) -> None:
        """a colour image is (channels, height, width)"""
        got = tensors.colour_image(20, 30)
        assert_tensor(got, torch.zeros(3, 20, 30), "colour_image(20, 30)")

    @pytest.mark.points(1)
    def test_add_batch_dim(self, tensors: Remote) -> None:
        """add_batch_dim puts the batch dimension first"""
        image = torch.randn(3, 8, 6)
        assert_tensor(tensors.add_batch_dim(image), image.unsqueeze(0), "add_batch_dim")

    @pytest.mark.points(1)
    def test_channels_first(self, tensors: Remote) -> None:
        """channels_first turns (B, H, W, C) into (B, C, H, W)"""
        batch = torch.randn(2, 5, 7, 3)
        got = tensors.channels_first(batch)
        expected = batch.permute(0, 3, 1, 2)
        if isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape):
            assert not torch.equal(plain(got, "channels_first"), batch.reshape(expected.shape)), (
                "channels_first: reshape/view mixes pixels between channels; use permute"
            )
        assert_tensor(got, expected, "channels_first")

    @pytest.mark.points(1)
    @pytest.mark.parametrize("kind", list(EXAMPLE_SHAPES))
    def test_example_shape(self, tensors: Remote, kind: str) -> None:
        """the course's example shapes"""
        shape = EXAMPLE_SHAPES[kind]
        got = tensors.example_shapes()
        assert isinstance(got, dict), f"example_shapes: expected a dict, got {type_name(got)}"
        assert kind in got, f"example_shapes: the key {kind!r} is missing"
        value = plain_value(got[kind])
        assert value == shape, f"example_shapes()[{kind!r}]: expected {shape}, got {value}"
