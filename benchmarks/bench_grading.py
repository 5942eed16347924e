"""Grading speed as ratios against a naive grader, measured in one run on the same machine.

Every timing is a whole process (start-up and imports included), the median of --repeats:

1. baseline: benchmarks/naive_grader.py, a naive grader (torchvision Dataset + DataLoader,
   batch 64, Adam, one epoch each of LogRegression, MLP and LeNet, test accuracy after each);
2. the three trained-accuracy checks: grade solutions/ --only mlp --only lenet --check ...;
3. the whole grade solutions/;
4. a student's first feedback: grade exercises/ --only tensors.

    python benchmarks/bench_grading.py --data-dir ../shared/data [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import gzip
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from grader import data

ROOT = Path(__file__).resolve().parents[1]
GRADE = [sys.executable, "-m", "grader"]
ACCURACY_CHECKS = ["--check", "mlp.trained_accuracy", "--check", "lenet.trained_accuracy"]


@dataclass(frozen=True)
class Target:
    """A promise of the project: `ratio` measured against the baseline, or seconds."""

    text: str
    met: bool


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


def timed(command: Sequence[str]) -> float:
    """Seconds one whole process takes; a failing command stops the benchmark."""
    started = time.perf_counter()
    proc = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({proc.returncode}):\n{proc.stdout}{proc.stderr}")
    return seconds


def commands(root: Path, torchvision_data: Path, device: str) -> dict[str, list[str]]:
    common = ["--data-dir", str(root), "--no-download", "--device", device]
    return {
        "naive grader (baseline)": [
            sys.executable,
            str(ROOT / "benchmarks" / "naive_grader.py"),
            str(torchvision_data),
        ],
        "the three accuracy checks": [
            *GRADE,
            "solutions",
            "--only",
            "mlp",
            "--only",
            "lenet",
            *ACCURACY_CHECKS,
            *common,
        ],
        "grade solutions/": [*GRADE, "solutions", *common],
        "grade exercises/ --only tensors": [*GRADE, "exercises", "--only", "tensors", *common],
    }


def targets(medians: dict[str, float]) -> list[Target]:
    base = medians["naive grader (baseline)"]
    accuracy = base / medians["the three accuracy checks"]
    whole = medians["grade solutions/"] / base
    first = medians["grade exercises/ --only tensors"]
    return [
        Target(f"accuracy checks {accuracy:.2f}x faster than the baseline (>= 3x)", accuracy >= 3),
        Target(
            f"grade solutions/ takes {whole:.2f}x the baseline's time (<= 0.45x)", whole <= 0.45
        ),
        Target(f"first feedback in {first:.2f} s (< 3 s)", first < 3),
    ]


@click.command()
@click.option("--data-dir", type=click.Path(path_type=Path), default=None)
@click.option("--repeats", type=click.IntRange(1), default=3, show_default=True)
@click.option("--device", type=click.Choice(["cpu", "cuda"]), default="cpu", show_default=True)
def main(data_dir: Path | None, repeats: int, device: str) -> None:
    root = data.locate(data_dir, download=False)
    times: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        runs = commands(root, torchvision_root(root, Path(tmp)), device)
        for index in range(repeats):
            for name, command in runs.items():
                times.setdefault(name, []).append(timed(command))
                print(f"run {index + 1}/{repeats}: {name}: {times[name][-1]:.1f} s", flush=True)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"\nmedians of {repeats} ({sys.version.split()[0]}, device {device}):")
    for name, seconds in medians.items():
        spread = f"{min(times[name]):.1f}-{max(times[name]):.1f}"
        print(f"  {name:<34}{seconds:7.1f} s  ({spread})")
    for target in targets(medians):
        print(f"  {'met' if target.met else 'MISSED':<7}{target.text}")


if __name__ == "__main__":
    main()
