"""Real DataLoaders for the checks, so any correct use of the DataLoader API works.

Student loops receive what the course teaches: `torch.utils.data.DataLoader` objects
with `.dataset`, `.batch_size`, `len()` and a short last batch. The small loaders wrap a
TensorDataset; the training loaders serve whole batches of the grader's tensors already
on the device (`__getitems__`), so they cost about what slicing costs.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from grader.kit.assertions import type_name
from grader.worker.datasets import (
    Batch,
    Loader,
    SampleDataset,
    chunk_loader,
    random_loader,
    tensor_loader,
)

__all__ = [
    "Batch",
    "Loader",
    "SampleDataset",
    "chunk_loader",
    "random_loader",
    "served",
    "tensor_loader",
    "train_and_test",
]


def train_and_test() -> tuple[SampleDataset, SampleDataset]:
    """Two datasets told apart by their labels: train 0..39, test 100..120."""
    train = SampleDataset(torch.randn(40, 1, 28, 28), torch.arange(40))
    return train, SampleDataset(torch.randn(21, 1, 28, 28), torch.arange(100, 121))


def served(loader: Any, what: str) -> Tensor:
    """Every label a loader yields, in order."""
    labels = []
    for batch in loader:
        assert isinstance(batch, tuple | list) and len(batch) == 2, (
            f"make_loaders: the {what} yields {type_name(batch)}, expected (images, labels)"
        )
        labels.append(torch.as_tensor(batch[1]).reshape(-1))
    return torch.cat(labels) if labels else torch.zeros(0, dtype=torch.long)
