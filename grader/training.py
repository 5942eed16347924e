"""The grader's own fast data path, evaluation and train-until-threshold loop.

MNIST is loaded once into tensors, normalised on the device once per checker process,
and served by real DataLoaders that slice whole batches of a seeded permutation: no
per-sample Python or PIL work on the hot path. Accuracy checks train in chunks and
evaluate the full test set between them, so they stop as soon as the threshold is reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from grader.loaders import Loader, chunk_loader

if TYPE_CHECKING:
    from grader.data import Mnist

MEAN, STD = 0.1307, 0.3081


@dataclass(frozen=True)
class DeviceData:
    """Normalised images (N, 1, 28, 28) float32 and labels (N,) int64, both on one device."""

    images: Tensor
    labels: Tensor

    @staticmethod
    def from_uint8(images: Tensor, labels: Tensor, device: torch.device) -> DeviceData:
        x = images.to(device).unsqueeze(1).float().div_(255).sub_(MEAN).div_(STD)
        return DeviceData(x, labels.to(device))

    def __len__(self) -> int:
        return len(self.labels)


def shuffled_chunks(data: DeviceData, batch_size: int, chunk: int, seed: int) -> Iterator[Loader]:
    """Endless DataLoaders of `chunk` samples each, a fresh seeded permutation every epoch."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(data), generator=generator).to(data.labels.device)
        for start in range(0, len(data), chunk):
            yield chunk_loader(data.images, data.labels, batch_size, order[start : start + chunk])


# 500 images per evaluation batch: twice as fast as 2,000 for a CNN on the CPU (the
# activations stay in cache) and no slower elsewhere.
@torch.no_grad()
def accuracy(model: nn.Module, data: DeviceData, batch_size: int = 500) -> float:
    """The fraction of correctly classified samples, in eval mode; the mode is restored."""
    was_training = model.training
    model.eval()
    correct = 0
    for start in range(0, len(data), batch_size):
        images, labels = (
            data.images[start : start + batch_size],
            data.labels[start : start + batch_size],
        )
        correct += int((model(images).argmax(dim=1) == labels).sum())
    model.train(was_training)
    return correct / len(data)


@dataclass(frozen=True)
class TrainingRecord:
    """What a trained-accuracy check reports: enough to defend or reproduce the score."""

    accuracy: float
    samples: int
    seconds: float
    device: str
    reached: bool
    curve: list[tuple[int, float]] = field(default_factory=list)


def train_until(
    model: nn.Module,
    train_chunk: Callable[[Loader], object],
    train: DeviceData,
    test: DeviceData,
    *,
    threshold: float,
    max_epochs: float,
    batch_size: int = 128,
    chunk: int = 10_000,
    seed: int = 0,
    report: Callable[[str], None] = lambda text: None,
) -> TrainingRecord:
    """Train chunk by chunk with `train_chunk` until test accuracy reaches `threshold`."""
    started = time.perf_counter()
    budget = int(max_epochs * len(train))
    samples, curve, score = 0, [], 0.0
    for loader in shuffled_chunks(train, batch_size, chunk, seed):
        if samples >= budget:
            break
        train_chunk(loader)
        samples += len(loader.dataset)  # type: ignore[arg-type]
        score = accuracy(model, test)
        curve.append((samples, round(score, 5)))
        report(f"{samples / len(train):.2f} epochs, test accuracy {100 * score:.2f} %")
        if score >= threshold:
            break
    seconds = round(time.perf_counter() - started, 3)
    device = str(test.images.device)
    return TrainingRecord(score, samples, seconds, device, score >= threshold, curve)


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


@dataclass(frozen=True)
class Target:
    """A trained-accuracy check: full marks at `threshold`, none at or below `floor`.

    `chunk` samples are trained between two evaluations on the full test set.
    """

    name: str
    threshold: float
    floor: float
    max_epochs: float
    batch_size: int = 128
    chunk: int = 10_000


@dataclass(frozen=True)
class Prepared:
    """MNIST's two splits normalised on one device, made once per checker process."""

    train: DeviceData
    test: DeviceData

    @staticmethod
    def from_mnist(mnist: Mnist, device: torch.device) -> Prepared:
        return Prepared(
            DeviceData.from_uint8(mnist.train_images, mnist.train_labels, device),
            DeviceData.from_uint8(mnist.test_images, mnist.test_labels, device),
        )


@dataclass(frozen=True)
class Trainer:
    """What a trained-accuracy check needs, from the plugin's `trainer` fixture."""

    data: Prepared
    seed: int
    credit: Callable[[float, str], None]
    progress: Callable[[str], None]
    record: Callable[[str, object], None]

    @property
    def device(self) -> torch.device:
        return self.data.test.images.device

    def score(
        self, model: nn.Module, train_chunk: Callable[[Loader], object], target: Target
    ) -> TrainingRecord:
        """Train until the target (or the budget), record how, and give partial credit."""
        train, test = self.data.train, self.data.test
        record = train_until(
            model,
            train_chunk,
            train,
            test,
            threshold=target.threshold,
            max_epochs=target.max_epochs,
            batch_size=target.batch_size,
            chunk=target.chunk,
            seed=self.seed,
            report=self.progress,
        )
        self.record("training", asdict(record))
        if not record.reached:
            fraction = (record.accuracy - target.floor) / (target.threshold - target.floor)
            self.credit(
                fraction,
                (
                    f"{target.name}: test accuracy {100 * record.accuracy:.2f} % after "
                    f"{record.samples / len(train):g} epochs; {100 * target.threshold:g} % earns "
                    f"full marks, {100 * target.floor:g} % or less none"
                ),
            )
        return record
