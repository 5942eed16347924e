"""Correct: every stage an explicit module attribute with its own names (c1, relu1, pool1, ..., hidden, out) and an nn.Flatten, answers read off a throw-away instance by looping over its layers."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401  (kept from the stub)
from torch import Tensor, nn


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        self.c1 = nn.Conv2d(1, 20, kernel_size=5, stride=1)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.c2 = nn.Conv2d(20, 50, kernel_size=5, stride=1)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(kernel_size=2, stride=2)
        self.flatten = nn.Flatten()
        self.hidden = nn.Linear(800, 500)
        self.relu3 = nn.ReLU()
        self.out = nn.Linear(500, 10)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        x = self.pool1(self.relu1(self.c1(x)))
        x = self.pool2(self.relu2(self.c2(x)))
        x = self.relu3(self.hidden(self.flatten(x)))
        return self.out(x)


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.

COURSE_NAMES = {
    "conv1": "c1",
    "pool1": "pool1",
    "conv2": "c2",
    "pool2": "pool2",
    "fc1": "hidden",
    "fc2": "out",
}


def _instance() -> LeNet:
    state = torch.get_rng_state()
    net = LeNet()
    torch.set_rng_state(state)
    return net


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    net = _instance()
    result = {}
    for course_name in ("conv1", "conv2"):
        conv = getattr(net, COURSE_NAMES[course_name])
        result[course_name] = conv.weight.shape[0]
    return result


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    net = _instance()
    result = {}
    for course_name in ("conv1", "conv2", "fc1", "fc2"):
        layer = getattr(net, COURSE_NAMES[course_name])
        result[course_name] = layer.weight.numel() + layer.bias.numel()
    return result


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    net = _instance()
    x = torch.zeros(1, 1, 28, 28)
    shapes = {}
    with torch.no_grad():
        for step in (
            "c1",
            "relu1",
            "pool1",
            "c2",
            "relu2",
            "pool2",
            "flatten",
            "hidden",
            "relu3",
            "out",
        ):
            x = getattr(net, step)(x)
            for course_name, attribute in COURSE_NAMES.items():
                if attribute == step:
                    shapes[course_name] = (batch,) + tuple(x.shape[1:])
    return shapes
