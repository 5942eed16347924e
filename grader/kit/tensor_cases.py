"""Inputs for the tensors checks: strategies that draw the cases which break coincidences
(non-square matrices, uneven concatenations and chunks, any two dims, more repeats than
dimensions), and the tensors the cases describe."""

from __future__ import annotations

import torch
from hypothesis import strategies as st

from grader.kit.generated import dim_of, keys, shapes


def with_threes(rows: int, cols: int, key: int) -> torch.Tensor:
    """Small values with 3s in random places, at least one, not all; the others include
    3.5, 2.75 and -3 (a truncation or an absolute value would count them as 3)."""
    generator = torch.Generator().manual_seed(key)
    choices = torch.tensor([0.0, 1.0, 2.0, 2.75, 3.5, -3.0, 4.0, 5.0])
    values = choices[torch.randint(0, len(choices), (rows * cols,), generator=generator)]
    values[torch.randperm(rows * cols, generator=generator)[: max(1, rows * cols // 3)]] = 3
    if rows * cols > 1:
        values[torch.argmin((values == 3).float())] = 1
    return values.reshape(rows, cols)


def fractions() -> st.SearchStrategy[float]:
    """A position within a size, as a fraction: an index drawn at every size."""
    return st.floats(0, 0.999)


def matrices(min_side: int = 1) -> st.SearchStrategy[tuple[int, int, int]]:
    """(rows, cols, key): matrices square or not, one row or column included."""
    return st.tuples(st.integers(min_side, 6), st.integers(min_side, 6), keys())


@st.composite
def concatenations(draw: st.DrawFn) -> tuple[list[tuple[int, ...]], int, int]:
    """(shapes, dim, key): one to four tensors equal except along `dim`, of uneven sizes."""
    shape = draw(shapes(1, 4))
    dim = draw(dim_of(len(shape)))
    at = dim % len(shape)
    sizes = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    return [(*shape[:at], size, *shape[at + 1 :]) for size in sizes], dim, draw(keys())


@st.composite
def chunkings(draw: st.DrawFn) -> tuple[tuple[int, ...], int, int, int]:
    """(shape, chunks, dim, key): sizes that divide evenly by `chunks` or not."""
    shape = draw(shapes(1, 4, max_side=7))
    dim = draw(dim_of(len(shape)))
    return shape, draw(st.integers(1, shape[dim] + 1)), dim, draw(keys())


@st.composite
def swaps(draw: st.DrawFn) -> tuple[tuple[int, ...], int, int, int]:
    shape = draw(shapes(2, 5))
    return shape, draw(dim_of(len(shape))), draw(dim_of(len(shape))), draw(keys())


@st.composite
def tilings(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """(shape, repeats, key): as many repeats as dimensions, or one more."""
    shape = draw(shapes(1, 3, max_side=3))
    count = len(shape) + draw(st.integers(0, 1))
    repeats = draw(st.lists(st.integers(1, 3), min_size=count, max_size=count))
    return shape, tuple(repeats), draw(keys())


@st.composite
def sortings(draw: st.DrawFn) -> tuple[tuple[int, ...], int, int]:
    shape = draw(shapes(1, 4))
    return shape, draw(dim_of(len(shape))), draw(keys())


def square(key: int, size: int, dtype: torch.dtype = torch.float64) -> torch.Tensor:
    """A well-conditioned square matrix (diagonally dominant), so inverses are stable."""
    generator = torch.Generator().manual_seed(key)
    A = torch.randn(size, size, generator=generator, dtype=torch.float64)
    return (A + size * torch.eye(size, dtype=torch.float64) * A.sign().diag().diag()).to(dtype)
