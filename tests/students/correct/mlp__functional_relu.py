"""Correct: explicit fc layers with F.relu and torch.flatten / reshape(-1, 784), per-item normalisation with .item() labels, enumerate() in the training loop and inference_mode in evaluate."""

from __future__ import annotations

import torch
import torch.nn.functional as F
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
        super().__init__()
        self.images, self.labels = images, labels

    def __len__(self) -> int:
        """The number of samples."""
        return self.labels.size(0)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        """(normalised image (1, 28, 28) float32, label)."""
        pixels = self.images[index].to(dtype=torch.float32).div(255.0)
        normalised = (pixels - MEAN) / STD
        return normalised.unsqueeze(0), self.labels[index].item()


def make_loaders(
    train: Dataset[tuple[Tensor, int]], test: Dataset[tuple[Tensor, int]], batch_size: int
) -> tuple[DataLoader[tuple[Tensor, int]], DataLoader[tuple[Tensor, int]]]:
    """(train_loader, test_loader) with this batch size; shuffle the training data only."""
    return (
        DataLoader(dataset=train, batch_size=batch_size, shuffle=True, drop_last=False),
        DataLoader(dataset=test, batch_size=batch_size),
    )


# Models


class LogRegression(nn.Module):
    """Logistic regression: one linear layer, with bias, from the 784 pixels to the 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(in_features=28 * 28, out_features=10)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten each image (keep the batch dimension), then apply the linear layer."""
        return self.fc(torch.flatten(x, start_dim=1))


class MLP(nn.Module):
    """The course's 2-layer network: 784 -> 300 hidden units with ReLU -> 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.fc1 = nn.Linear(784, 300)
        self.fc2 = nn.Linear(300, 10)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten, hidden layer, ReLU, output layer (no softmax: the loss applies it)."""
        x = x.reshape(-1, 784)
        x = F.relu(self.fc1(x))
        return self.fc2(x)


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
    summed_loss = 0.0
    misclassified = 0
    count = 0
    for _batch_idx, (data, target) in enumerate(loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = criterion(output, target)
        loss.backward()
        optimizer.step()
        n = data.size(0)
        summed_loss += loss.item() * n
        misclassified += output.argmax(1).ne(target).sum().item()
        count += n
    return summed_loss / count, misclassified / count


def evaluate(
    model: nn.Module, loader: DataLoader[tuple[Tensor, int]], device: torch.device
) -> float:
    """Accuracy on `loader` as a Python float in [0, 1], in eval mode and without gradients."""
    model.eval()
    correct = 0
    count = 0
    with torch.inference_mode():
        for data, target in loader:
            output = model(data.to(device))
            correct += output.argmax(1).eq(target.to(device)).sum().item()
            count += data.size(0)
    return float(correct) / count
