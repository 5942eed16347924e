"""Training in the worker: the student's train_epoch, or the grader's recipe for LeNet.

The worker holds MNIST's training split only (the checker sends it; the test labels never
reach the worker). Each chunk of training returns the trained parameters as data; the
checker measures test accuracy with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

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


def student_loop(module: Any, model: nn.Module, device: torch.device) -> Callable[[Loader], Any]:
    """Chunks trained by the student's train_epoch with Adam (lr 1e-3)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    return lambda batches: module.train_epoch(model, batches, optimizer, criterion, device)


@dataclass
class Run:
    """One model being trained chunk by chunk."""

    model: nn.Module
    train: Callable[[Loader], Any]
    chunks: Iterator[Loader]


def prepared(data: dict[str, Any], device: torch.device) -> DeviceData:
    key = f"prepared:{device}"
    if key not in data:
        data[key] = DeviceData.from_uint8(data["train_images"], data["train_labels"], device)
    return data[key]  # type: ignore[no-any-return]


def start_training(
    data: dict[str, Any], module: Any, model: nn.Module, recipe: str, options: dict[str, Any]
) -> Run:
    device = torch.device(options["device"])
    model.to(device)
    if recipe == "one_cycle":
        fastest_layout(model, prepared(data, device).images[:2])
        train = one_cycle(model, options["max_lr"])
    else:
        train = student_loop(module, model, device)
    chunks = shuffled_chunks(
        prepared(data, device), options["batch_size"], options["chunk"], options["seed"]
    )
    return Run(model, train, chunks)


def train_chunk(_: Any, run: Run) -> dict[str, Any]:
    """Train one chunk; the parameters after it (in order, with names) and the samples."""
    loader = next(run.chunks)
    run.train(loader)
    parameters = [(n, p.detach()) for n, p in run.model.named_parameters()]
    return {"parameters": parameters, "samples": len(loader.dataset)}  # type: ignore[arg-type]


@torch.no_grad()
def predict(_: Any, model: nn.Module, images: Tensor, batch_size: int = 500) -> Tensor:
    """The model's predicted digit for each image (in eval mode; the mode is restored)."""
    was_training = model.training
    model.eval()
    found = [
        model(images[s : s + batch_size]).argmax(dim=1) for s in range(0, len(images), batch_size)
    ]
    model.train(was_training)
    return torch.cat(found)


PROBES: dict[str, Callable[..., Any]] = {
    "start_training": start_training,
    "train_chunk": train_chunk,
    "predict": predict,
}
