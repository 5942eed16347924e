"""Shared helpers: the repository's folders, submissions written by tests, schema checks."""

from __future__ import annotations

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

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "solutions"
EXERCISES = ROOT / "exercises"

SHARED_DATA = ROOT.parent / "shared" / "data"
# The project's own data setting; CI and these tests read the read-only copy beside the repo.
os.environ.setdefault(data.ENV_VAR, str(SHARED_DATA))

FAST = api.Options(only=("tensors",), timeout_s=60, check_timeout_s=5, threads=1, download=False)

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


@pytest.fixture(scope="session")
def solutions_report() -> Report:
    return api.grade(SOLUTIONS, api.Options(threads=1, download=False))


@pytest.fixture(scope="session")
def exercises_report() -> Report:
    return api.grade(EXERCISES, api.Options(threads=1, download=False))
