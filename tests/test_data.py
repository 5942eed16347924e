"""MNIST: where the grader looks, the real files, small IDX files written here, broken files."""

from __future__ import annotations

import gzip
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from grader import api, data
from grader.cli import main
from grader.kit.loaders import chunk_loader
from grader.kit.training import accuracy
from grader.report import Status
from grader.settings import Settings
from grader.worker.training import MEAN, STD, DeviceData
from tests.conftest import SOLUTIONS


def idx_bytes(array: torch.Tensor) -> bytes:
    header = bytes([0, 0, data.UBYTE, array.dim()]) + struct.pack(f">{array.dim()}I", *array.shape)
    return header + array.to(torch.uint8).numpy().tobytes()


def write_mnist(
    root: Path, n_train: int = 12, n_test: int = 5, gz: bool = False
) -> dict[str, torch.Tensor]:
    """A tiny MNIST in torchvision's layout; returns the arrays written."""
    arrays = {
        "train_images": torch.randint(0, 256, (n_train, 28, 28)),
        "train_labels": torch.randint(0, 10, (n_train,)),
        "test_images": torch.randint(0, 256, (n_test, 28, 28)),
        "test_labels": torch.randint(0, 10, (n_test,)),
    }
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for key, stem in data.FILES.items():
        payload = idx_bytes(arrays[key])
        if gz:
            (raw / f"{stem}.gz").write_bytes(gzip.compress(payload))
        else:
            (raw / stem).write_bytes(payload)
    return arrays


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No env var and an empty cache, so only what a test sets up is found."""
    monkeypatch.delenv(data.ENV_VAR, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path


@pytest.mark.parametrize("gz", [False, True])
def test_small_idx_files_round_trip(isolated: Path, gz: bool) -> None:
    arrays = write_mnist(isolated / "d", gz=gz)
    mnist = data.load(data.locate(isolated / "d", download=False))
    assert torch.equal(mnist.train_images, arrays["train_images"].to(torch.uint8))
    assert torch.equal(mnist.test_labels, arrays["test_labels"])
    assert mnist.train_labels.dtype == torch.int64


def test_search_order_is_option_then_env_then_cache(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("option", "env", "cache/dl-grader"):
        write_mnist(isolated / name)
    monkeypatch.setenv(data.ENV_VAR, str(isolated / "env"))
    assert data.locate(isolated / "option", download=False) == isolated / "option"
    assert data.locate(None, download=False) == isolated / "env"
    assert data.locate(isolated / "nothing", download=False) == isolated / "env"
    monkeypatch.delenv(data.ENV_VAR)
    assert data.locate(None, download=False) == isolated / "cache" / "dl-grader"


def test_missing_folder_names_every_place_looked(isolated: Path) -> None:
    with pytest.raises(data.MnistError) as error:
        data.locate(isolated / "nope", download=False)
    message = str(error.value)
    assert str(isolated / "nope" / "MNIST" / "raw") in message
    assert str(isolated / "cache" / "dl-grader" / "MNIST" / "raw") in message
    assert "--data-dir" in message and data.ENV_VAR in message


def test_offline_download_failure_is_one_clear_error(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def offline(root: Path) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(data, "fetch", offline)
    with pytest.raises(data.MnistError, match=r"download into .* failed .*network is unreachable"):
        data.locate(None, download=True)


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_file_is_an_error_not_a_score(isolated: Path, gz: bool) -> None:
    write_mnist(isolated / "d", gz=gz)
    stem = data.FILES["train_images"] + (".gz" if gz else "")
    path = isolated / "d" / "MNIST" / "raw" / stem
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(data.MnistError, match="truncated"):
        data.verify(isolated / "d")


def test_bad_header_is_an_error(isolated: Path) -> None:
    write_mnist(isolated / "d")
    path = isolated / "d" / "MNIST" / "raw" / data.FILES["test_labels"]
    path.write_bytes(b"PK\x03\x04" + path.read_bytes()[4:])
    with pytest.raises(data.MnistError, match="bad header"):
        data.verify(isolated / "d")


@pytest.fixture
def read_only_mnist(mnist_root: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the tests' MNIST whose files and folders have no write bits."""
    raw = tmp_path / "ro" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for stem in data.FILES.values():
        source = data.raw_file(mnist_root, stem)
        assert source is not None
        shutil.copy(source, raw / source.name)
    for path in (*raw.iterdir(), raw, raw.parent, raw.parent.parent):
        path.chmod(path.stat().st_mode & ~0o222)
    yield raw.parent.parent
    for path in (raw.parent.parent, raw.parent, raw):
        path.chmod(0o755)


def test_real_mnist_from_a_read_only_folder(read_only_mnist: Path) -> None:
    raw = read_only_mnist / "MNIST" / "raw"
    before = {path.name: path.stat().st_mtime_ns for path in raw.iterdir()}
    root = data.locate(read_only_mnist, download=False)
    shapes = data.verify(root)
    mnist = data.load(root)
    assert shapes["train_images"] == (60_000, 28, 28)
    assert shapes["test_labels"] == (10_000,)
    assert mnist.train_labels.min() == 0 and mnist.train_labels.max() == 9
    pixels = mnist.train_images.double() / 255
    assert abs(pixels.mean().item() - 0.1306604762738429) < 1e-12
    assert abs(pixels.std().item() - 0.30810780385646264) < 1e-6
    after = {path.name: path.stat().st_mtime_ns for path in raw.iterdir()}
    assert after == before, "nothing written there"


def test_device_data_normalises_and_loaders_cover_every_sample() -> None:
    images, labels = torch.randint(0, 256, (10, 28, 28), dtype=torch.uint8), torch.arange(10)
    prepared = DeviceData.from_uint8(images, labels, torch.device("cpu"))
    expected = (images.float() / 255 - MEAN) / STD
    assert torch.allclose(prepared.images.squeeze(1), expected)
    order = torch.randperm(10)
    loader = chunk_loader(prepared.images, prepared.labels, 4, order)
    assert isinstance(loader, torch.utils.data.DataLoader) and len(loader.dataset) == 10
    batches = list(loader)
    assert torch.equal(torch.cat([y for _, y in batches]), order) and len(loader) == 3
    assert [len(y) for _, y in batches] == [4, 4, 2] and loader.batch_size == 4
    assert torch.equal(batches[0][0], prepared.images[order[:4]])
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10))
    assert 0.0 <= accuracy(model, prepared) <= 1.0


@pytest.mark.slow
def test_without_mnist_everything_else_is_graded_and_the_fix_is_said_once(isolated: Path) -> None:
    result = CliRunner().invoke(
        main, [str(SOLUTIONS), "--only", "mlp", "--data-dir", str(isolated / "x"), "--no-download"]
    )
    assert result.exit_code == 0, result.output
    assert "ERROR mlp: 2 checks need MNIST and could not run: MNIST not found: looked in" in (
        result.stdout
    )
    assert "pass --data-dir <folder> or set GRADER_DATA_DIR" in result.stdout
    report = api.grade(SOLUTIONS, Settings(only=("mlp",), data_dir=isolated / "x", download=False))
    lost = {c.id: c.status for c in report.checks() if c.status is not Status.PASSED}
    assert lost == {
        "mlp.trained_accuracy.logistic_regression": Status.ERROR,
        "mlp.trained_accuracy.mlp": Status.ERROR,
    }
