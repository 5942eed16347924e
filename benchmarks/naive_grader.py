"""The baseline of benchmarks/bench_grading.py: how a naive grader checks the three accuracies.

torchvision's MNIST Dataset with ToTensor + Normalize, DataLoaders of batch 64, Adam with
lr 1e-3, one epoch each of the solutions' LogRegression, MLP and LeNet, and the test
accuracy after each epoch. Run it as a whole process (imports included), as a grader would:

    python benchmarks/naive_grader.py ROOT    # ROOT holds MNIST/raw/ with uncompressed files
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path
from types import ModuleType

import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

SOLUTIONS = Path(__file__).resolve().parents[1] / "solutions"


def solution(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"naive_{name}", SOLUTIONS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def train_one_epoch(model: nn.Module, loader: DataLoader[tuple[torch.Tensor, int]]) -> None:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    model.train()
    for images, labels in loader:
        optimizer.zero_grad()
        criterion(model(images), labels).backward()
        optimizer.step()


@torch.no_grad()
def test_accuracy(model: nn.Module, loader: DataLoader[tuple[torch.Tensor, int]]) -> float:
    model.eval()
    correct = total = 0
    for images, labels in loader:
        correct += int((model(images).argmax(1) == labels).sum())
        total += len(labels)
    return correct / total


def main(root: str) -> None:
    torch.manual_seed(0)
    transform = transforms.Compose(
        [transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))]
    )
    train = datasets.MNIST(root, train=True, download=False, transform=transform)
    test = datasets.MNIST(root, train=False, download=False, transform=transform)
    train_loader = DataLoader(train, batch_size=64, shuffle=True)
    test_loader = DataLoader(test, batch_size=64)
    mlp, lenet = solution("mlp"), solution("lenet")
    for name, model in (
        ("LogRegression", mlp.LogRegression()),
        ("MLP", mlp.MLP()),
        ("LeNet", lenet.LeNet()),
    ):
        started = time.perf_counter()
        train_one_epoch(model, train_loader)
        score = test_accuracy(model, test_loader)
        print(f"{name}: {100 * score:.2f} % after 1 epoch, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1])
