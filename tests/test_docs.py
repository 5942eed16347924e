"""The docs name only what exists: every path and every `grader.` module the README, the
docs folder, the CI files and the grader's own docstrings and comments mention."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PATH = re.compile(
    r"(?<![\w./-])((?:grader|tests|benchmarks|solutions|exercises|\.ci|\.github)/[\w./*<>-]*[\w*>])"
)
MODULE = re.compile(r"(?<![\w./-])(grader(?:\.[a-z][a-z0-9_]*)+)")
# Files of the student template that `python -m grader.template` writes.
GENERATED = {".github/workflows/classroom.yml"}


def documents() -> list[Path]:
    """The README, the CI files, and every source file of the grader, the tests and the
    benchmarks (docstrings and comments are where paths are named)."""
    found = [ROOT / "README.md", ROOT / ".ci" / "run", *ROOT.glob(".github/**/*.yml")]
    for folder in ("grader", "tests", "benchmarks"):
        found += [p for p in (ROOT / folder).rglob("*.py") if "students" not in p.parts]
    return found


def exists(named: str) -> bool:
    """Whether a named path exists; `<name>` stands for any one part, `*` globs."""
    named = named.rstrip(".")
    if named in GENERATED:
        return True
    pattern = re.sub(r"<[^>]+>", "*", named)
    if "*" in pattern:
        return any(ROOT.glob(pattern))
    return (ROOT / pattern).exists()


def module_exists(name: str) -> bool:
    """A module of the grader, or a name defined in one (grader.engine.checker.Started)."""
    parts = name.split(".")
    for cut in range(len(parts), 1, -1):
        module = ".".join(parts[:cut])
        try:
            spec = importlib.util.find_spec(module)
        except ModuleNotFoundError:
            spec = None
        if spec is not None and spec.origin:
            source = Path(spec.origin).read_text(encoding="utf-8")
            rest = parts[cut:]
            return not rest or re.search(rf"\b{re.escape(rest[0])}\b", source) is not None
    return False


@pytest.mark.parametrize("document", documents(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_path_and_module_exists(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    missing_paths = sorted({m for m in PATH.findall(text) if not exists(m)})
    missing_modules = sorted({m for m in MODULE.findall(text) if not module_exists(m)})
    assert missing_paths == [] and missing_modules == []
