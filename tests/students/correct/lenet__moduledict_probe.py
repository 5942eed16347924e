"""Correct: layers stored in an nn.ModuleDict with F.relu applied in forward, and output_shapes measured with forward hooks on a one-image probe (RNG state preserved)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        spec = {
            "conv1": lambda: nn.Conv2d(1, 20, 5),
            "pool1": lambda: nn.MaxPool2d(2),
            "conv2": lambda: nn.Conv2d(20, 50, 5),
            "pool2": lambda: nn.MaxPool2d(2),
            "fc1": lambda: nn.Linear(4 * 4 * 50, 500),
            "fc2": lambda: nn.Linear(500, 10),
        }
        self.layers = nn.ModuleDict({name: make() for name, make in spec.items()})

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        layer = self.layers
        x = layer["pool1"](F.relu(layer["conv1"](x)))
        x = layer["pool2"](F.relu(layer["conv2"](x)))
        x = torch.flatten(x, 1)
        x = F.relu(layer["fc1"](x))
        return layer["fc2"](x)


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.


def _probe() -> LeNet:
    with torch.random.fork_rng(devices=[]):
        return LeNet()


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    net = _probe()
    return {
        name: module.out_channels
        for name, module in net.layers.items()
        if isinstance(module, nn.Conv2d)
    }


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    net = _probe()
    counts: dict[str, int] = {}
    for name, module in net.layers.items():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            counts[name] = sum(p.numel() for p in module.parameters() if p.requires_grad)
    return counts


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    net = _probe()
    seen: dict[str, tuple[int, ...]] = {}
    handles = [
        module.register_forward_hook(
            lambda _m, _inp, out, name=name: seen.__setitem__(name, tuple(out.shape[1:]))
        )
        for name, module in net.layers.items()
    ]
    try:
        with torch.no_grad():
            net(torch.zeros(1, 1, 28, 28))
    finally:
        for handle in handles:
            handle.remove()
    order = ("conv1", "pool1", "conv2", "pool2", "fc1", "fc2")
    return {name: (batch, *seen[name]) for name in order}
