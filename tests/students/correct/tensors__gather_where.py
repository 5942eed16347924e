"""Correct: gather / torch.where / argsort+gather / einsum / permute, with padded masks for the copies instead of slice assignment."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

# Creating tensors


def make_full(shape: tuple[int, ...], value: float) -> Tensor:
    """A float32 tensor of the given shape filled with `value` (torch.full)."""
    return torch.full(tuple(shape), value).to(torch.float32)


def make_full_like(t: Tensor, value: float) -> Tensor:
    """A tensor with the shape and dtype of `t`, filled with `value` (torch.full_like)."""
    return torch.full_like(t, fill_value=value)


def int16_from_values(values: list[list[int]]) -> Tensor:
    """A tensor built from nested Python lists, with dtype int16."""
    return torch.as_tensor(values, dtype=torch.int16)


def share_numpy(array: np.ndarray) -> Tensor:
    """A tensor that shares memory with the NumPy array (changing one changes the other)."""
    return torch.from_numpy(array)


def zeros_and_ones(shape: tuple[int, ...]) -> tuple[Tensor, Tensor]:
    """(zeros, ones) of the given shape, both float32."""
    size = torch.Size(shape)
    return torch.zeros(size, dtype=torch.float32), torch.ones(size, dtype=torch.float32)


def zeros_and_ones_like(t: Tensor) -> tuple[Tensor, Tensor]:
    """(zeros, ones) with the shape and dtype of `t` (the _like forms)."""
    return torch.zeros_like(t, dtype=t.dtype), torch.ones_like(t, dtype=t.dtype)


def seeded_randn(seed: int, shape: tuple[int, ...]) -> Tensor:
    """Standard-normal samples of `shape`, reproducible: seed torch's generator with `seed`."""
    torch.default_generator.manual_seed(seed)
    return torch.randn(shape, dtype=torch.float32)


# Tensor I/O


def save_and_load(t: Tensor, path: Path) -> Tensor:
    """Save `t` to the file `path` with torch.save, then load it back and return it."""
    torch.save(t, str(path))
    loaded = torch.load(str(path))
    return loaded


# Slicing a matrix A


def _positive(i: int, size: int) -> int:
    return i + size if i < 0 else i


def element(A: Tensor, i: int, j: int) -> Tensor:
    """The element in row i, column j."""
    i, j = _positive(i, A.shape[0]), _positive(j, A.shape[1])
    rows = A.gather(0, torch.full((1, A.shape[1]), i, dtype=torch.long, device=A.device))
    return rows.gather(1, torch.full((1, 1), j, dtype=torch.long, device=A.device)).squeeze()


def column(A: Tensor, j: int) -> Tensor:
    """Column j, as a 1-D tensor."""
    j = _positive(j, A.shape[1])
    index = torch.full((A.shape[0], 1), j, dtype=torch.long, device=A.device)
    return torch.gather(A, 1, index).squeeze(1)


def row(A: Tensor, i: int) -> Tensor:
    """Row i, as a 1-D tensor."""
    i = _positive(i, A.shape[0])
    index = torch.full((1, A.shape[1]), i, dtype=torch.long, device=A.device)
    return torch.gather(A, 0, index).squeeze(0)


def row_range(A: Tensor, start: int, stop: int) -> Tensor:
    """Rows start, start + 1, ..., stop - 1."""
    first, last, _ = slice(start, stop).indices(A.shape[0])
    positions = torch.arange(A.shape[0], device=A.device)
    return A[(positions >= first) & (positions < last)]


def all_but_last_column(A: Tensor) -> Tensor:
    """Every column except the last, with a negative index."""
    return A.T[:-1].T


def equals_three(A: Tensor) -> Tensor:
    """The boolean mask of the elements equal to 3."""
    return torch.eq(A, torch.tensor(3, device=A.device))


