"""Part 4: a convolutional network similar to LeNet.

As the course states it: one conv layer with 5x5 filters and 20 output channels; one
conv layer with 5x5 filters and 50 output channels (both stride 1, no padding, with
bias); one hidden layer with 500 units; one output layer with 10 units; ReLU
activations; 2x2 max pooling after each convolutional layer. The input is a batch of
1x28x28 images. Any style is fine (attributes with any names, nn.Sequential, F.relu or
nn.ReLU, F.max_pool2d or nn.MaxPool2d, view or flatten).

Then answer the course's questions in the three functions at the end.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        # BEGIN SOLUTION
        self.conv1 = nn.Conv2d(1, 20, kernel_size=5)
        self.conv2 = nn.Conv2d(20, 50, kernel_size=5)
        self.fc1 = nn.Linear(50 * 4 * 4, 500)
        self.fc2 = nn.Linear(500, 10)
        # END SOLUTION

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        # BEGIN SOLUTION
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(start_dim=1)))
        return self.fc2(x)
        # END SOLUTION


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    # BEGIN SOLUTION
    return {"conv1": 20, "conv2": 50}
    # END SOLUTION


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    # BEGIN SOLUTION
    return {"conv1": 520, "conv2": 25_050, "fc1": 400_500, "fc2": 5_010}
    # END SOLUTION


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    # BEGIN SOLUTION
    return {
        "conv1": (batch, 20, 24, 24),
        "pool1": (batch, 20, 12, 12),
        "conv2": (batch, 50, 8, 8),
        "pool2": (batch, 50, 4, 4),
        "fc1": (batch, 500),
        "fc2": (batch, 10),
    }
    # END SOLUTION
