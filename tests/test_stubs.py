"""The stubs are generated from the solutions: same signatures and docstrings, one marker."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from grader import exercises
from grader.stubs import BEGIN, END, MARKER, expected_stubs, make_stub
from tests.conftest import EXERCISES, SOLUTIONS


def functions(path: Path) -> dict[str, ast.FunctionDef]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, ast.FunctionDef] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    found[f"{node.name}.{item.name}"] = item
        elif isinstance(node, ast.FunctionDef) and node.col_offset == 0:
            found[node.name] = node
    return found


def test_exercises_folder_is_up_to_date_with_the_solutions() -> None:
    for name, text in expected_stubs(SOLUTIONS).items():
        assert (EXERCISES / name).read_text(encoding="utf-8") == text, (
            f"exercises/{name} is stale: run python -m grader.stubs solutions exercises"
        )


def test_every_registered_exercise_has_stub_solution_and_checks() -> None:
    for exercise in exercises.EXERCISES:
        assert (EXERCISES / f"{exercise.name}.py").is_file()
        assert (SOLUTIONS / f"{exercise.name}.py").is_file()
        assert exercise.check_module.is_file()


@pytest.mark.parametrize("name", exercises.names())
def test_stubs_keep_signatures_and_docstrings_and_raise(name: str) -> None:
    stubs, solved = functions(EXERCISES / f"{name}.py"), functions(SOLUTIONS / f"{name}.py")
    assert stubs.keys() == solved.keys()
    text = (EXERCISES / f"{name}.py").read_text(encoding="utf-8")
    assert BEGIN not in text and END not in text
    for qualname, stub in stubs.items():
        reference = solved[qualname]
        assert ast.dump(stub.args) == ast.dump(reference.args), qualname
        assert ast.get_docstring(stub) == ast.get_docstring(reference), qualname
        raises = [n for n in ast.walk(stub) if isinstance(n, ast.Raise)]
        if raises:
            assert ast.unparse(raises[0]) == f"raise NotImplementedError('{name}: {qualname}')"
    assert text.count(MARKER) == text.count("raise NotImplementedError(")


def test_make_stub_names_methods_and_keeps_setup_lines() -> None:
    source = (
        "class Net:\n    def __init__(self):\n        super().__init__()\n"
        f"        {BEGIN}\n        self.fc = 1\n        {END}\n"
    )
    stub = make_stub(source, "lenet")
    assert "super().__init__()" in stub
    assert 'raise NotImplementedError("lenet: Net.__init__")' in stub
    assert "self.fc" not in stub


def test_unclosed_block_is_an_error() -> None:
    with pytest.raises(ValueError, match="never closed"):
        make_stub(f"def f():\n    {BEGIN}\n    return 1\n", "x")


def test_check_mode_reports_stale_stubs(tmp_path: Path) -> None:
    stale = subprocess.run(
        [sys.executable, "-m", "grader.stubs", str(SOLUTIONS), str(tmp_path), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert stale.returncode == 1
    assert "tensors.py" in stale.stdout
    fresh = subprocess.run(
        [sys.executable, "-m", "grader.stubs", str(SOLUTIONS), str(EXERCISES), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert fresh.returncode == 0, fresh.stdout
