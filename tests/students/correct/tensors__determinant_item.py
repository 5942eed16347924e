"""Correct: determinant returns a Python number with .item() (a single value is accepted)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

# Creating tensors


def make_full(shape: tuple[int, ...], value: float) -> Tensor:
    """A float32 tensor of the given shape filled with `value` (torch.full)."""
    return torch.full(shape, value, dtype=torch.float32)


def make_full_like(t: Tensor, value: float) -> Tensor:
    """A tensor with the shape and dtype of `t`, filled with `value` (torch.full_like)."""
    return torch.full_like(t, value)


def int16_from_values(values: list[list[int]]) -> Tensor:
    """A tensor built from nested Python lists, with dtype int16."""
    return torch.tensor(values, dtype=torch.int16)


def share_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with the NumPy array (changing one changes the other)."""
    return torch.from_numpy(array)


def zeros_and_ones(shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """(zeros, ones) of the given shape, both float32."""
    return torch.zeros(shape), torch.ones(shape)


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
    return A[i, j]


def column(A: Tensor, j: int) -> Tensor:
    """Column j, as a 1-D tensor."""
    return A[:, j]


def row(A: Tensor, i: int) -> Tensor:
    """Row i, as a 1-D tensor."""
    return A[i]


def row_range(A: Tensor, start: int, stop: int) -> Tensor:
    """Rows start, start + 1, ..., stop - 1."""
    return A[start:stop]


def all_but_last_column(A: Tensor) -> Tensor:
    """Every column except the last, with a negative index."""
    return A[:, :-1]


def equals_three(A: Tensor) -> Tensor:
    """The boolean mask of the elements equal to 3."""
    return A == 3


def replace_top_left(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A whose top-left block (the size of B) is replaced by B; A is unchanged."""
    out = A.clone()
    out[: B.shape[0], : B.shape[1]] = B
    return out


def four_where_three(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A set to 4 wherever B equals 3; A is unchanged."""
    out = A.clone()
    out[B == 3] = 4
    return out


# Manipulating tensors


def concatenate(tensors: list[Tensor], dim: int) -> Tensor:
    """The tensors joined along dimension `dim` (torch.cat)."""
    return torch.cat(tensors, dim=dim)


def split_in_chunks(t: Tensor, chunks: int, dim: int) -> tuple[Tensor, ...]:
    """`t` split into `chunks` pieces along `dim` (torch.chunk)."""
    return torch.chunk(t, chunks, dim=dim)


def flat_view(t: Tensor) -> Tensor:
    """A 1-D view of the contiguous tensor `t` that shares its storage (Tensor.view)."""
    return t.view(-1)


def reshape_any(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t` with a new shape, also when `t` is not contiguous (where view fails)."""
    return t.reshape(shape)


def tile(t: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """`t` repeated `repeats[d]` times along each dimension d (Tensor.repeat)."""
    return t.repeat(*repeats)


def transpose_matrix(A: Tensor) -> Tensor:
    """The transpose of the 2-D tensor A."""
    return A.t()


def swap_dims(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t` with dimensions dim0 and dim1 swapped (torch.transpose)."""
    return t.transpose(dim0, dim1)


def sort_along(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """(sorted values, indices) of `t` sorted in ascending order along `dim`."""
    values, indices = torch.sort(t, dim=dim)
    return values, indices


# Math


def combine(A: Tensor, Y: Tensor, Z: Tensor, B: Tensor) -> Tensor:
    """A + Y * Z - B, elementwise."""
    return A + Y * Z - B


def reductions(A: Tensor) -> dict[str, Tensor]:
    """{"sum", "prod", "min", "max"} of all the elements of A, each a 0-d tensor."""
    return {"sum": A.sum(), "prod": A.prod(), "min": A.min(), "max": A.max()}


def matrix_product(A: Tensor, B: Tensor) -> Tensor:
    """The matrix product of A and B (torch.mm)."""
    return torch.mm(A, B)


def inverse(A: Tensor) -> Tensor:
    """The inverse of the square matrix A."""
    return torch.linalg.inv(A)


def determinant(A: Tensor) -> Tensor:
    """The determinant of the square matrix A, a 0-d tensor."""
    return torch.linalg.det(A).item()


# Elementwise functions


def elementwise(x: Tensor) -> dict[str, Tensor]:
    """{"exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"} applied to x elementwise."""
    return {
        "exp": torch.exp(x),
        "log": torch.log(x),
        "cos": torch.cos(x),
        "cosh": torch.cosh(x),
        "sin": torch.sin(x),
        "sinh": torch.sinh(x),
        "tan": torch.tan(x),
        "tanh": torch.tanh(x),
    }


def arithmetic(a: Tensor, b: Tensor | float) -> dict[str, Tensor]:
    """{"add", "div", "mul", "sub"} of a and b, where b is a tensor or a Python number."""
    return {
        "add": torch.add(a, b),
        "div": torch.div(a, b),
        "mul": torch.mul(a, b),
        "sub": torch.sub(a, b),
    }


# Dimension conventions


def colour_image(height: int, width: int) -> Tensor:
    """A black RGB image as a 3-D float32 tensor, channels first: (3, height, width)."""
    return torch.zeros(3, height, width)


def add_batch_dim(image: Tensor) -> Tensor:
    """The image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return image.unsqueeze(0)


def channels_first(batch: Tensor) -> Tensor:
    """A channels-last batch (B, H, W, C) in PyTorch's channels-first layout (B, C, H, W)."""
    return batch.permute(0, 3, 1, 2)


def example_shapes() -> dict[str, tuple[int, ...]]:
    """The shapes of the course's examples, batch first, then channels, in PyTorch's layout.

    - "signals": 16 stereo audio signals of 8000 samples each;
    - "activations": the activations of a hidden layer of 300 units for a batch of 64;
    - "images": 32 RGB images of 28 x 28 pixels;
    - "video": 4 RGB videos of 10 frames of 64 x 64 pixels, in Conv3d's (N, C, T, H, W).
    """
    return {
        "signals": (16, 2, 8000),
        "activations": (64, 300),
        "images": (32, 3, 28, 28),
        "video": (4, 3, 10, 64, 64),
    }
