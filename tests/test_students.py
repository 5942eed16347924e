"""The hand-written student corpus (tests/students/): correct files, in styles the reference
does not use, keep every point; wrong files, each the solution with one plausible mistake,
lose points, with a message that names the function their docstring says is wrong.

The whole corpus is graded by `python -m grader.adequacy --corpus tests/students` (its log
is in benchmarks/logs/). Here the real checks run in this process
(tests/inprocess.py), with the trained-accuracy checks left out (tests/test_mlp_training.py
and tests/test_lenet.py grade those): every correct file, and a sample of wrong ones, which
the real `grade` (the checker and its boxed worker) must judge alike. tests/golden/ keeps
the messages of more wrong files, in the fast tier.
"""

from __future__ import annotations

import ast
import dataclasses
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import api
from grader.adequacy.corpus import UNTRAINED
from grader.report import Status
from tests.conftest import FAST, validate
from tests.inprocess import check

pytestmark = [pytest.mark.usefixtures("mnist_root"), pytest.mark.slow]

CORPUS = Path(__file__).parent / "students"

# Wrong files whose mistakes coincide with the right answer on a friendly input, graded by
# the real `grade` too; the corpus command grades all of them that way.
SAMPLE = (
    "tensors__split_in_chunks_floor_size.py",
    "autograd__gradcheck_linear_checks_builtin.py",
    "lenet__output_shapes_batch64.py",
)


def files(kind: str) -> list[Path]:
    return sorted((CORPUS / kind).glob("*__*.py"))


def exercise_of(path: Path) -> str:
    return path.name.split("__", 1)[0]


def first_line(path: Path) -> str:
    docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return docstring.splitlines()[0]


def grade_file(path: Path, write: Callable[[dict[str, str]], Path]) -> dict[str, str]:
    """Grade `path` as its exercise's file with `grade`; {check id: message} of the checks
    that lost."""
    exercise = exercise_of(path)
    options = dataclasses.replace(
        FAST, only=(exercise,), select=UNTRAINED[exercise], check_timeout_s=60
    )
    report = api.grade(write({f"{exercise}.py": path.read_text(encoding="utf-8")}), options)
    validate(report)
    assert report.max_score > 0
    return {c.id: c.message for c in report.checks() if c.score < c.max_score}


def check_file(path: Path, folder: Path) -> dict[str, str]:
    """The checks on `path` in this process; {check id: message} of the checks that lost."""
    exercise = exercise_of(path)
    folder.mkdir()
    shutil.copy(path, folder / f"{exercise}.py")
    verdicts = check(folder, exercise, prefixes=UNTRAINED[exercise])
    assert verdicts
    return {v.id: v.message for v in verdicts.values() if v.status is not Status.PASSED}


def test_corpus_is_complete() -> None:
    """At least 20 correct and 60 wrong files, every exercise in both, each saying what it is."""
    correct, wrong = files("correct"), files("wrong")
    assert len(correct) >= 20 and len(wrong) >= 60, (len(correct), len(wrong))
    for kind, found in (("correct", correct), ("wrong", wrong)):
        assert {exercise_of(p) for p in found} == set(UNTRAINED), kind
        for path in found:
            assert first_line(path).startswith(f"{kind.capitalize()}: "), path.name
    assert {name for name in SAMPLE} <= {p.name for p in wrong}


@pytest.mark.parametrize("path", files("correct"), ids=lambda p: p.stem)
def test_correct_file_keeps_every_point(path: Path, tmp_path: Path) -> None:
    assert check_file(path, tmp_path / "submission") == {}


@pytest.mark.parametrize("name", SAMPLE)
def test_grade_agrees_and_names_the_function(
    name: str, write_submission: Callable[[dict[str, str]], Path], tmp_path: Path
) -> None:
    """The real `grade` loses the same checks, with a message naming the function."""
    path = CORPUS / "wrong" / name
    function = first_line(path).split(": ")[1]
    lost = grade_file(path, write_submission)
    assert lost, f"{name} kept every point"
    assert set(lost) == set(check_file(path, tmp_path / "in-process"))
    owner = function.split(".")[0]
    assert any(owner in message for message in lost.values()), lost


def test_statuses_are_failures_not_crashes(
    write_submission: Callable[[dict[str, str]], Path],
) -> None:
    """A wrong answer is `failed` with a message, never a grader error."""
    exercise = "tensors"
    path = CORPUS / "wrong" / SAMPLE[0]
    options = dataclasses.replace(FAST, only=(exercise,))
    report = api.grade(write_submission({f"{exercise}.py": path.read_text("utf-8")}), options)
    lost = [c for c in report.checks() if c.score < c.max_score]
    assert lost and all(c.status is Status.FAILED for c in lost), [c.message for c in lost]
