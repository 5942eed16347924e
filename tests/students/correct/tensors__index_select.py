"""Correct: indexing through torch.index_select with normalised index tensors instead of slicing, masked_fill and narrow().copy_() for the copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor


def _index(i: int, size: int, device: torch.device) -> Tensor:
    """A 1-element long tensor holding i, negative indices counted from the end."""
    return torch.tensor([range(size)[i]], dtype=torch.long, device=device)


# Creating tensors


def make_full(shape: tuple[int, ...], value: float) -> Tensor:
    """A float32 tensor of the given shape filled with `value` (torch.full)."""
    return torch.full(shape, float(value), dtype=torch.float32)


def make_full_like(t: Tensor, value: float) -> Tensor:
    """A tensor with the shape and dtype of `t`, filled with `value` (torch.full_like)."""
    return torch.full_like(t, value, dtype=t.dtype)


def int16_from_values(values: list[list[int]]) -> Tensor:
    """A tensor built from nested Python lists, with dtype int16."""
    return torch.tensor(values, dtype=torch.int16)


def share_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with the NumPy array (changing one changes the other)."""
    return torch.from_numpy(array)


def zeros_and_ones(shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """(zeros, ones) of the given shape, both float32."""
    zeros = torch.zeros(shape, dtype=torch.float32)
    ones = torch.ones(shape, dtype=torch.float32)
    return zeros, ones


def zeros_and_ones_like(t: Tensor) -> tuple[Tensor, Tensor]:
    """(zeros, ones) with the shape and dtype of `t` (the _like forms)."""
    return torch.zeros_like(t), torch.ones_like(t)


def seeded_randn(seed: int, shape: tuple[int, ...]) -> Tensor:
    """Standard-normal samples of `shape`, reproducible: seed torch's generator with `seed`."""
    torch.manual_seed(seed)
    return torch.randn(shape)


# Tensor I/O


def save_and_load(t: Tensor, path: Path) -> Tensor:
    """Save `t` to the file `path` with torch.save, then load it back and return it."""
    torch.save(t, path)
    return torch.load(path)


# Slicing a matrix A


def element(A: Tensor, i: int, j: int) -> Tensor:
    """The element in row i, column j."""
    picked = A.index_select(0, _index(i, A.size(0), A.device))
    picked = picked.index_select(1, _index(j, A.size(1), A.device))
    return picked.reshape(())


def column(A: Tensor, j: int) -> Tensor:
    """Column j, as a 1-D tensor."""
    return torch.index_select(A, 1, _index(j, A.size(1), A.device)).squeeze(1)


def row(A: Tensor, i: int) -> Tensor:
    """Row i, as a 1-D tensor."""
    return torch.index_select(A, 0, _index(i, A.size(0), A.device)).squeeze(0)


def row_range(A: Tensor, start: int, stop: int) -> Tensor:
    """Rows start, start + 1, ..., stop - 1."""
    first, last, _ = slice(start, stop).indices(A.size(0))
    rows = torch.arange(first, max(first, last), device=A.device)
    return torch.index_select(A, 0, rows)


def all_but_last_column(A: Tensor) -> Tensor:
    """Every column except the last, with a negative index."""
    keep = torch.arange(A.size(1), device=A.device)[:-1]
    return A.index_select(1, keep)


def equals_three(A: Tensor) -> Tensor:
    """The boolean mask of the elements equal to 3."""
    return torch.eq(A, 3)


def replace_top_left(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A whose top-left block (the size of B) is replaced by B; A is unchanged."""
    out = A.clone()
    out.narrow(0, 0, B.size(0)).narrow(1, 0, B.size(1)).copy_(B)
    return out


def four_where_three(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A set to 4 wherever B equals 3; A is unchanged."""
    return A.masked_fill(B == 3, 4)


# Manipulating tensors


def concatenate(tensors: list[Tensor], dim: int) -> Tensor:
    """The tensors joined along dimension `dim` (torch.cat)."""
    return torch.cat(tensors, dim)


def split_in_chunks(t: Tensor, chunks: int, dim: int) -> tuple[Tensor, ...]:
    """`t` split into `chunks` pieces along `dim` (torch.chunk)."""
    return tuple(t.chunk(chunks, dim))


def flat_view(t: Tensor) -> Tensor:
    """A 1-D view of the contiguous tensor `t` that shares its storage (Tensor.view)."""
    return t.view(t.numel())


def reshape_any(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t` with a new shape, also when `t` is not contiguous (where view fails)."""
    return torch.reshape(t, shape)


def tile(t: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """`t` repeated `repeats[d]` times along each dimension d (Tensor.repeat).

    `repeats` may have more entries than `t` has dimensions: as in Tensor.repeat, the
    extra ones add leading dimensions.
    """
    return t.repeat(repeats)


def transpose_matrix(A: Tensor) -> Tensor:
    """The transpose of the 2-D tensor A."""
    return torch.transpose(A, 0, 1)


def swap_dims(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t` with dimensions dim0 and dim1 swapped (torch.transpose)."""
    return t.swapaxes(dim0, dim1)


def sort_along(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """(sorted values, indices) of `t` sorted in ascending order along `dim`."""
    result = t.sort(dim=dim)
    return result.values, result.indices


# Math


def combine(A: Tensor, Y: Tensor, Z: Tensor, B: Tensor) -> Tensor:
    """A + Y * Z - B, elementwise."""
    product = torch.mul(Y, Z)
    return torch.sub(torch.add(A, product), B)


def reductions(A: Tensor) -> dict[str, Tensor]:
    """{"sum", "prod", "min", "max"} of all the elements of A, each a 0-d tensor."""
    return {
        "sum": torch.sum(A),
        "prod": torch.prod(A),
        "min": torch.min(A),
        "max": torch.max(A),
    }


def matrix_product(A: Tensor, B: Tensor) -> Tensor:
    """The matrix product of A and B (torch.mm)."""
    return A.mm(B)


def inverse(A: Tensor) -> Tensor:
    """The inverse of the square matrix A."""
    return torch.inverse(A)


def determinant(A: Tensor) -> Tensor:
    """The determinant of the square matrix A, a 0-d tensor."""
    return torch.det(A)


# Elementwise functions


def elementwise(x: Tensor) -> dict[str, Tensor]:
    """{"exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"} applied to x elementwise."""
    return {
        "exp": x.exp(),
        "log": x.log(),
        "cos": x.cos(),
        "cosh": x.cosh(),
        "sin": x.sin(),
        "sinh": x.sinh(),
        "tan": x.tan(),
        "tanh": x.tanh(),
    }


def arithmetic(a: Tensor, b: Tensor | float) -> dict[str, Tensor]:
    """{"add", "div", "mul", "sub"} of a and b, where b is a tensor or a Python number."""
    return {"add": a + b, "div": a / b, "mul": a * b, "sub": a - b}


# Dimension conventions


def colour_image(height: int, width: int) -> Tensor:
    """A black RGB image as a 3-D float32 tensor, channels first: (3, height, width)."""
    return torch.zeros((3, height, width), dtype=torch.float32)


def add_batch_dim(image: Tensor) -> Tensor:
    """The image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return image[None]


def channels_first(batch: Tensor) -> Tensor:
    """A channels-last batch (B, H, W, C) in PyTorch's channels-first layout (B, C, H, W)."""
    return torch.permute(batch, (0, 3, 1, 2))


def example_shapes() -> dict[str, tuple[int, ...]]:
    """The shapes of the course's examples, batch first, then channels, in PyTorch's layout.

    - "signals": 16 stereo audio signals of 8000 samples each;
    - "activations": the activations of a hidden layer of 300 units for a batch of 64;
    - "images": 32 RGB images of 28 x 28 pixels;
    - "video": 4 RGB videos of 10 frames of 64 x 64 pixels, in Conv3d's (N, C, T, H, W).
    """
    stereo, rgb = 2, 3
    return {
        "signals": (16, stereo, 8000),
        "activations": (64, 300),
        "images": (32, rgb, 28, 28),
        "video": (4, rgb, 10, 64, 64),
    }
