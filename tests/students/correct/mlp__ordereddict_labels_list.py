"""Correct: nn.Sequential built from an OrderedDict, labels converted once with tolist(), max(dim=1).indices for predictions, and accuracy from concatenated predictions."""

from __future__ import annotations

from collections import OrderedDict

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
        self.images = images
        self.targets: list[int] = [int(label) for label in labels.tolist()]

    def __len__(self) -> int:
        """The number of samples."""
        return len(self.targets)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        """(normalised image (1, 28, 28) float32, label)."""
        image = self.images[index].float() / 255
        image = (image - MEAN) / STD
        return image[None], self.targets[index]


def make_loaders(
    train: Dataset[tuple[Tensor, int]], test: Dataset[tuple[Tensor, int]], batch_size: int
) -> tuple[DataLoader[tuple[Tensor, int]], DataLoader[tuple[Tensor, int]]]:
    """(train_loader, test_loader) with this batch size; shuffle the training data only."""
    loaders = []
    for dataset, shuffle in ((train, True), (test, False)):
        loaders.append(DataLoader(dataset, batch_size=batch_size, shuffle=shuffle))
    return loaders[0], loaders[1]


# Models


class LogRegression(nn.Module):
    """Logistic regression: one linear layer, with bias, from the 784 pixels to the 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            OrderedDict([("flatten", nn.Flatten(start_dim=1)), ("linear", nn.Linear(784, 10))])
        )

    def forward(self, x: Tensor) -> Tensor:
        """Flatten each image (keep the batch dimension), then apply the linear layer."""
        return self.net(x)


class MLP(nn.Module):
    """The course's 2-layer network: 784 -> 300 hidden units with ReLU -> 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            OrderedDict(
                [
                    ("flatten", nn.Flatten()),
                    ("hidden", nn.Linear(784, 300)),
                    ("relu", nn.ReLU()),
                    ("output", nn.Linear(300, 10)),
                ]
            )
        )

    def forward(self, x: Tensor) -> Tensor:
        """Flatten, hidden layer, ReLU, output layer (no softmax: the loss applies it)."""
        return self.net(x)


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
    model.train()
    batch_losses: list[float] = []
    batch_sizes: list[int] = []
    batch_errors: list[int] = []
    for batch in loader:
        images, labels = (part.to(device) for part in batch)
        optimizer.zero_grad()
        scores = model(images)
        loss = criterion(scores, labels)
        loss.backward()
        optimizer.step()
        predicted = scores.max(dim=1).indices
        batch_losses.append(loss.item())
        batch_sizes.append(len(labels))
        batch_errors.append(int((predicted != labels).sum()))
    seen = sum(batch_sizes)
    mean_loss = sum(l * n for l, n in zip(batch_losses, batch_sizes)) / seen
    return mean_loss, sum(batch_errors) / seen


def evaluate(
    model: nn.Module, loader: DataLoader[tuple[Tensor, int]], device: torch.device
) -> float:
    """Accuracy on `loader` as a Python float in [0, 1], in eval mode and without gradients."""
    model.eval()
    predictions, truths = [], []
    with torch.no_grad():
        for images, labels in loader:
            predictions.append(model(images.to(device)).argmax(dim=1).cpu())
            truths.append(labels.cpu())
    return (torch.cat(predictions) == torch.cat(truths)).float().mean().item()
