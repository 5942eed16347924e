"""Real DataLoaders, so any correct use of the DataLoader API works.

Student loops receive what the course teaches: `torch.utils.data.DataLoader` objects
with `.dataset`, `.batch_size`, `len()` and a short last batch. The small loaders wrap a
TensorDataset; the training loaders serve whole batches of tensors already on the
device (`__getitems__`), so they cost about what slicing costs. Built in the checker and
sent to the worker, or built in the worker; nothing here judges.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, TensorDataset

Batch = tuple[Tensor, Tensor]
Loader = DataLoader[Any]


def whole_batch(batch: Any) -> Any:
    """The collate function for datasets whose `__getitems__` already returns a batch."""
    return batch


def tensor_loader(images: Tensor, labels: Tensor, batch_size: int) -> Loader:
    """A plain, unshuffled DataLoader over these images and labels."""
    return DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=False)


def random_loader(
    sizes: Sequence[int], collate: Callable[[list[Any]], Any] | None = None
) -> Loader:
    """A plain, unshuffled DataLoader of random images and digit labels, in batches of
    sizes[0] with a shorter last one, sizes[-1]: what a DataLoader over a dataset yields."""
    total = sum(sizes)
    assert all(n == sizes[0] for n in sizes[:-1]) and sizes[-1] <= sizes[0]
    dataset = TensorDataset(torch.randn(total, 1, 28, 28), torch.randint(0, 10, (total,)))
    return DataLoader(dataset, batch_size=sizes[0], shuffle=False, collate_fn=collate)


class SampleDataset(Dataset[tuple[Tensor, int]]):
    """A dataset served the way the course's MnistDataset serves it: (image, int label)."""

    def __init__(self, images: Tensor, labels: Tensor) -> None:
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        return self.images[index], int(self.labels[index])


class ChunkDataset(Dataset[Batch]):
    """`order`'s samples of normalised images and labels held on one device."""

    def __init__(self, images: Tensor, labels: Tensor, order: Tensor | None) -> None:
        self.images, self.labels, self.order = images, labels, order

    def __len__(self) -> int:
        return len(self.order) if self.order is not None else len(self.labels)

    def __getitem__(self, index: int) -> Batch:
        images, labels = self.__getitems__([index])
        return images[0], labels[0]

    def __getitems__(self, indices: list[int]) -> Batch:
        """A whole batch by one slice (the sampler is sequential) or one gather."""
        first, last = indices[0], indices[-1]
        if last - first + 1 == len(indices):
            picked: slice | Tensor = slice(first, last + 1)
        else:
            picked = torch.tensor(indices, device=self.labels.device)
        if self.order is not None:
            picked = self.order[picked]
        return self.images[picked], self.labels[picked]


def chunk_loader(
    images: Tensor, labels: Tensor, batch_size: int, order: Tensor | None = None
) -> Loader:
    """A DataLoader over `order`'s samples (all, in order, when None), batch by batch."""
    dataset = ChunkDataset(images, labels, order)
    return DataLoader(dataset, batch_size=batch_size, shuffle=False, collate_fn=whole_batch)
