"""Correct: nn.Sequential feature extractor and classifier (nn.ReLU, nn.MaxPool2d, nn.Flatten), with the course's answers computed from a LeNet built on the meta device."""

from __future__ import annotations

import torch
import torch.nn.functional as F  # noqa: F401  (kept from the stub)
from torch import Tensor, nn


class LeNet(nn.Module):
    """conv 20@5x5, ReLU, maxpool 2, conv 50@5x5, ReLU, maxpool 2, fc 500, ReLU, fc 10."""

    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 20, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(20, 50, 5),
            nn.ReLU(),
            nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(800, 500),
            nn.ReLU(),
            nn.Linear(500, 10),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Logits (B, 10) for a batch of images (B, 1, 28, 28)."""
        return self.classifier(self.features(x))


# The course's questions. Layer names: "conv1", "conv2", "fc1" (the hidden layer), "fc2"
# (the output layer), and "pool1", "pool2" for the max pooling after each conv layer.


def _named_layers() -> dict[str, nn.Module]:
    """The layers of a LeNet built on the meta device (no memory, no random numbers)."""
    with torch.device("meta"):
        net = LeNet()
    f, c = net.features, net.classifier
    return {"conv1": f[0], "pool1": f[2], "conv2": f[3], "pool2": f[5], "fc1": c[1], "fc2": c[3]}


def filters() -> dict[str, int]:
    """How many filters each convolutional layer has: {"conv1": ..., "conv2": ...}."""
    layers = _named_layers()
    return {name: int(layers[name].out_channels) for name in ("conv1", "conv2")}


def trainable_parameters() -> dict[str, int]:
    """How many trainable parameters (weights and biases) each of conv1, conv2, fc1, fc2 has."""
    layers = _named_layers()
    return {
        name: sum(p.numel() for p in layers[name].parameters() if p.requires_grad)
        for name in ("conv1", "conv2", "fc1", "fc2")
    }


def output_shapes(batch: int) -> dict[str, tuple[int, ...]]:
    """The shape of the output of conv1, pool1, conv2, pool2, fc1 and fc2 for `batch` images."""
    layers = _named_layers()
    x = torch.empty(batch, 1, 28, 28, device="meta")
    shapes: dict[str, tuple[int, ...]] = {}
    for name in ("conv1", "pool1", "conv2", "pool2", "fc1", "fc2"):
        if name == "fc1":
            x = x.flatten(1)
        x = layers[name](x)
        if name in ("conv1", "conv2", "fc1"):
            x = torch.relu(x)
        shapes[name] = tuple(int(d) for d in x.shape)
    return shapes
