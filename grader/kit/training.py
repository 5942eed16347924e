"""The grader's own fast data path, evaluation and train-until-threshold loop.

MNIST is loaded once into tensors, normalised on the device once per checker process,
and served by real DataLoaders that slice whole batches of a seeded permutation: no
per-sample Python or PIL work on the hot path. Accuracy checks train in chunks and
evaluate the full test set between them, so they stop as soon as the threshold is reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING

import torch
from torch import nn

from grader.exercises import Accuracy
from grader.worker.datasets import Loader
from grader.worker.training import DeviceData, fastest_layout, one_cycle, shuffled_chunks

if TYPE_CHECKING:
    from grader.data import Mnist


# 250 images per evaluation batch: 1.5x faster than 500 for a CNN on the CPU (the
# activations stay in cache) and no slower elsewhere.
@torch.no_grad()
def accuracy(model: nn.Module, data: DeviceData, batch_size: int = 250) -> float:
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


def course_loop(model: nn.Module) -> Callable[[Loader], None]:
    """The course's loop (the one train_epoch is checked against), with Adam at lr 1e-3:
    zero_grad, forward, cross-entropy, backward, step, for every batch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()

    def train_chunk(batches: Loader) -> None:
        model.train()
        for images, labels in batches:
            optimizer.zero_grad()
            criterion(model(images), labels).backward()
            optimizer.step()

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
    """MNIST for one run, normalised on the device once and kept by the checker: the
    training split to train the verified network on, the test split to measure it."""

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
    accuracy: Accuracy | None = None  # the course's target for this check, if it sets one

    @property
    def device(self) -> torch.device:
        return self.data.test.images.device

    def score(self, network: nn.Module, recipe: Recipe, target: Target) -> TrainingRecord:
        """Train `network` (verified to compute what the student's model computes) in the
        checker, from weights drawn from the run's seed, chunk by chunk until the target
        (or the budget); record how, and give partial credit. The course's threshold and
        floor, when it sets them, replace the check's own."""
        if self.accuracy is not None:
            target = replace(target, **asdict(self.accuracy))
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            for module in network.modules():
                if isinstance(module, nn.Linear | nn.Conv2d):
                    module.reset_parameters()
        network.to(self.device)
        if recipe.max_lr:
            fastest_layout(network, self.data.train.images[:2])
            train = one_cycle(network, recipe.max_lr)
        else:
            train = course_loop(network)
        chunks = shuffled_chunks(self.data.train, target.batch_size, target.chunk, self.seed)

        def train_chunk() -> int:
            loader = next(chunks)
            train(loader)
            return len(loader.dataset)  # type: ignore[arg-type]

        record = train_until(
            train_chunk,
            lambda: accuracy(network, self.data.test),
            len(self.data.train),
            target,
            self.progress,
            str(self.device),
        )
        self.record(
            "training",
            {
                **asdict(record),
                "recipe": recipe.name,
                "threshold": target.threshold,
                "floor": target.floor,
            },
        )
        if not record.reached:
            fraction = (record.accuracy - target.floor) / (target.threshold - target.floor)
            self.credit(
                fraction,
                (
                    f"{target.name}: test accuracy {100 * record.accuracy:.2f} % after "
                    f"{record.samples / len(self.data.train):g} epochs of {recipe.name}; "
                    f"{100 * target.threshold:g} % earns full marks, "
                    f"{100 * target.floor:g} % or less none"
                ),
            )
        return record


@dataclass(frozen=True)
class Recipe:
    """How the checker trains a verified network: the course's loop (Adam, lr 1e-3), or
    one-cycle SGD up to `max_lr` (the LeNet check's fixed recipe)."""

    name: str
    max_lr: float = 0.0


def train_until(
    train_chunk: Callable[[], int],
    measure: Callable[[], float],
    size: int,
    target: Target,
    report: Callable[[str], None],
    device: str,
) -> TrainingRecord:
    """Train chunk by chunk until test accuracy reaches the threshold (or the budget)."""
    started = time.perf_counter()
    budget = int(target.max_epochs * size)
    samples, curve, score = 0, [], 0.0
    while samples < budget:
        samples += train_chunk()
        score = measure()
        curve.append((samples, round(score, 5)))
        report(f"{samples / size:.2f} epochs, test accuracy {100 * score:.2f} %")
        if score >= target.threshold:
            break
    seconds = round(time.perf_counter() - started, 3)
    return TrainingRecord(score, samples, seconds, device, score >= target.threshold, curve)
