"""Probes for the student's train_epoch and evaluate: what they did to a model, as data."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch import Tensor, nn
from torch.utils.data import default_collate

from grader.worker.datasets import Loader, random_loader


def train_epoch_run(_: Any, function: Any, model: nn.Module, loader: Loader, lr: float) -> Any:
    """train_epoch with SGD(lr) and cross-entropy on the CPU, given a model left in eval
    mode (as evaluate leaves it): its result, the model's output and training mode for
    every batch, and the parameters after."""
    outputs: list[Tensor] = []
    training: list[bool] = []
    model.register_forward_pre_hook(lambda m, _: training.append(m.training))
    model.register_forward_hook(lambda m, i, out: outputs.append(out.detach().clone()))
    model.eval()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    value = function(model, loader, optimizer, nn.CrossEntropyLoss(), torch.device("cpu"))
    parameters = [p.detach() for p in model.parameters()]
    return {"value": value, "outputs": outputs, "parameters": parameters, "training": training}


def train_epoch_moves(_: Any, function: Any, model: nn.Module, sizes: Sequence[int]) -> Any:
    """How many batch tensors the loader yielded and how many train_epoch moved (.to)."""
    yielded: list[Tensor] = []

    def collate(samples: list[tuple[Tensor, ...]]) -> Any:
        batch = default_collate(samples)
        yielded.extend(batch)
        return batch

    moved: set[int] = set()
    original = torch.Tensor.to

    def spy(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        moved.add(id(self))
        return original(self, *args, **kwargs)

    torch.Tensor.to = spy  # type: ignore[method-assign,assignment]
    try:
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        loader = random_loader(sizes, collate)
        function(model, loader, optimizer, nn.CrossEntropyLoss(), torch.device("cpu"))
    finally:
        torch.Tensor.to = original  # type: ignore[method-assign]
    return {"yielded": len(yielded), "missed": sum(id(t) not in moved for t in yielded)}


def evaluate_run(_: Any, function: Any, model: nn.Module, loader: Loader) -> Any:
    """evaluate on a model left in training mode: its result, and the (training mode, grad
    enabled) state of every forward call."""
    seen: list[tuple[bool, bool]] = []
    model.register_forward_pre_hook(lambda m, _: seen.append((m.training, torch.is_grad_enabled())))
    model.train()
    value = function(model, loader, torch.device("cpu"))
    return {"value": value, "seen": seen}


PROBES: dict[str, Callable[..., Any]] = {
    "train_epoch_run": train_epoch_run,
    "train_epoch_moves": train_epoch_moves,
    "evaluate_run": evaluate_run,
}
