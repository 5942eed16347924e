"""The grader's own fast data path, evaluation and train-until-threshold loop.

MNIST is loaded once into tensors, normalised on the device once per checker process,
and served by real DataLoaders that slice whole batches of a seeded permutation: no
per-sample Python or PIL work on the hot path. Accuracy checks train in chunks and
evaluate the full test set between them, so they stop as soon as the threshold is reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from grader.engine.remote import Remote, module_worker, probe
from grader.worker.training import DeviceData

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


def load_by_shape(model: nn.Module, parameters: list[tuple[str, Tensor]]) -> bool:
    """Copy trained parameters into the course's architecture, matched by shape in order
    (names and nesting vary between correct styles); False when they do not fit."""
    mine = list(model.parameters())
    if len(mine) != len(parameters):
        return False
    pool: dict[tuple[int, ...], list[Tensor]] = {}
    for _, tensor in parameters:
        if not isinstance(tensor, Tensor):
            return False
        pool.setdefault(tuple(tensor.shape), []).append(tensor)
    with torch.no_grad():
        for parameter in mine:
            found = pool.get(tuple(parameter.shape))
            if not found:
                return False
            parameter.copy_(found.pop(0).to(parameter.device))
    return True


def evaluator(reference: nn.Module, device: torch.device) -> nn.Module:
    """The course's architecture on the device; channels-last weights on the CPU evaluate a
    CNN 3x faster (the images, with one channel, are laid out the same either way)."""
    reference.to(device)
    if device.type == "cpu":
        reference.to(memory_format=torch.channels_last)
    return reference


@dataclass
class Measure:
    """Test accuracy of the worker's model after each chunk: computed by the checker with
    the trained weights on the course's architecture when they reproduce the model's
    outputs; otherwise from the model's predictions (the worker never sees test labels)."""

    module: Remote
    model: Remote
    reference: nn.Module
    test: DeviceData
    how: str = ""

    def __call__(self, parameters: list[tuple[str, Tensor]]) -> float:
        probe_images = self.test.images[:64]
        if load_by_shape(self.reference, parameters):
            self.reference.eval()
            with torch.no_grad():
                mine = self.reference(probe_images)
            theirs = self.model(probe_images)
            if (
                isinstance(theirs, Tensor)
                and theirs.shape == mine.shape
                and torch.allclose(theirs.detach().to(mine.device), mine, atol=1e-4, rtol=1e-4)
            ):
                self.how = "the grader's own evaluation of your trained weights"
                return accuracy(self.reference, self.test)
        self.how = (
            "your model's predictions on the test images (its layers differ from the course's)"
        )
        predicted = probe(self.module, "predict", self.model, self.test.images)
        return prediction_accuracy(predicted, self.test.labels)


def prediction_accuracy(predicted: object, labels: Tensor) -> float:
    """The fraction of labels predicted, from an integer tensor of exactly one prediction
    per test image; anything else (another shape that would broadcast, floats, a list)
    scores 0, so no tensor can make the comparison count more than once per image."""
    if (
        not isinstance(predicted, Tensor)
        or predicted.shape != labels.shape
        or predicted.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8)
    ):
        return 0.0
    return int((predicted.to(labels.device, torch.int64) == labels).sum()) / len(labels)


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
    """MNIST for one run: the training split as uint8 (sent to the worker once) and the
    test split normalised on the device (kept by the checker, labels included)."""

    train_images: Tensor
    train_labels: Tensor
    test: DeviceData

    @staticmethod
    def from_mnist(mnist: Mnist, device: torch.device) -> Prepared:
        test = DeviceData.from_uint8(mnist.test_images, mnist.test_labels, device)
        return Prepared(mnist.train_images, mnist.train_labels, test)


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
        self,
        module: Remote,
        model: Remote,
        recipe: dict[str, Any],
        target: Target,
        reference: nn.Module,
    ) -> TrainingRecord:
        """Train in the worker chunk by chunk until the target (or the budget), measure
        each time in the checker, record how, and give partial credit."""
        worker = module_worker(module)
        if not worker.has_data:
            worker.request(
                "data",
                {"train_images": self.data.train_images, "train_labels": self.data.train_labels},
            )
            worker.has_data = True
        options = {
            "device": str(self.device),
            "batch_size": target.batch_size,
            "chunk": target.chunk,
            "seed": self.seed,
            **recipe,
        }
        run = probe(
            module, "start_training", module, model, recipe.get("recipe", "student"), options
        )
        measure = Measure(module, model, evaluator(reference, self.device), self.data.test)
        record = train_until(
            run,
            module,
            measure,
            len(self.data.train_labels),
            target,
            self.progress,
            str(self.device),
        )
        self.record("training", {**asdict(record), "measured_by": measure.how})
        if not record.reached:
            fraction = (record.accuracy - target.floor) / (target.threshold - target.floor)
            self.credit(
                fraction,
                (
                    f"{target.name}: test accuracy {100 * record.accuracy:.2f} % after "
                    f"{record.samples / len(self.data.train_labels):g} epochs; "
                    f"{100 * target.threshold:g} % earns full marks, "
                    f"{100 * target.floor:g} % or less none"
                ),
            )
        return record


def train_until(
    run: Remote,
    module: Remote,
    measure: Measure,
    size: int,
    target: Target,
    report: Callable[[str], None],
    device: str,
) -> TrainingRecord:
    """Train chunk by chunk in the worker until test accuracy reaches the threshold."""
    started = time.perf_counter()
    budget = int(target.max_epochs * size)
    samples, curve, score = 0, [], 0.0
    while samples < budget:
        chunk = probe(module, "train_chunk", run)
        samples += int(chunk["samples"])
        score = measure(list(chunk["parameters"]))
        curve.append((samples, round(score, 5)))
        report(f"{samples / size:.2f} epochs, test accuracy {100 * score:.2f} %")
        if score >= target.threshold:
            break
    seconds = round(time.perf_counter() - started, 3)
    return TrainingRecord(score, samples, seconds, device, score >= target.threshold, curve)
