"""The grader's training recipes and fast data path, as plain torch.

The checker trains the network it verified (grader/kit/variants.py) with these:
MNIST normalised on the device once, served by DataLoaders that slice whole batches of a
seeded permutation. No student code runs here; they live beside the worker's datasets
only because they share its loaders.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from grader.worker.datasets import Loader, chunk_loader

MEAN, STD = 0.1307, 0.3081


@dataclass(frozen=True)
class DeviceData:
    """Normalised images (N, 1, 28, 28) float32 and labels (N,) int64, both on one device."""

    images: Tensor
    labels: Tensor

    @staticmethod
    def from_uint8(images: Tensor, labels: Tensor, device: torch.device) -> DeviceData:
        return DeviceData(normalise(images, device), labels.to(device))

    def __len__(self) -> int:
        return len(self.labels)


def normalise(images: Tensor, device: torch.device) -> Tensor:
    return images.to(device).unsqueeze(1).float().div_(255).sub_(MEAN).div_(STD)


def shuffled_chunks(data: DeviceData, batch_size: int, chunk: int, seed: int) -> Iterator[Loader]:
    """Endless DataLoaders of `chunk` samples each, a fresh seeded permutation every epoch."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(data), generator=generator).to(data.labels.device)
        for start in range(0, len(data), chunk):
            yield chunk_loader(data.images, data.labels, batch_size, order[start : start + chunk])


def one_cycle(model: nn.Module, max_lr: float, momentum: float = 0.9) -> Callable[[Loader], None]:
    """The grader's fixed recipe: each chunk is one cycle of SGD with Nesterov momentum and a
    one-cycle learning rate (warm up to `max_lr`, anneal to almost zero), so every chunk ends
    on a settled model that is worth evaluating."""

    def train_chunk(batches: Loader) -> None:
        optimizer = torch.optim.SGD(model.parameters(), lr=max_lr, momentum=momentum, nesterov=True)
        schedule = torch.optim.lr_scheduler.OneCycleLR(
            optimizer, max_lr=max_lr, total_steps=len(batches), pct_start=0.25
        )
        model.train()
        criterion = nn.CrossEntropyLoss()
        for images, labels in batches:
            optimizer.zero_grad()
            criterion(model(images), labels).backward()
            optimizer.step()
            schedule.step()

    return train_chunk


def fastest_layout(model: nn.Module, images: Tensor) -> None:
    """Channels-last weights on the CPU: the grader's recipe trains a CNN 1.5x faster. A
    forward that cannot take that layout (`x.view` after a convolution) keeps the default;
    the trial runs in eval mode, so batch-norm statistics do not move."""
    if images.device.type != "cpu":
        return
    was_training = model.training
    model.to(memory_format=torch.channels_last).eval()
    try:
        with torch.no_grad():
            model(images)
    except Exception:
        model.to(memory_format=torch.contiguous_format)
    finally:
        model.train(was_training)
