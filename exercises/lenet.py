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
        # TODO(student): write your code here
        raise NotImplementedError("lenet: LeNet.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        # TODO(student): write your code here
        raise NotImplementedError("lenet: LeNet.forward")


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    # TODO(student): write your code here
    raise NotImplementedError("lenet: filters")


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    # TODO(student): write your code here
    raise NotImplementedError("lenet: trainable_parameters")


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    # TODO(student): write your code here
    raise NotImplementedError("lenet: output_shapes")
