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
    # TODO(student): write your code here
    raise NotImplementedError("tensors: make_full")


def make_full_like(t: Tensor, value: float) -> Tensor:
    """A tensor with the shape and dtype of `t`, filled with `value` (torch.full_like)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: make_full_like")


def int16_from_values(values: list[list[int]]) -> Tensor:
    """A tensor built from nested Python lists, with dtype int16."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: int16_from_values")


def share_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with the NumPy array (changing one changes the other)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: share_numpy")


def zeros_and_ones(shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """(zeros, ones) of the given shape, both float32."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: zeros_and_ones")


def zeros_and_ones_like(t: Tensor) -> tuple[Tensor, Tensor]:
    """(zeros, ones) with the shape and dtype of `t` (the _like forms)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: zeros_and_ones_like")


def seeded_randn(seed: int, shape: tuple[int, ...]) -> Tensor:
    """Standard-normal samples of `shape`, reproducible: seed torch's generator with `seed`."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: seeded_randn")


# Tensor I/O


def save_and_load(t: Tensor, path: Path) -> Tensor:
    """Save `t` to the file `path` with torch.save, then load it back and return it."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: save_and_load")


# Slicing a matrix A


def element(A: Tensor, i: int, j: int) -> Tensor:
    """The element in row i, column j."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: element")


def column(A: Tensor, j: int) -> Tensor:
    """Column j, as a 1-D tensor."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: column")


def row(A: Tensor, i: int) -> Tensor:
    """Row i, as a 1-D tensor."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: row")


def row_range(A: Tensor, start: int, stop: int) -> Tensor:
    """Rows start, start + 1, ..., stop - 1."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: row_range")


def all_but_last_column(A: Tensor) -> Tensor:
    """Every column except the last, with a negative index."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: all_but_last_column")


def equals_three(A: Tensor) -> Tensor:
    """The boolean mask of the elements equal to 3."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: equals_three")


def replace_top_left(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A whose top-left block (the size of B) is replaced by B; A is unchanged."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: replace_top_left")


def four_where_three(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A set to 4 wherever B equals 3; A is unchanged."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: four_where_three")


# Manipulating tensors


def concatenate(tensors: list[Tensor], dim: int) -> Tensor:
    """The tensors joined along dimension `dim` (torch.cat)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: concatenate")


def split_in_chunks(t: Tensor, chunks: int, dim: int) -> tuple[Tensor, ...]:
    """`t` split into `chunks` pieces along `dim` (torch.chunk)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: split_in_chunks")


def flat_view(t: Tensor) -> Tensor:
    """A 1-D view of the contiguous tensor `t` that shares its storage (Tensor.view)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: flat_view")


def reshape_any(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t` with a new shape, also when `t` is not contiguous (where view fails)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: reshape_any")


def tile(t: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """`t` repeated `repeats[d]` times along each dimension d (Tensor.repeat).

    `repeats` may have more entries than `t` has dimensions: as in Tensor.repeat, the
    extra ones add leading dimensions.
    """
    # TODO(student): write your code here
    raise NotImplementedError("tensors: tile")


def transpose_matrix(A: Tensor) -> Tensor:
    """The transpose of the 2-D tensor A."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: transpose_matrix")


def swap_dims(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t` with dimensions dim0 and dim1 swapped (torch.transpose)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: swap_dims")


def sort_along(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """(sorted values, indices) of `t` sorted in ascending order along `dim`."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: sort_along")


# Math


def combine(A: Tensor, Y: Tensor, Z: Tensor, B: Tensor) -> Tensor:
    """A + Y * Z - B, elementwise."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: combine")


def reductions(A: Tensor) -> dict[str, Tensor]:
    """{"sum", "prod", "min", "max"} of all the elements of A, each a 0-d tensor."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: reductions")


def matrix_product(A: Tensor, B: Tensor) -> Tensor:
    """The matrix product of A and B (torch.mm)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: matrix_product")


def inverse(A: Tensor) -> Tensor:
    """The inverse of the square matrix A."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: inverse")


def determinant(A: Tensor) -> Tensor:
    """The determinant of the square matrix A, a 0-d tensor."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: determinant")


# Elementwise functions


def elementwise(x: Tensor) -> dict[str, Tensor]:
    """{"exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"} applied to x elementwise."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: elementwise")


def arithmetic(a: Tensor, b: Tensor | float) -> dict[str, Tensor]:
    """{"add", "div", "mul", "sub"} of a and b, where b is a tensor or a Python number."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: arithmetic")


# Dimension conventions


def colour_image(height: int, width: int) -> Tensor:
    """A black RGB image as a 3-D float32 tensor, channels first: (3, height, width)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: colour_image")


def add_batch_dim(image: Tensor) -> Tensor:
    """The image (C, H, W) as a batch of one image, (1, C, H, W)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: add_batch_dim")


def channels_first(batch: Tensor) -> Tensor:
    """A channels-last batch (B, H, W, C) in PyTorch's channels-first layout (B, C, H, W)."""
    # TODO(student): write your code here
    raise NotImplementedError("tensors: channels_first")


def example_shapes() -> dict[str, tuple[int, ...]]:
    """The shapes of the course's examples, batch first, then channels, in PyTorch's layout.

    - "signals": 16 stereo audio signals of 8000 samples each;
    - "activations": the activations of a hidden layer of 300 units for a batch of 64;
    - "images": 32 RGB images of 28 x 28 pixels;
    - "video": 4 RGB videos of 10 frames of 64 x 64 pixels, in Conv3d's (N, C, T, H, W).
    """
    # TODO(student): write your code here
    raise NotImplementedError("tensors: example_shapes")
