"""Part 1: tensors.

Every function below is one operation from the course's tensor section. Use torch's
real API (there is no `torch.view(tensor, shape)` and no `torch.mult`: use
`tensor.view(shape)` and `torch.mul`). Return new tensors; never change an input in
place unless the docstring says so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

# Creating tensors


def make_full(shape: tuple[int, ...], value: float) -> Tensor:
    """A float32 tensor of the given shape filled with `value` (torch.full)."""
    # BEGIN SOLUTION
    return torch.full(shape, value, dtype=torch.float32)
    # END SOLUTION


def make_full_like(t: Tensor, value: float) -> Tensor:
    """A tensor with the shape and dtype of `t`, filled with `value` (torch.full_like)."""
    # BEGIN SOLUTION
    return torch.full_like(t, value)
    # END SOLUTION


def int16_from_values(values: list[list[int]]) -> Tensor:
    """A tensor built from nested Python lists, with dtype int16."""
    # BEGIN SOLUTION
    return torch.tensor(values, dtype=torch.int16)
    # END SOLUTION


def share_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with the NumPy array (changing one changes the other)."""
    # BEGIN SOLUTION
    return torch.from_numpy(array)
    # END SOLUTION


def zeros_and_ones(shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """(zeros, ones) of the given shape, both float32."""
    # BEGIN SOLUTION
    return torch.zeros(shape), torch.ones(shape)
    # END SOLUTION


def zeros_and_ones_like(t: Tensor) -> tuple[Tensor, Tensor]:
    """(zeros, ones) with the shape and dtype of `t` (the _like forms)."""
    # BEGIN SOLUTION
    return torch.zeros_like(t), torch.ones_like(t)
    # END SOLUTION


def seeded_randn(seed: int, shape: tuple[int, ...]) -> Tensor:
    """Standard-normal samples of `shape`, reproducible: seed torch's generator with `seed`."""
    # BEGIN SOLUTION
    torch.manual_seed(seed)
    return torch.randn(shape)
    # END SOLUTION


# Tensor I/O


def save_and_load(t: Tensor, path: Path) -> Tensor:
    """Save `t` to the file `path` with torch.save, then load it back and return it."""
    # BEGIN SOLUTION
    torch.save(t, path)
    return torch.load(path)
    # END SOLUTION


# Slicing a matrix A


def element(A: Tensor, i: int, j: int) -> Tensor:
    """The element in row i, column j."""
    # BEGIN SOLUTION
    return A[i, j]
    # END SOLUTION


def column(A: Tensor, j: int) -> Tensor:
    """Column j, as a 1-D tensor."""
    # BEGIN SOLUTION
    return A[:, j]
    # END SOLUTION


def row(A: Tensor, i: int) -> Tensor:
    """Row i, as a 1-D tensor."""
    # BEGIN SOLUTION
    return A[i]
    # END SOLUTION


def row_range(A: Tensor, start: int, stop: int) -> Tensor:
    """Rows start, start + 1, ..., stop - 1."""
    # BEGIN SOLUTION
    return A[start:stop]
    # END SOLUTION


def all_but_last_column(A: Tensor) -> Tensor:
    """Every column except the last, with a negative index."""
    # BEGIN SOLUTION
    return A[:, :-1]
    # END SOLUTION


def equals_three(A: Tensor) -> Tensor:
    """The boolean mask of the elements equal to 3."""
    # BEGIN SOLUTION
    return A == 3
    # END SOLUTION


def replace_top_left(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A whose top-left block (the size of B) is replaced by B; A is unchanged."""
    # BEGIN SOLUTION
    out = A.clone()
    out[: B.shape[0], : B.shape[1]] = B
    return out
    # END SOLUTION


def four_where_three(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A set to 4 wherever B equals 3; A is unchanged."""
    # BEGIN SOLUTION
    out = A.clone()
    out[B == 3] = 4
    return out
    # END SOLUTION


# Manipulating tensors


def concatenate(tensors: list[Tensor], dim: int) -> Tensor:
    """The tensors joined along dimension `dim` (torch.cat)."""
    # BEGIN SOLUTION
    return torch.cat(tensors, dim=dim)
    # END SOLUTION


def split_in_chunks(t: Tensor, chunks: int, dim: int) -> tuple[Tensor, ...]:
    """`t` split into `chunks` pieces along `dim` (torch.chunk)."""
    # BEGIN SOLUTION
    return torch.chunk(t, chunks, dim=dim)
    # END SOLUTION


def flat_view(t: Tensor) -> Tensor:
    """A 1-D view of the contiguous tensor `t` that shares its storage (Tensor.view)."""
    # BEGIN SOLUTION
    return t.view(-1)
    # END SOLUTION


def reshape_any(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t` with a new shape, also when `t` is not contiguous (where view fails)."""
    # BEGIN SOLUTION
    return t.reshape(shape)
    # END SOLUTION


def tile(t: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """`t` repeated `repeats[d]` times along each dimension d (Tensor.repeat).

    `repeats` may have more entries than `t` has dimensions: as in Tensor.repeat, the
    extra ones add leading dimensions.
    """
    # BEGIN SOLUTION
    return t.repeat(*repeats)
    # END SOLUTION


def transpose_matrix(A: Tensor) -> Tensor:
    """The transpose of the 2-D tensor A."""
    # BEGIN SOLUTION
    return A.t()
    # END SOLUTION


def swap_dims(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t` with dimensions dim0 and dim1 swapped (torch.transpose)."""
    # BEGIN SOLUTION
    return t.transpose(dim0, dim1)
    # END SOLUTION


def sort_along(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """(sorted values, indices) of `t` sorted in ascending order along `dim`."""
    # BEGIN SOLUTION
    values, indices = torch.sort(t, dim=dim)
    return values, indices
    # END SOLUTION


# Math


def combine(A: Tensor, Y: Tensor, Z: Tensor, B: Tensor) -> Tensor:
    """A + Y * Z - B, elementwise."""
    # BEGIN SOLUTION
    return A + Y * Z - B
    # END SOLUTION


def reductions(A: Tensor) -> dict[str, Tensor]:
    """{"sum", "prod", "min", "max"} of all the elements of A, each a 0-d tensor."""
    # BEGIN SOLUTION
    return {"sum": A.sum(), "prod": A.prod(), "min": A.min(), "max": A.max()}
    # END SOLUTION


def matrix_product(A: Tensor, B: Tensor) -> Tensor:
    """The matrix product of A and B (torch.mm)."""
    # BEGIN SOLUTION
    return torch.mm(A, B)
    # END SOLUTION


def inverse(A: Tensor) -> Tensor:
    """The inverse of the square matrix A."""
    # BEGIN SOLUTION
    return torch.linalg.inv(A)
    # END SOLUTION


def determinant(A: Tensor) -> Tensor:
    """The determinant of the square matrix A, a 0-d tensor."""
    # BEGIN SOLUTION
    return torch.linalg.det(A)
    # END SOLUTION


# Elementwise functions


def elementwise(x: Tensor) -> dict[str, Tensor]:
    """{"exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"} applied to x elementwise."""
    # BEGIN SOLUTION
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
    # END SOLUTION


def arithmetic(a: Tensor, b: Tensor | float) -> dict[str, Tensor]:
    """{"add", "div", "mul", "sub"} of a and b, where b is a tensor or a Python number."""
    # BEGIN SOLUTION
    return {
        "add": torch.add(a, b),
        "div": torch.div(a, b),
        "mul": torch.mul(a, b),
        "sub": torch.sub(a, b),
    }
    # END SOLUTION


# Dimension conventions


def colour_image(height: int, width: int) -> Tensor:
    """A black RGB image as a 3-D float32 tensor, channels first: (3, height, width)."""
    # BEGIN SOLUTION
    return torch.zeros(3, height, width)
    # END SOLUTION


def add_batch_dim(image: Tensor) -> Tensor:
    """The image (C, H, W) as a batch of one image, (1, C, H, W)."""
    # BEGIN SOLUTION
    return image.unsqueeze(0)
    # END SOLUTION


def channels_first(batch: Tensor) -> Tensor:
    """A channels-last batch (B, H, W, C) in PyTorch's channels-first layout (B, C, H, W)."""
    # BEGIN SOLUTION
    return batch.permute(0, 3, 1, 2)
    # END SOLUTION


def example_shapes() -> dict[str, tuple[int, ...]]:
    """The shapes of the course's examples, batch first, then channels, in PyTorch's layout.

    - "signals": 16 stereo audio signals of 8000 samples each;
    - "activations": the activations of a hidden layer of 300 units for a batch of 64;
    - "images": 32 RGB images of 28 x 28 pixels;
    - "video": 4 RGB videos of 10 frames of 64 x 64 pixels, in Conv3d's (N, C, T, H, W).
    """
    # BEGIN SOLUTION
    return {
        "signals": (16, 2, 8000),
        "activations": (64, 300),
        "images": (32, 3, 28, 28),
        "video": (4, 3, 10, 64, 64),
    }
    # END SOLUTION
