"""Benchmarks, as ratios against a baseline measured in the same run on the same machine.

1. `grade solutions/` per exercise (wall time of the whole grading pipeline).
2. One training epoch of the course's MLP on the 60,000 MNIST training images, batch 128:
   the grader's path (tensors loaded once, normalised on the device, batches by seeded
   permutation and slicing) against the usual torchvision Dataset + DataLoader path.

    python benchmarks/bench_grading.py --data-dir ../shared/data [--epochs 1] [--skip-grade]
"""

from __future__ import annotations

import gzip
import shutil
import sys
import tempfile
import time
from pathlib import Path

import click
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

from grader import api, data, exercises
from grader.training import MEAN, STD, DeviceData, shuffled_chunks

ROOT = Path(__file__).resolve().parents[1]


def mlp() -> nn.Module:
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 300), nn.ReLU(), nn.Linear(300, 10))


def epoch(model: nn.Module, batches: object) -> float:
    """The course's loop over any iterable of (images, labels); returns seconds."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    started = time.perf_counter()
    for images, labels in batches:  # type: ignore[attr-defined]
        optimizer.zero_grad()
        criterion(model(images), labels).backward()
        optimizer.step()
    return time.perf_counter() - started


def torchvision_root(root: Path, into: Path) -> Path:
    """torchvision wants the uncompressed files: extract the .gz ones to a writable place."""
    raw = into / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in data.FILES.values():
        source = data.raw_file(root, stem)
        assert source is not None
        if source.suffix == ".gz":
            with gzip.open(source) as src, (raw / stem).open("wb") as dst:
                shutil.copyfileobj(src, dst)
        else:
            shutil.copy(source, raw / stem)
    return into


def bench_data_paths(root: Path, epochs: int) -> None:
    torch.manual_seed(0)
    mnist = data.load(root)
    train = DeviceData.from_uint8(mnist.train_images, mnist.train_labels, torch.device("cpu"))
    chunks = shuffled_chunks(train, 128, len(train), seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        transform = transforms.Compose(
            [transforms.ToTensor(), transforms.Normalize((MEAN,), (STD,))]
        )
        dataset = datasets.MNIST(
            str(torchvision_root(root, Path(tmp))), train=True, download=False, transform=transform
        )
        loader = DataLoader(dataset, batch_size=128, shuffle=True)
        for index in range(epochs):
            ours = epoch(mlp(), next(chunks))
            theirs = epoch(mlp(), loader)
            print(
                f"epoch {index + 1}: grader path {ours:.2f} s, torchvision DataLoader path "
                f"{theirs:.2f} s, ratio {theirs / ours:.1f}x"
            )


def bench_grading(root: Path) -> None:
    for exercise in exercises.EXERCISES:
        options = api.Options(only=(exercise.name,), data_dir=root, download=False)
        started = time.perf_counter()
        report = api.grade(ROOT / "solutions", options)
        print(
            f"grade solutions/ --only {exercise.name}: {time.perf_counter() - started:.1f} s "
            f"({report.score:g}/{report.max_score:g})"
        )


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
@click.option("--epochs", type=int, default=1)
@click.option("--skip-grade", is_flag=True)
def main(data_dir: Path | None, epochs: int, skip_grade: bool) -> None:
    root = data.locate(data_dir, download=False)
    python = sys.version.split()[0]
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, python {python}")
    if not skip_grade:
        bench_grading(root)
    bench_data_paths(root, epochs)


if __name__ == "__main__":
    main()
