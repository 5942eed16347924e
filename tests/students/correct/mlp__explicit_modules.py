"""Correct: explicit nn.Flatten / nn.ReLU module attributes, torch.div/torch.sub in the dataset, DataLoader kwargs from a shared dict, and error counted as (seen - correct)."""

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
        assert len(images) == len(labels)
        self._images = images
        self._labels = labels

    def __len__(self) -> int:
        """The number of samples."""
        return len(self._images)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        """(normalised image (1, 28, 28) float32, label)."""
        unit = torch.div(self._images[index], 255.0)  # uint8 / float -> float32 in [0, 1]
        normalised = torch.div(torch.sub(unit, MEAN), STD)
        return normalised.unsqueeze(dim=0).to(torch.float32), int(self._labels[index])


def make_loaders(
    train: Dataset[tuple[Tensor, int]], test: Dataset[tuple[Tensor, int]], batch_size: int
) -> tuple[DataLoader[tuple[Tensor, int]], DataLoader[tuple[Tensor, int]]]:
    """(train_loader, test_loader) with this batch size; shuffle the training data only."""
    common = {"batch_size": batch_size}
    return DataLoader(train, shuffle=True, **common), DataLoader(test, shuffle=False, **common)


# Models


class LogRegression(nn.Module):
    """Logistic regression: one linear layer, with bias, from the 784 pixels to the 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.classifier = nn.Linear(28 * 28, 10, bias=True)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten each image (keep the batch dimension), then apply the linear layer."""
        return self.classifier(self.flatten(x))


class MLP(nn.Module):
    """The course's 2-layer network: 784 -> 300 hidden units with ReLU -> 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.layer1 = nn.Linear(28 * 28, 300)
        self.activation = nn.ReLU()
        self.layer2 = nn.Linear(300, 10)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten, hidden layer, ReLU, output layer (no softmax: the loss applies it)."""
        h = self.activation(self.layer1(self.flatten(x)))
        return self.layer2(h)


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
    model.train(True)
    total_loss = 0.0
    correct = 0
    seen = 0
    for images, labels in loader:
        images = images.to(device=device)
        labels = labels.to(device=device)
        optimizer.zero_grad()
        out = model(images)
        batch_loss = criterion(out, labels)
        batch_loss.backward()
        optimizer.step()
        size = labels.size(0)
        total_loss += batch_loss.item() * size
        correct += (torch.argmax(out, dim=1) == labels).sum().item()
        seen += size
    return total_loss / seen, (seen - correct) / seen


def evaluate(
    model: nn.Module, loader: DataLoader[tuple[Tensor, int]], device: torch.device
) -> float:
    """Accuracy on `loader` as a Python float in [0, 1], in eval mode and without gradients."""
    model.train(False)
    correct, seen = 0, 0
    with torch.set_grad_enabled(False):
        for images, labels in loader:
            out = model(images.to(device=device))
            correct += (torch.argmax(out, dim=1) == labels.to(device=device)).sum().item()
            seen += labels.size(0)
    return correct / seen
