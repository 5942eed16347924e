"""Shared helpers: the repository's folders, submissions written by tests, schema checks."""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from grader import api, data
from grader.report import SCHEMA_PATH, Report, Status, to_dict
from grader.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

SHARED_DATA = ROOT.parent / "shared" / "data"


def find_mnist() -> Path | None:
    """MNIST where the grader looks ($GRADER_DATA_DIR, then the cache), else ../shared/data.

    Never downloads: a test run without MNIST skips the tests that need it.
    """
    for root in (*data.candidates(None), SHARED_DATA):
        if data.has_mnist(root):
            return root.resolve()
    return None


MNIST_ROOT = find_mnist()
HOW_TO_GET_MNIST = (
    f"run `grade solutions/` once to download it, or set {data.ENV_VAR} to a folder holding "
    "MNIST/raw/*-ubyte.gz"
)
NO_MNIST = f"needs MNIST: {HOW_TO_GET_MNIST}"
if MNIST_ROOT is not None:
    # Every grade run of the tests, in this process or a subprocess, reads this copy.
    os.environ[data.ENV_VAR] = str(MNIST_ROOT)

FAST = Settings(only=("tensors",), timeout_s=60, check_timeout_s=5, threads=1, download=False)

Grade = Callable[..., Report]


def solution_text(name: str) -> str:
    return (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")


def replace_function(source: str, name: str, body: str) -> str:
    """The source with the body of function `name` replaced (the signature and docstring stay)."""
    pattern = re.compile(
        rf"(def {name}\(.*?\).*?:\n    \"\"\".*?\"\"\"\n)(.*?)(?=\n\n\n|\Z)", re.DOTALL
    )
    indented = "\n".join(f"    {line}" if line else "" for line in body.strip("\n").splitlines())
    new, count = pattern.subn(lambda m: m.group(1) + indented + "\n", source, count=1)
    assert count == 1, f"no function {name} in the source"
    return new


def validate_data(data: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())


def validate(report: Report) -> dict[str, Any]:
    """The report's JSON form, validated against the schema in the repository."""
    data: dict[str, Any] = json.loads(json.dumps(to_dict(report)))
    validate_data(data)
    return data


def statuses(report: Report) -> dict[str, Status]:
    return {c.id: c.status for c in report.checks()}


@pytest.fixture
def write_submission(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """Write files into a fresh folder named `submission` and return the folder."""

    def write(files: dict[str, str]) -> Path:
        folder = tmp_path / "submission"
        folder.mkdir(exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(text, encoding="utf-8")
        return folder

    return write


def pytest_report_header() -> str:
    if MNIST_ROOT is not None:
        return f"MNIST: {MNIST_ROOT}"
    looked = f"${data.ENV_VAR}, {data.default_cache()}, {SHARED_DATA}"
    return f"MNIST: not found in {looked}; the tests that need it skip"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line at the end that says how many tests skipped for lack of MNIST and what to do."""
    skipped = terminalreporter.stats.get("skipped", [])
    count = sum(NO_MNIST in str(getattr(report, "longrepr", "")) for report in skipped)
    if count:
        terminalreporter.write_line(
            f"{count} tests skipped: MNIST not found; {HOW_TO_GET_MNIST}", yellow=True
        )


@pytest.fixture(scope="session")
def mnist_root() -> Path:
    """The MNIST the tests use; a test that asks for it is skipped, in one line, without it."""
    if MNIST_ROOT is None:
        pytest.skip(NO_MNIST)
    return MNIST_ROOT


@pytest.fixture(scope="session")
def solutions_report(mnist_root: Path) -> Report:
    return api.grade(SOLUTIONS, Settings(threads=1, download=False))


@pytest.fixture(scope="session")
def exercises_report(mnist_root: Path) -> Report:
    return api.grade(EXERCISES, Settings(threads=1, download=False))


class Maximum(dict[str, float]):
    """The points of each exercise of the built-in course, as its checks are collected."""

    @property
    def total(self) -> float:
        return sum(self.values())


@functools.cache
def course_maximum() -> Maximum:
    """Totals from the collected checks (a real checker, no student code), so no test
    writes down a number that a course file or a new check would change."""
    from grader.engine.runner import collect
    from grader.exercises import EXERCISES

    collected = collect(EXERCISES)
    return Maximum({name: sum(s.points for s in specs) for name, specs in collected.items()})


@pytest.fixture(scope="session")
def maximum() -> Maximum:
    return course_maximum()
