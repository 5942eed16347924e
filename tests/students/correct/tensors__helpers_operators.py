"""Correct: small helper functions, chained [i][j] indexing, the @ operator, nonzero() index tuples and a hand-rolled LU determinant."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

FLOAT = torch.float32


def _copy(t: Tensor) -> Tensor:
    """A fresh copy of t that does not share memory with it."""
    return torch.empty_like(t).copy_(t)


def _shape(*dims: int) -> tuple[int, ...]:
    return tuple(int(d) for d in dims)


# Creating tensors


def make_full(shape: tuple[int, ...], value: float) -> Tensor:
    """A float32 tensor of the given shape filled with `value` (torch.full)."""
    return torch.full(shape, value, dtype=FLOAT)


def make_full_like(t: Tensor, value: float) -> Tensor:
    """A tensor with the shape and dtype of `t`, filled with `value` (torch.full_like)."""
    return torch.full_like(t, value)


def int16_from_values(values: list[list[int]]) -> Tensor:
    """A tensor built from nested Python lists, with dtype int16."""
    return torch.tensor(values, dtype=torch.short)


def share_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with the NumPy array (changing one changes the other)."""
    return torch.from_numpy(array)


def zeros_and_ones(shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """(zeros, ones) of the given shape, both float32."""
    zeros = torch.zeros(shape, dtype=torch.float)
    return zeros, torch.ones_like(zeros)


def zeros_and_ones_like(t: Tensor) -> tuple[Tensor, Tensor]:
    """(zeros, ones) with the shape and dtype of `t` (the _like forms)."""
    zeros = torch.zeros_like(t)
    ones = torch.ones_like(t)
    return (zeros, ones)


def seeded_randn(seed: int, shape: tuple[int, ...]) -> Tensor:
    """Standard-normal samples of `shape`, reproducible: seed torch's generator with `seed`."""
    torch.manual_seed(seed)
    return torch.randn(*shape) if shape else torch.randn(())


# Tensor I/O


def save_and_load(t: Tensor, path: Path) -> Tensor:
    """Save `t` to the file `path` with torch.save, then load it back and return it."""
    torch.save(obj=t, f=path)
    return torch.load(f=path)


# Slicing a matrix A


def element(A: Tensor, i: int, j: int) -> Tensor:
    """The element in row i, column j."""
    return A[i][j]


def column(A: Tensor, j: int) -> Tensor:
    """Column j, as a 1-D tensor."""
    return A.T[j]


def row(A: Tensor, i: int) -> Tensor:
    """Row i, as a 1-D tensor."""
    return A[i, :]


def row_range(A: Tensor, start: int, stop: int) -> Tensor:
    """Rows start, start + 1, ..., stop - 1."""
    return A[slice(start, stop), :]


def all_but_last_column(A: Tensor) -> Tensor:
    """Every column except the last, with a negative index."""
    return A[..., :-1]


def equals_three(A: Tensor) -> Tensor:
    """The boolean mask of the elements equal to 3."""
    return A.eq(other=3)


def replace_top_left(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A whose top-left block (the size of B) is replaced by B; A is unchanged."""
    rows, cols = B.size()
    out = _copy(A)
    out[:rows, :cols] = B
    return out


def four_where_three(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A set to 4 wherever B equals 3; A is unchanged."""
    out = _copy(A)
    out[torch.nonzero(B == 3, as_tuple=True)] = 4
    return out


# Manipulating tensors


def concatenate(tensors: list[Tensor], dim: int) -> Tensor:
    """The tensors joined along dimension `dim` (torch.cat)."""
    return torch.concatenate(tensors, dim)


def split_in_chunks(t: Tensor, chunks: int, dim: int) -> tuple[Tensor, ...]:
    """`t` split into `chunks` pieces along `dim` (torch.chunk)."""
    return torch.chunk(t, chunks, dim)


def flat_view(t: Tensor) -> Tensor:
    """A 1-D view of the contiguous tensor `t` that shares its storage (Tensor.view)."""
    return Tensor.view(t, -1)


def reshape_any(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t` with a new shape, also when `t` is not contiguous (where view fails)."""
    try:
        return t.view(shape)
    except RuntimeError:
        return t.reshape(shape)


def tile(t: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """`t` repeated `repeats[d]` times along each dimension d (Tensor.repeat).

    `repeats` may have more entries than `t` has dimensions: as in Tensor.repeat, the
    extra ones add leading dimensions.
    """
    return t.repeat(torch.Size(repeats))


def transpose_matrix(A: Tensor) -> Tensor:
    """The transpose of the 2-D tensor A."""
    return A.transpose(0, 1)


def swap_dims(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t` with dimensions dim0 and dim1 swapped (torch.transpose)."""
    return torch.swapaxes(t, dim0, dim1)


def sort_along(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """(sorted values, indices) of `t` sorted in ascending order along `dim`."""
    values, indices = t.sort(dim, False)
    return (values, indices)


# Math


def combine(A: Tensor, Y: Tensor, Z: Tensor, B: Tensor) -> Tensor:
    """A + Y * Z - B, elementwise."""
    total = A + torch.mul(Y, Z)
    return total - B


def reductions(A: Tensor) -> dict[str, Tensor]:
    """{"sum", "prod", "min", "max"} of all the elements of A, each a 0-d tensor."""
    return dict(sum=A.sum(), prod=A.prod(), min=A.amin(), max=A.amax())


def matrix_product(A: Tensor, B: Tensor) -> Tensor:
    """The matrix product of A and B (torch.mm)."""
    return A @ B


def inverse(A: Tensor) -> Tensor:
    """The inverse of the square matrix A."""
    return torch.linalg.inv(A)


def determinant(A: Tensor) -> Tensor:
    """The determinant of the square matrix A, a 0-d tensor."""
    LU, pivots, _info = torch.linalg.lu_factor_ex(A)
    swaps = (pivots != torch.arange(1, A.shape[0] + 1, device=A.device, dtype=pivots.dtype)).sum()
    sign = 1.0 - 2.0 * (swaps % 2).to(LU.dtype)
    return sign * LU.diagonal().prod()


# Elementwise functions


def elementwise(x: Tensor) -> dict[str, Tensor]:
    """{"exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"} applied to x elementwise."""
    out: dict[str, Tensor] = {}
    out["exp"] = torch.exp(x)
    out["log"] = torch.log(x)
    out["cos"], out["sin"], out["tan"] = x.cos(), x.sin(), x.tan()
    out["cosh"], out["sinh"], out["tanh"] = x.cosh(), x.sinh(), x.tanh()
    return out


def arithmetic(a: Tensor, b: Tensor | float) -> dict[str, Tensor]:
    """{"add", "div", "mul", "sub"} of a and b, where b is a tensor or a Python number."""
    return {
        "add": torch.add(a, b),
        "div": torch.div(a, b, rounding_mode=None),
        "mul": torch.mul(a, b),
        "sub": torch.sub(a, b),
    }


# Dimension conventions


def colour_image(height: int, width: int) -> Tensor:
    """A black RGB image as a 3-D float32 tensor, channels first: (3, height, width)."""
    return torch.zeros(_shape(3, height, width), dtype=torch.float)


def add_batch_dim(image: Tensor) -> Tensor:
    """The image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return torch.unsqueeze(image, dim=0)


def channels_first(batch: Tensor) -> Tensor:
    """A channels-last batch (B, H, W, C) in PyTorch's channels-first layout (B, C, H, W)."""
    return batch.permute(0, -1, 1, 2)


def example_shapes() -> dict[str, tuple[int, ...]]:
    """The shapes of the course's examples, batch first, then channels, in PyTorch's layout.

    - "signals": 16 stereo audio signals of 8000 samples each;
    - "activations": the activations of a hidden layer of 300 units for a batch of 64;
    - "images": 32 RGB images of 28 x 28 pixels;
    - "video": 4 RGB videos of 10 frames of 64 x 64 pixels, in Conv3d's (N, C, T, H, W).
    """
    return {
        "signals": _shape(16, 2, 8000),  # (N, C, L)
        "activations": _shape(64, 300),  # (N, features)
        "images": _shape(32, 3, 28, 28),  # (N, C, H, W)
        "video": _shape(4, 3, 10, 64, 64),  # (N, C, T, H, W)
    }