def replace_top_left(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A whose top-left block (the size of B) is replaced by B; A is unchanged."""
    (height, width), (h, w) = A.shape, B.shape
    inside = (torch.arange(height, device=A.device)[:, None] < h) & (
        torch.arange(width, device=A.device)[None, :] < w
    )
    padded = F.pad(B.to(A.dtype), (0, width - w, 0, height - h))
    return torch.where(inside, padded, A)


def four_where_three(A: Tensor, B: Tensor) -> Tensor:
    """A copy of A set to 4 wherever B equals 3; A is unchanged."""
    return torch.where(B == 3, torch.full_like(A, 4), A)


# Manipulating tensors


def concatenate(tensors: list[Tensor], dim: int) -> Tensor:
    """The tensors joined along dimension `dim` (torch.cat)."""
    return torch.concat(list(tensors), dim=dim)


def split_in_chunks(t: Tensor, chunks: int, dim: int) -> tuple[Tensor, ...]:
    """`t` split into `chunks` pieces along `dim` (torch.chunk)."""
    pieces = torch.chunk(t, chunks, dim)
    return tuple(piece for piece in pieces)


def flat_view(t: Tensor) -> Tensor:
    """A 1-D view of the contiguous tensor `t` that shares its storage (Tensor.view)."""
    return t.view(torch.Size([t.numel()]))


def reshape_any(t: Tensor, shape: tuple[int, ...]) -> Tensor:
    """`t` with a new shape, also when `t` is not contiguous (where view fails)."""
    return t.reshape(shape=shape)


def tile(t: Tensor, repeats: tuple[int, ...]) -> Tensor:
    """`t` repeated `repeats[d]` times along each dimension d (Tensor.repeat).

    `repeats` may have more entries than `t` has dimensions: as in Tensor.repeat, the
    extra ones add leading dimensions.
    """
    return t.repeat(tuple(repeats))


def transpose_matrix(A: Tensor) -> Tensor:
    """The transpose of the 2-D tensor A."""
    return A.permute(1, 0)


def swap_dims(t: Tensor, dim0: int, dim1: int) -> Tensor:
    """`t` with dimensions dim0 and dim1 swapped (torch.transpose)."""
    ndim = max(t.dim(), 1)
    dim0, dim1 = dim0 % ndim, dim1 % ndim
    order = list(range(t.dim()))
    if dim0 != dim1:
        order[dim0], order[dim1] = order[dim1], order[dim0]
    return t.permute(order)


def sort_along(t: Tensor, dim: int) -> tuple[Tensor, Tensor]:
    """(sorted values, indices) of `t` sorted in ascending order along `dim`."""
    indices = torch.argsort(t, dim=dim)
    return torch.gather(t, dim, indices), indices


# Math


def combine(A: Tensor, Y: Tensor, Z: Tensor, B: Tensor) -> Tensor:
    """A + Y * Z - B, elementwise."""
    return torch.addcmul(A, Y, Z) - B


def reductions(A: Tensor) -> dict[str, Tensor]:
    """{"sum", "prod", "min", "max"} of all the elements of A, each a 0-d tensor."""
    flat = A.reshape(-1)
    return {
        "sum": flat.sum(dim=0),
        "prod": flat.prod(dim=0),
        "min": flat.min(dim=0).values,
        "max": flat.max(dim=0).values,
    }


def matrix_product(A: Tensor, B: Tensor) -> Tensor:
    """The matrix product of A and B (torch.mm)."""
    return torch.einsum("ik,kj->ij", A, B)


def inverse(A: Tensor) -> Tensor:
    """The inverse of the square matrix A."""
    identity = torch.eye(A.shape[0], dtype=A.dtype, device=A.device)
    return torch.linalg.solve(A, identity)


def determinant(A: Tensor) -> Tensor:
    """The determinant of the square matrix A, a 0-d tensor."""
    sign, logabsdet = torch.linalg.slogdet(A)
    return sign * torch.exp(logabsdet)


# Elementwise functions


def elementwise(x: Tensor) -> dict[str, Tensor]:
    """{"exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"} applied to x elementwise."""
    names = ["exp", "log", "cos", "cosh", "sin", "sinh", "tan", "tanh"]
    return {name: getattr(x, name)() for name in names}


def arithmetic(a: Tensor, b: Tensor | float) -> dict[str, Tensor]:
    """{"add", "div", "mul", "sub"} of a and b, where b is a tensor or a Python number."""
    return {
        "add": torch.add(a, b),
        "div": torch.true_divide(a, b),
        "mul": torch.multiply(a, b),
        "sub": torch.subtract(a, b),
    }


# Dimension conventions


def colour_image(height: int, width: int) -> Tensor:
    """A black RGB image as a 3-D float32 tensor, channels first: (3, height, width)."""
    return torch.empty(3, height, width, dtype=torch.float32).zero_()


def add_batch_dim(image: Tensor) -> Tensor:
    """The image (C, H, W) as a batch of one image, (1, C, H, W)."""
    return torch.stack((image,))


def channels_first(batch: Tensor) -> Tensor:
    """A channels-last batch (B, H, W, C) in PyTorch's channels-first layout (B, C, H, W)."""
    return torch.einsum("bhwc->bchw", batch)


def example_shapes() -> dict[str, tuple[int, ...]]:
    """The shapes of the course's examples, batch first, then channels, in PyTorch's layout.

    - "signals": 16 stereo audio signals of 8000 samples each;
    - "activations": the activations of a hidden layer of 300 units for a batch of 64;
    - "images": 32 RGB images of 28 x 28 pixels;
    - "video": 4 RGB videos of 10 frames of 64 x 64 pixels, in Conv3d's (N, C, T, H, W).
    """
    keys = ("signals", "activations", "images", "video")
    shapes = ((16, 2, 8000), (64, 300), (32, 3, 28, 28), (4, 3, 10, 64, 64))
    return dict(zip(keys, shapes))
