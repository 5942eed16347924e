"""Correct: layers kept in an nn.ModuleDict and applied in a loop, torchvision's Normalize for the dataset, a running-mean loss, and @torch.no_grad() on evaluate."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

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
        self.normalize = transforms.Normalize(mean=(MEAN,), std=(STD,))

    def __len__(self) -> int:
        """The number of samples."""
        return int(self.labels.numel())

    def __getitem__(self, index: int) -> tuple[Tensor, int]:
        """(normalised image (1, 28, 28) float32, label)."""
        image = self.images[index].unsqueeze(0).to(torch.float32) / 255.0
        return self.normalize(image), int(self.labels[index])


def make_loaders(
    train: Dataset[tuple[Tensor, int]], test: Dataset[tuple[Tensor, int]], batch_size: int
) -> tuple[DataLoader[tuple[Tensor, int]], DataLoader[tuple[Tensor, int]]]:
    """(train_loader, test_loader) with this batch size; shuffle the training data only."""
    settings = {"train": (train, True), "test": (test, False)}
    built = {
        name: DataLoader(data, batch_size=batch_size, shuffle=shuffle)
        for name, (data, shuffle) in settings.items()
    }
    return built["train"], built["test"]


# Models


class LogRegression(nn.Module):
    """Logistic regression: one linear layer, with bias, from the 784 pixels to the 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleDict({"flatten": nn.Flatten(), "linear": nn.Linear(784, 10)})

    def forward(self, x: Tensor) -> Tensor:
        """Flatten each image (keep the batch dimension), then apply the linear layer."""
        for layer in self.layers.values():
            x = layer(x)
        return x


class MLP(nn.Module):
    """The course's 2-layer network: 784 -> 300 hidden units with ReLU -> 10 classes.

    forward takes a batch (B, 28, 28) or (B, 1, 28, 28) and returns logits (B, 10).
    """

    def __init__(self) -> None:
        super().__init__()
        sizes = [784, 300, 10]
        layers: dict[str, nn.Module] = {"flatten": nn.Flatten()}
        for k, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            layers[f"linear{k}"] = nn.Linear(fan_in, fan_out)
            if k < len(sizes) - 1:
                layers[f"relu{k}"] = nn.ReLU()
        self.layers = nn.ModuleDict(layers)

    def forward(self, x: Tensor) -> Tensor:
        """Flatten, hidden layer, ReLU, output layer (no softmax: the loss applies it)."""
        for name in self.layers:
            x = self.layers[name](x)
        return x


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
    mean_loss = 0.0
    wrong = 0
    seen = 0
    for x, y in loader:
        x = x.to(device)
        y = y.to(device)
        optimizer.zero_grad()
        logits = model(x)
        loss = criterion(logits, y)
        loss.backward()
        optimizer.step()
        batch = y.shape[0]
        seen += batch
        mean_loss += (loss.item() - mean_loss) * batch / seen
        wrong += int(torch.count_nonzero(logits.argmax(dim=-1) != y))
    return mean_loss, wrong / seen


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader[tuple[Tensor, int]], device: torch.device
) -> float:
    """Accuracy on `loader` as a Python float in [0, 1], in eval mode and without gradients."""
    model.eval()
    right, seen = 0, 0
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        right += int((model(x).argmax(dim=-1) == y).sum())
        seen += len(y)
    return right / seen
