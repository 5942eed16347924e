"""What students read, kept as golden files (as torchinfo keeps its expected outputs).

Wrong files of the corpus (tests/students/wrong/) are checked in this process with the
real checks and verdicts (tests/inprocess.py), and every check that lost points is written
as `id: status: message`; the text must equal tests/golden/<file>.txt. A change of wording
shows as a diff in review. After an intended change, write the files again with

    GRADER_UPDATE_GOLDEN=1 pytest tests/test_messages.py

The solutions keep every point and the stubs lose every point as not attempted, here too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from grader.report import Status
from tests.conftest import EXERCISES, ROOT, SOLUTIONS
from tests.inprocess import check

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"
WRONG = HERE / "students" / "wrong"
# Each wrong file, and the checks (a pytest -k expression) that judge its function.
FILES = {
    "tensors__column_returns_row.py": "column",
    "tensors__add_batch_dim_dim1.py": "add_batch_dim",
    "tensors__split_in_chunks_floor_size.py": "chunk",
    "tensors__concatenate_stack.py": "cat",
    "tensors__equals_three_truncates.py": "mask",
    "tensors__flat_view_clone.py": "view",
    "tensors__combine_inplace.py": "combine",
    "autograd__descent_step_ignores_lr.py": "DescentStep or fit_line",
    "autograd__fit_line_sum_loss.py": "fit_line",
    "autograd__fit_line_loss_after_step.py": "fit_line",
    "autograd__gradcheck_linear_only_x.py": "gradcheck_linear",
    "autograd__numerical_gradient_forward_difference.py": "numerical_gradient",
    "autograd__softmax_regression_gradients_no_mean.py": "softmax_regression",
    "autograd__detached_requires_grad_off.py": "detach",
    "autograd__sigmoid_backward_ignores_grad_y.py": "sigmoid",
}


def messages(path: Path, folder: Path, select: str) -> str:
    """The verdicts of every selected check that did not pass, one line each."""
    exercise = path.name.split("__", 1)[0]
    folder.mkdir()
    shutil.copy(path, folder / f"{exercise}.py")
    verdicts = check(folder, exercise, select)
    assert verdicts, f"no check ran for {path.name}"
    lost = [v for v in verdicts.values() if v.status is not Status.PASSED]
    return "".join(f"{v.id}: {v.status.value}: {v.message}\n" for v in lost)


@pytest.mark.parametrize("name", FILES)
def test_messages_match_their_golden_file(name: str, tmp_path: Path) -> None:
    got = messages(WRONG / name, tmp_path / "submission", FILES[name])
    golden = GOLDEN / name.replace(".py", ".txt")
    if os.environ.get("GRADER_UPDATE_GOLDEN"):
        golden.write_text(got, encoding="utf-8")
    assert got, f"{name} kept every point"
    assert got == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("exercise", ["tensors", "autograd"])
def test_solutions_pass_and_stubs_are_not_attempted(exercise: str) -> None:
    """Also: what student code writes (tensors.save_and_load) stays out of the checkout."""
    before = set(ROOT.iterdir())
    solved = check(SOLUTIONS, exercise)
    assert set(ROOT.iterdir()) - before == set()
    assert solved and all(v.status is Status.PASSED for v in solved.values()), [
        v for v in solved.values() if v.status is not Status.PASSED
    ]
    stubs = check(EXERCISES, exercise)
    assert set(stubs) == set(solved)
    assert {v.status for v in stubs.values()} == {Status.NOT_ATTEMPTED}
