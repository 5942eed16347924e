"""Checks for part 1, tensors. Expected values come from torch itself.

Every function is tried on several inputs chosen to break coincidences (uneven sizes,
one to five dimensions, every dim, integer and float dtypes, other file names): the
inputs that matter are stated, and Hypothesis draws more from the run's seed
(grader.kit.generated). Values are distinct, so a wrong index or dim always
picks a different one; float results are compared in float64 within FLOAT32 tolerances.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hypothesis import strategies as st

from grader.kit import exercise_fixture
from grader.kit.assertions import (
    EXACT,
    FLOAT32,
    FLOAT64,
    assert_number,
    assert_sequence,
    assert_shares_memory,
    assert_tensor,
    plain,
    plain_value,
    shares_memory,
    type_name,
)
from grader.kit.generated import (
    DTYPES,
    FLOAT_DTYPES,
    describe,
    distinct,
    dtypes,
    explore,
    keys,
    shapes,
)
from grader.kit.remote import Remote, probe
from grader.kit.tensor_cases import (
    chunkings,
    concatenations,
    fractions,
    matrices,
    sortings,
    square,
    swaps,
    tilings,
    with_threes,
)

tensors = exercise_fixture("tensors")

EXAMPLE_SHAPES = {
    "signals": (16, 2, 8000),
    "activations": (64, 300),
    "images": (32, 3, 28, 28),
    "video": (4, 3, 10, 64, 64),
}


class TestCreating:
    @pytest.mark.points(1)
    def test_full(self, tensors: Remote) -> None:
        """make_full fills a new float32 tensor with one value, integers included"""

        def check(case: tuple[tuple[int, ...], float]) -> None:
            shape, value = case
            expected = torch.full(shape, float(value), dtype=torch.float32)
            assert_tensor(tensors.make_full(shape, value), expected, f"make_full{case}")

        values = st.one_of(st.integers(-9, 9), st.floats(-9, 9, width=16))
        explicit = [((2, 3), 7.5), ((4,), 3), ((1, 2, 3), -2)]
        explore(check, st.tuples(shapes(1, 4), values), explicit=explicit)

    @pytest.mark.points(1)
    def test_full_like(self, tensors: Remote) -> None:
        """make_full_like keeps the shape and dtype of its input"""

        def check(case: tuple[tuple[int, ...], torch.dtype, int]) -> None:
            shape, dtype, value = case
            t = distinct(shape, value, dtype)
            what = f"make_full_like({describe(t, 't')}, {value})"
            assert_tensor(tensors.make_full_like(t, value), torch.full_like(t, value), what)

        cases = st.tuples(shapes(1, 4), dtypes(), st.integers(1, 9))
        explore(check, cases, explicit=[((3, 2), torch.int32, 4), ((2, 5), torch.float64, 7)])

    @pytest.mark.points(1)
    def test_int16(self, tensors: Remote) -> None:
        """int16_from_values builds a tensor with dtype int16"""

        def check(case: tuple[tuple[int, ...], int]) -> None:
            shape, key = case
            values = distinct(shape, key, torch.int64).tolist()
            expected = torch.tensor(values, dtype=torch.int16)
            assert_tensor(
                tensors.int16_from_values(values), expected, f"int16_from_values({values})"
            )

        explore(check, st.tuples(shapes(1, 3), keys()), explicit=[((3, 4), 0)])

    @pytest.mark.points(1)
    def test_from_numpy_shares_memory(self, tensors: Remote) -> None:
        """share_numpy returns a tensor that shares memory with the array"""

        def check(case: tuple[tuple[int, ...], torch.dtype, int]) -> None:
            shape, dtype, key = case
            array = distinct(shape, key, dtype).numpy()
            what = f"share_numpy(array of shape {shape}, dtype {array.dtype})"
            got = tensors.share_numpy(array)
            assert_tensor(got, torch.from_numpy(array.copy()), what)
            assert_shares_memory(got, array, what, "use torch.from_numpy, not torch.tensor")
            array.reshape(-1)[-1] = 42
            changed = plain(got, what).reshape(-1)[-1].item()
            assert changed == 42, f"{what}: changing the array did not change the tensor"

        cases = st.tuples(shapes(1, 3), dtypes(DTYPES[:5]), keys())
        explore(check, cases, explicit=[((3, 4), torch.float64, 0)])

    @pytest.mark.points(1)
    def test_zeros_and_ones(self, tensors: Remote) -> None:
        """zeros_and_ones returns (zeros, ones) of a shape"""

        def check(shape: tuple[int, ...]) -> None:
            what = f"zeros_and_ones({shape})"
            got = assert_sequence(tensors.zeros_and_ones(shape), 2, what, "(zeros, ones)")
            assert_tensor(got[0], torch.zeros(shape), f"zeros_and_ones({shape}): zeros")
            assert_tensor(got[1], torch.ones(shape), f"zeros_and_ones({shape}): ones")

        explore(check, shapes(1, 4), explicit=[(2, 5)])

    @pytest.mark.points(1)
    def test_zeros_and_ones_like(self, tensors: Remote) -> None:
        """zeros_and_ones_like keeps the shape and dtype of its input"""

        def check(case: tuple[tuple[int, ...], torch.dtype]) -> None:
            t = distinct(case[0], 0, case[1])
            what = f"zeros_and_ones_like({describe(t, 't')})"
            got = assert_sequence(tensors.zeros_and_ones_like(t), 2, what, "(zeros, ones)")
            assert_tensor(got[0], torch.zeros_like(t), f"{what}: zeros")
            assert_tensor(got[1], torch.ones_like(t), f"{what}: ones")

        cases = st.tuples(shapes(1, 4), dtypes())
        explore(check, cases, explicit=[((4, 3), torch.float64), ((2, 3), torch.int16)])

    @pytest.mark.points(1)
    def test_seeded_randn(self, tensors: Remote) -> None:
        """seeded_randn is reproducible and follows the seed"""

        def check(case: tuple[int, tuple[int, ...]]) -> None:
            key, shape = case
            expected = torch.randn(shape, generator=torch.Generator().manual_seed(key))
            torch.manual_seed(key + 1)
            what = f"seeded_randn({key}, {shape})"
            assert_tensor(tensors.seeded_randn(key, shape), expected, what, tol=FLOAT32)

        explore(check, st.tuples(keys(), shapes(1, 3)), explicit=[(1234, (3, 4))])


class TestIO:
    @pytest.mark.points(1)
    def test_save_and_load(self, tensors: Remote) -> None:
        """save_and_load writes the file named by `path` and reads the same tensor back"""

        def check(case: tuple[str, tuple[int, ...], torch.dtype, int]) -> None:
            name, shape, dtype, key = case
            t = distinct(shape, key, dtype)
            what = f"save_and_load({describe(t, 't')}, Path({name!r}))"
            got = tensors.save_and_load(t, Path(name))
            saved = probe(tensors, "saved_tensor", name)
            assert saved is not None, f"{what}: nothing was saved to {name} (torch.save)"
            assert_tensor(saved, t, f"{what}: the saved file")
            assert_tensor(got, t, f"{what}: the loaded tensor")
            assert not shares_memory(got, t), (
                f"{what}: returned the input t itself; return the tensor torch.load read back"
            )

        names = st.sampled_from(["weights.pth", "t-07.bin", "my tensor.pt", "x"])
        cases = st.tuples(names, shapes(1, 3), dtypes(), keys())
        explore(check, cases, explicit=[("tensor.pt", (3, 5), torch.float32, 0)], examples=4)


class TestSlicing:
    @pytest.mark.points(1)
    def test_element(self, tensors: Remote) -> None:
        """element(A, i, j) is A[i, j]"""

        def check(case: tuple[tuple[int, int, int], float, float]) -> None:
            (rows, cols, key), u, v = case
            A, i, j = distinct((rows, cols), key), int(u * rows), int(v * cols)
            assert_number(
                tensors.element(A, i, j),
                A[i, j].item(),
                f"element({describe(A)}, {i}, {j})",
                tol=EXACT,
            )

        cases = st.tuples(matrices(), fractions(), fractions())
        explore(check, cases, explicit=[((5, 4, 0), 0.4, 0.25), ((3, 6, 1), 0.9, 0.1)])

    @pytest.mark.points(1)
    def test_column(self, tensors: Remote) -> None:
        """column(A, j) is the j-th column, 1-D"""

        def check(case: tuple[tuple[int, int, int], float]) -> None:
            (rows, cols, key), v = case
            A, j = distinct((rows, cols), key), int(v * cols)
            assert_tensor(tensors.column(A, j), A[:, j], f"column({describe(A)}, {j})")

        explore(
            check,
            st.tuples(matrices(), fractions()),
            explicit=[((5, 4, 0), 0.25), ((2, 6, 1), 0.9)],
        )

    @pytest.mark.points(1)
    def test_row(self, tensors: Remote) -> None:
        """row(A, i) is the i-th row, 1-D"""

        def check(case: tuple[tuple[int, int, int], float]) -> None:
            (rows, cols, key), u = case
            A, i = distinct((rows, cols), key), int(u * rows)
            assert_tensor(tensors.row(A, i), A[i], f"row({describe(A)}, {i})")

        explore(
            check, st.tuples(matrices(), fractions()), explicit=[((5, 4, 0), 0.6), ((6, 2, 1), 0.9)]
        )

    @pytest.mark.points(1)
    def test_row_range(self, tensors: Remote) -> None:
        """row_range(A, start, stop) includes row start and excludes row stop"""

        def check(case: tuple[tuple[int, int, int], float, float]) -> None:
            (rows, cols, key), u, v = case
            A = distinct((rows, cols), key)
            start = int(u * rows)
            stop = start + int(v * (rows - start + 1))
            what = f"row_range({describe(A)}, {start}, {stop})"
            assert_tensor(tensors.row_range(A, start, stop), A[start:stop], what)

        cases = st.tuples(matrices(), fractions(), fractions())
        explore(check, cases, explicit=[((5, 4, 0), 0.2, 0.7), ((6, 3, 1), 0.0, 0.99)])

    @pytest.mark.points(1)
    def test_negative_index(self, tensors: Remote) -> None:
        """all_but_last_column drops only the last column"""

        def check(case: tuple[int, int, int]) -> None:
            A = distinct(case[:2], case[2])
            assert_tensor(
                tensors.all_but_last_column(A), A[:, :-1], f"all_but_last_column({describe(A)})"
            )

        explore(check, matrices(), explicit=[(5, 4, 0), (3, 7, 1)])

    @pytest.mark.points(1)
    def test_mask(self, tensors: Remote) -> None:
        """equals_three is the boolean mask A == 3, for float and integer A"""

        def check(case: tuple[tuple[int, int, int], torch.dtype]) -> None:
            (rows, cols, key), dtype = case
            A = with_threes(rows, cols, key).to(dtype)
            assert_tensor(tensors.equals_three(A), A == 3, f"equals_three({describe(A)})")

        cases = st.tuples(matrices(), dtypes((torch.float32, torch.int64, torch.int32)))
        explore(check, cases, explicit=[((5, 4, 0), torch.float32), ((3, 6, 1), torch.int64)])

    @pytest.mark.points(1)
    def test_replace_slice(self, tensors: Remote) -> None:
        """replace_top_left puts B (of any size up to A's) in the top-left corner of a copy of A"""

        def check(case: tuple[tuple[int, int, int], float, float]) -> None:
            (rows, cols, key), u, v = case
            A = distinct((rows, cols), key)
            B = -distinct((1 + int(u * rows), 1 + int(v * cols)), key + 1).abs()
            expected = A.clone()
            expected[: B.shape[0], : B.shape[1]] = B
            what = f"replace_top_left({describe(A)}, {describe(B, 'B')})"
            assert_tensor(tensors.replace_top_left(A, B), expected, what)

        cases = st.tuples(matrices(), fractions(), fractions())
        explore(check, cases, explicit=[((5, 4, 0), 0.3, 0.6), ((4, 6, 1), 0.6, 0.1)])

    @pytest.mark.points(1)
    def test_set_where(self, tensors: Remote) -> None:
        """four_where_three sets a copy of A to 4 where B == 3"""

        def check(case: tuple[int, int, int]) -> None:
            rows, cols, key = case
            A, B = distinct((rows, cols), key), with_threes(rows, cols, key + 1)
            what = f"four_where_three({describe(A)}, {describe(B, 'B')})"
            assert_tensor(tensors.four_where_three(A, B), torch.where(B == 3, 4.0, A), what)

        explore(check, matrices(), explicit=[(5, 4, 0), (3, 6, 1)])


class TestManipulating:
    @pytest.mark.points(1)
    @pytest.mark.parametrize("dim", [0, 1])
    def test_cat(self, tensors: Remote, dim: int) -> None:
        """concatenate joins any number of tensors along the given axis"""

        def check(case: tuple[list[tuple[int, ...]], int, int]) -> None:
            sizes, along, key = case
            parts = [distinct(shape, key + n) for n, shape in enumerate(sizes)]
            what = f"concatenate(tensors of shapes {sizes}, dim={along})"
            assert_tensor(tensors.concatenate(parts, along), torch.cat(parts, along), what)

        Case = tuple[list[tuple[int, ...]], int, int]
        first: Case = ([(2, 3), (2, 3)], dim, 0)
        uneven: Case = ([(2, 3), (4, 3), (1, 3)] if dim == 0 else [(2, 3), (2, 1), (2, 4)], dim, 1)
        cases = concatenations().filter(lambda case: case[1] % len(case[0][0]) == dim)
        explore(check, cases, explicit=[first, uneven], examples=4)

    @pytest.mark.points(1)
    def test_chunk(self, tensors: Remote) -> None:
        """split_in_chunks returns the pieces in order, along the given dimension"""

        def check(case: tuple[tuple[int, ...], int, int, int]) -> None:
            shape, chunks, dim, key = case
            t = distinct(shape, key)
            expected = torch.chunk(t, chunks, dim)
            what = f"split_in_chunks({describe(t, 't')}, {chunks}, dim={dim})"
            got = tensors.split_in_chunks(t, chunks, dim)
            pieces = assert_sequence(got, len(expected), what, f"{len(expected)} pieces")
            for index, (piece, reference) in enumerate(zip(pieces, expected, strict=True)):
                assert_tensor(piece, reference, f"{what}: piece {index}")

        explicit = [((6, 9), 3, 0, 0), ((6, 9), 3, 1, 1), ((7, 5), 3, 0, 2), ((4, 5), 2, -1, 3)]
        explore(check, chunkings(), explicit=explicit)

    @pytest.mark.points(1)
    def test_view_shares_storage(self, tensors: Remote) -> None:
        """flat_view is a view: same storage, no copy"""

        def check(case: tuple[tuple[int, ...], int]) -> None:
            t = distinct(*case)
            got = tensors.flat_view(t)
            what = f"flat_view({describe(t, 't')})"
            assert_tensor(got, t.reshape(-1), what)
            assert_shares_memory(got, t, what, "use t.view(-1); torch.view does not exist")

        explore(check, st.tuples(shapes(1, 5), keys()), explicit=[((3, 4), 0)])

    @pytest.mark.points(1)
    def test_reshape_non_contiguous(self, tensors: Remote) -> None:
        """reshape_any also works on a transposed (non-contiguous) tensor"""

        def check(case: tuple[tuple[int, ...], int, bool]) -> None:
            shape, key, flat = case
            t = distinct(shape, key).transpose(0, -1)
            target = (t.numel(),) if flat else tuple(reversed(shape))
            what = f"reshape_any({describe(t, 't')} (not contiguous), {target})"
            assert_tensor(tensors.reshape_any(t, target), t.reshape(target), what)

        cases = st.tuples(shapes(2, 4, min_side=2), keys(), st.booleans())
        explore(check, cases, explicit=[((6, 4), 0, False), ((2, 3, 4), 1, True)])

    @pytest.mark.points(1)
    def test_repeat(self, tensors: Remote) -> None:
        """tile repeats along each dimension"""

        def check(case: tuple[tuple[int, ...], tuple[int, ...], int]) -> None:
            shape, repeats, key = case
            t = distinct(shape, key)
            what = f"tile({describe(t, 't')}, {repeats})"
            assert_tensor(tensors.tile(t, repeats), t.repeat(*repeats), what)

        explore(check, tilings(), explicit=[((2, 3), (2, 3), 0), ((3,), (2, 1), 1)])

    @pytest.mark.points(1)
    def test_t(self, tensors: Remote) -> None:
        """transpose_matrix is the transpose"""

        def check(case: tuple[int, int, int]) -> None:
            A = distinct(case[:2], case[2])
            assert_tensor(tensors.transpose_matrix(A), A.t(), f"transpose_matrix({describe(A)})")

        explore(check, matrices(), explicit=[(3, 5, 0)])

    @pytest.mark.points(1)
    def test_transpose(self, tensors: Remote) -> None:
        """swap_dims swaps any two dimensions"""

        def check(case: tuple[tuple[int, ...], int, int, int]) -> None:
            shape, dim0, dim1, key = case
            t = distinct(shape, key)
            what = f"swap_dims({describe(t, 't')}, {dim0}, {dim1})"
            assert_tensor(tensors.swap_dims(t, dim0, dim1), t.transpose(dim0, dim1), what)

        explore(check, swaps(), explicit=[((2, 3, 4), 0, 2, 0), ((2, 3, 4, 5), 1, -1, 1)])

    @pytest.mark.points(1)
    def test_sort(self, tensors: Remote) -> None:
        """sort_along returns sorted values and their indices, along any dimension"""

        def check(case: tuple[tuple[int, ...], int, int]) -> None:
            shape, dim, key = case
            t = distinct(shape, key)
            what = f"sort_along({describe(t, 't')}, {dim})"
            got = assert_sequence(tensors.sort_along(t, dim), 2, what, "(values, indices)")
            values, indices = torch.sort(t, dim=dim)
            assert_tensor(got[0], values, f"{what}: values")
            assert_tensor(got[1], indices, f"{what}: indices")

        explore(check, sortings(), explicit=[((4, 5), 1, 0), ((3, 4, 2), 0, 1)])


class TestMath:
    @pytest.mark.points(1)
    def test_combine(self, tensors: Remote) -> None:
        """combine computes A + Y * Z - B elementwise"""

        def check(case: tuple[tuple[int, ...], int, torch.dtype]) -> None:
            shape, key, dtype = case
            A, Y, Z, B = (distinct(shape, key + n, dtype) for n in range(4))
            what = f"combine(A, Y, Z, B, {describe(A, 'each')})"
            assert_tensor(tensors.combine(A, Y, Z, B), A + Y * Z - B, what, tol=FLOAT32)

        cases = st.tuples(shapes(1, 4), keys(), dtypes(FLOAT_DTYPES))
        explore(check, cases, explicit=[((3, 4), 0, torch.float32)])

    @pytest.mark.points(1)
    @pytest.mark.parametrize("name", ["sum", "prod", "min", "max"])
    def test_reduction(self, tensors: Remote, name: str) -> None:
        """reductions over all the elements, each a single value"""

        def check(case: tuple[tuple[int, ...], int, torch.dtype]) -> None:
            shape, key, dtype = case
            A = (distinct(shape, key, torch.float64).sign() * (0.9 + torch.rand(shape) / 5)).to(
                dtype
            )
            what = f"reductions({describe(A)})[{name!r}]"
            got = tensors.reductions(A)
            assert isinstance(got, dict), f"reductions: expected a dict, got {type_name(got)}"
            assert name in got, f"reductions: the key {name!r} is missing (got {sorted(got)})"
            assert_number(got[name], getattr(A.double(), name)().item(), what, tol=FLOAT32)

        cases = st.tuples(shapes(1, 4), keys(), dtypes(FLOAT_DTYPES))
        explore(check, cases, explicit=[((3, 4), 0, torch.float32)], examples=4)

    @pytest.mark.points(1)
    def test_mm(self, tensors: Remote) -> None:
        """matrix_product is the matrix product, not elementwise"""

        def check(case: tuple[int, int, int, int]) -> None:
            n, k, m, key = case
            A, B = distinct((n, k), key), distinct((k, m), key + 1)
            what = f"matrix_product({describe(A)}, {describe(B, 'B')})"
            assert_tensor(tensors.matrix_product(A, B), A @ B, what, tol=FLOAT32)

        sides = st.integers(1, 6)
        cases = st.tuples(sides, sides, sides, keys())
        explore(check, cases, explicit=[(3, 4, 2, 0), (3, 3, 3, 1)])

    @pytest.mark.points(1)
    def test_inverse(self, tensors: Remote) -> None:
        """inverse(A) is the inverse, at any size"""

        def check(case: tuple[int, int]) -> None:
            A = square(case[1], case[0])
            got = tensors.inverse(A)
            assert_tensor(got, torch.linalg.inv(A), f"inverse({describe(A)})", tol=FLOAT64)

        explore(check, st.tuples(st.integers(1, 6), keys()), explicit=[(4, 0)], examples=4)

    @pytest.mark.points(1)
    def test_det(self, tensors: Remote) -> None:
        """determinant of a square matrix, a single value"""

        def check(case: tuple[int, int]) -> None:
            A = square(case[1], case[0])
            what = f"determinant({describe(A)})"
            assert_number(tensors.determinant(A), torch.linalg.det(A).item(), what, tol=FLOAT64)

        explore(check, st.tuples(st.integers(1, 6), keys()), explicit=[(4, 0)], examples=4)


class TestElementwise:
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("name", ["exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"])
    def test_function(self, tensors: Remote, name: str) -> None:
        """elementwise function of any x, negative values included, in the input's dtype"""

        def check(case: tuple[tuple[int, ...], int, torch.dtype]) -> None:
            shape, key, dtype = case
            x = (2 * torch.randn(shape, generator=torch.Generator().manual_seed(key))).to(dtype)
            got = tensors.elementwise(x)
            assert isinstance(got, dict), f"elementwise: expected a dict, got {type_name(got)}"
            assert name in got, f"elementwise: the key {name!r} is missing (got {sorted(got)})"
            what = f"elementwise({describe(x, 'x')})[{name!r}]"
            assert_tensor(got[name], getattr(torch, name)(x), what, tol=FLOAT32)

        cases = st.tuples(shapes(1, 4), keys(), dtypes(FLOAT_DTYPES))
        explore(check, cases, explicit=[((3, 4), 0, torch.float32)], examples=3)

    @pytest.mark.points(0.5)
    @pytest.mark.parametrize("name", ["add", "div", "mul", "sub"])
    @pytest.mark.parametrize("operand", ["tensor", "scalar"])
    def test_arithmetic(self, tensors: Remote, name: str, operand: str) -> None:
        """arithmetic with a tensor or a Python number (int or float)"""

        def check(case: tuple[tuple[int, ...], int, float]) -> None:
            shape, key, number = case
            a = distinct(shape, key)
            b = distinct(shape, key + 1).abs() if operand == "tensor" else number
            got = tensors.arithmetic(a, b)
            assert isinstance(got, dict), f"arithmetic: expected a dict, got {type_name(got)}"
            assert name in got, f"arithmetic: the key {name!r} is missing (got {sorted(got)})"
            other = describe(b, "b") if isinstance(b, torch.Tensor) else repr(b)
            what = f"arithmetic({describe(a, 'a')}, {other})[{name!r}]"
            assert_tensor(got[name], getattr(torch, name)(a, b), what, tol=FLOAT32)

        numbers = st.one_of(st.integers(2, 9), st.sampled_from([0.5, 2.5, -1.5, 3.0]))
        cases = st.tuples(shapes(1, 3), keys(), numbers)
        explore(check, cases, explicit=[((3, 4), 0, 2.5), ((2, 5), 1, 3)], examples=3)


class TestDimensions:
    @pytest.mark.points(1)
    def test_colour_image(self, tensors: Remote) -> None:
        """a colour image is (channels, height, width), float32 zeros"""

        def check(case: tuple[int, int]) -> None:
            got = tensors.colour_image(*case)
            assert_tensor(got, torch.zeros(3, *case), f"colour_image{case}")

        sides = st.integers(1, 40)
        explore(check, st.tuples(sides, sides), explicit=[(20, 30), (3, 5)])

    @pytest.mark.points(1)
    def test_add_batch_dim(self, tensors: Remote) -> None:
        """add_batch_dim puts the batch dimension first"""

        def check(case: tuple[tuple[int, ...], int]) -> None:
            image = distinct(*case)
            what = f"add_batch_dim({describe(image, 'image')})"
            assert_tensor(tensors.add_batch_dim(image), image.unsqueeze(0), what)

        explore(check, st.tuples(shapes(3, 3), keys()), explicit=[((3, 8, 6), 0)])

    @pytest.mark.points(1)
    def test_channels_first(self, tensors: Remote) -> None:
        """channels_first turns (B, H, W, C) into (B, C, H, W)"""

        def check(case: tuple[tuple[int, ...], int]) -> None:
            batch = distinct(*case)
            what = f"channels_first({describe(batch, 'batch')})"
            got = tensors.channels_first(batch)
            expected = batch.permute(0, 3, 1, 2)
            if isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(expected.shape):
                assert not torch.equal(plain(got, what), batch.reshape(expected.shape)), (
                    f"{what}: reshape/view mixes pixels between channels; use permute"
                )
            assert_tensor(got, expected, what)

        cases = st.tuples(shapes(4, 4, min_side=2), keys())
        explore(check, cases, explicit=[((2, 5, 7, 3), 0), ((3, 4, 4, 2), 1)])

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
