"""Correct: two conv blocks as nn.Sequential(Conv2d(kernel_size=(5, 5)), ReLU(inplace=True), MaxPool2d((2, 2))) with keyword arguments, torch.relu/torch.flatten for the head, and output_shapes computed with the general conv/pool size formula."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401  (kept from the stub)
from torch import Tensor, nn


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            in_channels=in_channels,
            out_channels=out_channels,
            kernel_size=(5, 5),
            stride=1,
            padding=0,
        ),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(kernel_size=(2, 2), stride=(2, 2)),
    )


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        self.block1 = _conv_block(1, 20)
        self.block2 = _conv_block(20, 50)
        self.fc_hidden = nn.Linear(in_features=800, out_features=500)
        self.fc_out = nn.Linear(in_features=500, out_features=10)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        features = self.block2(self.block1(x))
        hidden = torch.relu(self.fc_hidden(torch.flatten(features, start_dim=1)))
        return self.fc_out(hidden)


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.

_CONVS = [("conv1", "pool1", 1, 20), ("conv2", "pool2", 20, 50)]
_DENSE = [("fc1", 800, 500), ("fc2", 500, 10)]


def _out_size(size: int, kernel: int, stride: int = 1, padding: int = 0) -> int:
    return (size + 2 * padding - kernel) // stride + 1


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    return {conv: c_out for conv, _pool, _c_in, c_out in _CONVS}


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    counts = {conv: (c_in * 5 * 5 + 1) * c_out for conv, _pool, c_in, c_out in _CONVS}
    for name, n_in, n_out in _DENSE:
        counts[name] = (n_in + 1) * n_out
    return counts


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    result: dict[str, tuple[int, ...]] = {}
    h = w = 28
    for conv, pool, _c_in, c_out in _CONVS:
        h, w = _out_size(h, 5), _out_size(w, 5)
        result[conv] = (batch, c_out, h, w)
        h, w = _out_size(h, 2, stride=2), _out_size(w, 2, stride=2)
        result[pool] = (batch, c_out, h, w)
    for name, _n_in, n_out in _DENSE:
        result[name] = (batch, n_out)
    return result
