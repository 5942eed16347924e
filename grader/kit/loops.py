"""The course's training loop written by the grader, and the classic ways to get it wrong.

The train_epoch check runs the student's loop and these loops from the same seeded
start. Parameters that match the correct loop pass; parameters that match one of the
mistaken loops get that mistake's message. All of it is torch, nothing from solutions/.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

Batch = tuple[Tensor, Tensor]
LR = 0.1


def small_model() -> nn.Module:
    """A model whose every mistake shows in its parameters after three steps."""
    return nn.Sequential(nn.Flatten(), nn.Linear(28 * 28, 10))


@dataclass(frozen=True)
class Loop:
    """One way to run an epoch: what goes into the loss, and how the update is done."""

    name: str
    advice: str
    zero_grad: bool = True
    softmax_first: bool = False
    ascend: bool = False
    steps_per_batch: int = 1
    skip_last: bool = False


CORRECT = Loop("correct", "")
MISTAKES = (
    Loop(
        "no zero_grad",
        "call optimizer.zero_grad() before each backward: gradients accumulated across batches",
        zero_grad=False,
    ),
    Loop(
        "softmax first",
        "CrossEntropyLoss takes raw logits: applying softmax first squashes the gradients",
        softmax_first=True,
    ),
    Loop(
        "ascent",
        "the parameters moved up the gradient: the update must subtract "
        "lr * grad (the slide's plus sign is a slip)",
        ascend=True,
    ),
    Loop("extra step", "optimizer.step() ran twice per batch", steps_per_batch=2),
    Loop(
        "missing step",
        "the last (short) batch was not trained on: loop over every batch of the loader",
        skip_last=True,
    ),
)


@dataclass(frozen=True)
class Epoch:
    """What one epoch of a loop produced."""

    model: nn.Module
    losses: tuple[float, ...]
    sizes: tuple[int, ...]
    wrong: int

    @property
    def mean_loss(self) -> float:
        """Per sample: each batch's mean loss weighted by the batch's real size."""
        return sum(m * n for m, n in zip(self.losses, self.sizes, strict=True)) / sum(self.sizes)

    @property
    def error(self) -> float:
        return self.wrong / sum(self.sizes)


def run(loop: Loop, model: nn.Module, batches: Sequence[Batch]) -> Epoch:
    """One epoch of `loop` on a copy of `model`, with SGD and cross-entropy."""
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=LR, maximize=loop.ascend)
    criterion = nn.CrossEntropyLoss()
    used = batches[:-1] if loop.skip_last else batches
    losses, sizes, wrong = [], [], 0
    for images, labels in used:
        if loop.zero_grad:
            optimizer.zero_grad()
        outputs = model(images)
        scores = torch.softmax(outputs, dim=1) if loop.softmax_first else outputs
        loss = criterion(scores, labels)
        loss.backward()
        for _ in range(loop.steps_per_batch):
            optimizer.step()
        losses.append(loss.item())
        sizes.append(len(labels))
        wrong += int((outputs.argmax(dim=1) != labels).sum())
    return Epoch(model, tuple(losses), tuple(sizes), wrong)


def same_parameters(a: nn.Module, b: nn.Module, atol: float = 1e-6) -> bool:
    return all(
        torch.allclose(p.detach().cpu(), q.detach().cpu(), atol=atol, rtol=1e-5)
        for p, q in zip(a.parameters(), b.parameters(), strict=True)
    )


def diagnose(trained: nn.Module, start: nn.Module, batches: Sequence[Batch]) -> str:
    """The advice of the first mistaken loop whose result equals `trained`, or ''."""
    for loop in MISTAKES:
        if same_parameters(trained, run(loop, start, batches).model):
            return loop.advice
    return ""


def epoch_from_outputs(outputs: Sequence[Tensor], batches: Sequence[Batch]) -> Epoch:
    """The statistics a loop should report, given what the model output on each batch."""
    losses, sizes, wrong = [], [], 0
    for out, (_, labels) in zip(outputs, batches, strict=True):
        losses.append(float(nn.functional.cross_entropy(out, labels)))
        sizes.append(len(labels))
        wrong += int((out.argmax(dim=1) != labels).sum())
    return Epoch(nn.Identity(), tuple(losses), tuple(sizes), wrong)


def statistics_advice(epoch: Epoch, loss: float, error: float, batch_size: int) -> str:
    """The classic ways to average wrongly, named only when the reported (loss, error)
    equals what that mistake gives; otherwise '' and the check states the numbers."""
    seen, batches = sum(epoch.sizes), len(epoch.sizes)
    if not 0 <= error <= 1:
        return f"the training error is {error:.4g}, but it is a fraction of the samples seen"
    if epoch.error != 0.5 and math.isclose(error, 1 - epoch.error, abs_tol=1e-9):
        return "that is the accuracy; return the error (1 - accuracy)"
    if epoch.wrong and math.isclose(error, epoch.wrong, abs_tol=1e-9):
        return "the error is the count of misclassified samples; divide it by the samples seen"
    implied = epoch.wrong / error if error > 0 else 0.0
    per_batch = implied / batches
    if (
        epoch.wrong
        and round(implied) > seen
        and math.isclose(implied, round(implied), abs_tol=1e-6)
        and math.isclose(per_batch, round(per_batch), abs_tol=1e-6)
    ):
        return (
            f"the error was divided by {round(implied)} ({batches} batches x "
            f"{round(per_batch)}) but {seen} samples were seen: count the real size of each "
            "batch (the last one is smaller)"
        )
    return loss_advice(epoch, loss, batch_size)


def loss_advice(epoch: Epoch, loss: float, batch_size: int) -> str:
    """The loss averaged over batches instead of samples, or summed and never divided."""
    seen, batches = sum(epoch.sizes), len(epoch.sizes)
    unweighted = sum(epoch.losses) / batches
    total = epoch.mean_loss * seen
    if not math.isclose(unweighted, epoch.mean_loss) and math.isclose(loss, unweighted):
        return (
            "the loss is the mean of the batch means; weight each batch's loss by its "
            "size (the last batch is smaller)"
        )
    if math.isclose(loss, total / (batches * batch_size)) and batches * batch_size != seen:
        return (
            f"the loss was divided by {batches * batch_size} ({batches} batches x "
            f"{batch_size}) but {seen} samples were seen: count the real size of each batch"
        )
    if math.isclose(loss, sum(epoch.losses)) or math.isclose(loss, total):
        return "the loss is a sum that was never divided: return the mean per sample"
    return ""
