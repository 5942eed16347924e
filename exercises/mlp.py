"""Part 3: classifying MNIST digits with logistic regression and a multilayer perceptron.

Data access the course's way (a Dataset and DataLoaders), two models, a training loop
that reports the training loss and error, and an evaluation that measures accuracy on
held-out data. Training error is not validation error: you compute both.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

MEAN, STD = 0.1307, 0.3081  # of the MNIST training pixels, after dividing by 255

# Data access


class MnistDataset(Dataset[tuple[Tensor, int]]):
    """MNIST images and labels, served one sample at a time.

    `images` is a uint8 tensor (N, 28, 28) with pixels 0..255, `labels` an int64 tensor (N,).
    Item i is (image, label): the image as float32 of shape (1, 28, 28), scaled to [0, 1]
    and then normalised with MEAN and STD; the label as a Python int.
    """

    def __init__(self, images: Tensor, labels: Tensor) -> None:
        # TODO(student): write your code here
        raise NotImplementedError("mlp: MnistDataset.__init__")

    def __len__(self) -> int:
        """The number of samples."""
        # TODO(student): write your code here
        raise NotImplementedError("mlp: MnistDataset.__len__")

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        """(normalised image (1, 28, 28) float32, label)."""
        # TODO(student): write your code here
        raise NotImplementedError("mlp: MnistDataset.__getitem__")


def make_loaders(
    train: Dataset[tuple[Tensor, int]], test: Dataset[tuple[Tensor, int]], batch_size: int
) -> tuple[DataLoader[tuple[Tensor, int]], DataLoader[tuple[Tensor, int]]]:
    """(train_loader, test_loader) with this batch size; shuffle the training data only."""
    # TODO(student): write your code here
    raise NotImplementedError("mlp: make_loaders")


# Models


class LogRegression(nn.Module):
    """Logistic regression: one linear layer, with bias, from the 784 pixels to the 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        # TODO(student): write your code here
        raise NotImplementedError("mlp: LogRegression.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Flatten each image (keep the batch dimension), then apply the linear layer."""
        # TODO(student): write your code here
        raise NotImplementedError("mlp: LogRegression.forward")


class MLP(nn.Module):
    """The course's 2-layer network: 784 -> 300 hidden units with ReLU -> 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        # TODO(student): write your code here
        raise NotImplementedError("mlp: MLP.__init__")

    def forward(self, x: Tensor) -> Tensor:
        """Flatten, hidden layer, ReLU, output layer (no softmax: the loss applies it)."""
        # TODO(student): write your code here
        raise NotImplementedError("mlp: MLP.forward")


# Training and evaluation


def train_epoch(
    model: nn.Module,
    loader: DataLoader[tuple[Tensor, int]],
    optimizer: torch.optim.Optimizer,
    criterion: nn.Module,
    device: torch.device,
) -> tuple[float, float]:
    """One pass over `loader` in training mode: for each batch, zero_grad, forward, loss,
    backward, step. Call model.train() first (evaluate leaves the model in eval mode).

    Move each batch to `device`. Return (mean training loss per sample, training error) as
    Python floats (.item()), where the error is the fraction of misclassified samples.
    Count the real size of each batch: the last batch may be smaller.
    """
    # TODO(student): write your code here
    raise NotImplementedError("mlp: train_epoch")


def evaluate(
    model: nn.Module, loader: DataLoader[tuple[Tensor, int]], device: torch.device
) -> float:
    """Accuracy on `loader` as a Python float in [0, 1], in eval mode and without gradients."""
    # TODO(student): write your code here
    raise NotImplementedError("mlp: evaluate")
