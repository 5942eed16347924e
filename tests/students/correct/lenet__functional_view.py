"""Correct: only conv/linear modules, F.relu and F.max_pool2d(kernel_size=2) in forward, x.view(-1, 50 * 4 * 4) flattening, and the answers written as explicit arithmetic."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels=1, out_channels=20, kernel_size=5)
        self.conv2 = nn.Conv2d(in_channels=20, out_channels=50, kernel_size=5)
        self.fc1 = nn.Linear(in_features=50 * 4 * 4, out_features=500)
        self.fc2 = nn.Linear(in_features=500, out_features=10)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        x = F.relu(self.conv1(x))
        x = F.max_pool2d(x, kernel_size=2)
        x = F.relu(self.conv2(x))
        x = F.max_pool2d(x, kernel_size=2)
        x = x.view(-1, 50 * 4 * 4)
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    return dict(conv1=20, conv2=50)


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    return {
        "conv1": 20 * 1 * 5 * 5 + 20,
        "conv2": 50 * 20 * 5 * 5 + 50,
        "fc1": 500 * (50 * 4 * 4) + 500,
        "fc2": 10 * 500 + 10,
    }


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    conv1_side = 28 - 5 + 1  # 24
    pool1_side = conv1_side // 2  # 12
    conv2_side = pool1_side - 5 + 1  # 8
    pool2_side = conv2_side // 2  # 4
    return {
        "conv1": (batch, 20, conv1_side, conv1_side),
        "pool1": (batch, 20, pool1_side, pool1_side),
        "conv2": (batch, 50, conv2_side, conv2_side),
        "pool2": (batch, 50, pool2_side, pool2_side),
        "fc1": (batch, 500),
        "fc2": (batch, 10),
    }
