"""Correct: one nn.MaxPool2d(2, 2) and one nn.ReLU module reused at every stage, with the answers derived from small size/parameter formulas."""

from __future__ import annotations

import torch.nn.functional as F  # noqa: F401  (kept from the stub)
from torch import Tensor, nn

KERNEL, POOL, SIDE = 5, 2, 28
CHANNELS = {"conv1": (1, 20), "conv2": (20, 50)}
UNITS = {"fc1": (50 * 4 * 4, 500), "fc2": (500, 10)}


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(*CHANNELS["conv1"], KERNEL)
        self.conv2 = nn.Conv2d(*CHANNELS["conv2"], KERNEL)
        self.fc1 = nn.Linear(*UNITS["fc1"])
        self.fc2 = nn.Linear(*UNITS["fc2"])
        self.pool = nn.MaxPool2d(POOL, POOL)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        x = self.pool(self.relu(self.conv1(x)))
        x = self.pool(self.relu(self.conv2(x)))
        x = x.reshape(x.size(0), UNITS["fc1"][0])
        x = self.relu(self.fc1(x))
        return self.fc2(x)


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.


def _conv_params(c_in: int, c_out: int, k: int = KERNEL) -> int:
    return c_out * c_in * k * k + c_out


def _linear_params(n_in: int, n_out: int) -> int:
    return n_out * n_in + n_out


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    return {name: c_out for name, (_c_in, c_out) in CHANNELS.items()}


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    counts = {name: _conv_params(*shape) for name, shape in CHANNELS.items()}
    counts.update({name: _linear_params(*shape) for name, shape in UNITS.items()})
    return counts


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    shapes: dict[str, tuple[int, ...]] = {}
    side = SIDE
    for index, (name, (_c_in, c_out)) in enumerate(CHANNELS.items(), start=1):
        side = side - KERNEL + 1
        shapes[name] = (batch, c_out, side, side)
        side //= POOL
        shapes[f"pool{index}"] = (batch, c_out, side, side)
    for name, (_n_in, n_out) in UNITS.items():
        shapes[name] = (batch, n_out)
    return shapes
