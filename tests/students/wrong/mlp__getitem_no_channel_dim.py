"""Wrong: MnistDataset.__getitem__: forgets unsqueeze(0), so each image is (28, 28) instead of (1, 28, 28); the pixel values are right (and the MLP still trains on such batches)."""

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
        self.images = images
        self.labels = labels

    def __len__(self) -> int:
        """The number of samples."""
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        """(normalised image (1, 28, 28) float32, label)."""
        image = self.images[index].float().div(255).sub(MEAN).div(STD)  # MISTAKE
        return image, int(self.labels[index])


def make_loaders(
    train: Dataset[tuple[Tensor, int]], test: Dataset[tuple[Tensor, int]], batch_size: int
) -> tuple[DataLoader[tuple[Tensor, int]], DataLoader[tuple[Tensor, int]]]:
    """(train_loader, test_loader) with this batch size; shuffle the training data only."""
    return (
        DataLoader(train, batch_size=batch_size, shuffle=True),
        DataLoader(test, batch_size=batch_size, shuffle=False),
    )


# Models


class LogRegression(nn.Module):
    """Logistic regression: one linear layer from the 784 pixels to the 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(28 * 28, 10)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten each image (keep the batch dimension), then apply the linear layer."""
        return self.linear(x.reshape(x.shape[0], -1))


class MLP(nn.Module):
    """The course's 2-layer network: 784 -> 300 hidden units with ReLU -> 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(28 * 28, 300)
        self.output = nn.Linear(300, 10)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten, hidden layer, ReLU, output layer (no softmax: the loss applies it)."""
        return self.output(torch.relu(self.hidden(x.flatten(start_dim=1))))


# Training and evaluation


def train_epoch(
    model: nn.Module,
    loader: DataLoader[tuple[Tensor, int]],
    optimizer: torch.optim.Optimizer,
    criterion: nn.Module,
    device: torch.device,
) -> tuple[float, float]:
    """One pass over `loader`: for each batch, zero_grad, forward, loss, backward, step.

    Move each batch to `device`. Return (mean training loss per sample, training error) as
    Python floats (.item()), where the error is the fraction of misclassified samples.
    Count the real size of each batch: the last batch may be smaller.
    """
    model.train()
    total_loss, wrong, seen = 0.0, 0, 0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad()
        outputs = model(images)
        loss = criterion(outputs, labels)
        loss.backward()
        optimizer.step()
        total_loss += loss.item() * len(labels)
        wrong += int((outputs.argmax(dim=1) != labels).sum())
        seen += len(labels)
    return total_loss / seen, wrong / seen


def evaluate(
    model: nn.Module, loader: DataLoader[tuple[Tensor, int]], device: torch.device
) -> float:
    """Accuracy on `loader` as a Python float in [0, 1], in eval mode and without gradients."""
    model.eval()
    correct, seen = 0, 0
    with torch.no_grad():
        for images, labels in loader:
            images, labels = images.to(device), labels.to(device)
            correct += int((model(images).argmax(dim=1) == labels).sum())
            seen += len(labels)
    return correct / seen
