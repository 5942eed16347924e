"""Each wrong answer loses exactly its own check's points, with a message that says why."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader import api
from grader.report import Report, Status
from tests.conftest import FAST, replace_function, solution_text, validate

pytestmark = pytest.mark.slow  # grades in real subprocesses

# function -> (its wrong body, {check id: a phrase its message must contain})
WRONG = {
    "make_full": (
        "return torch.full(shape, value, dtype=torch.float64)",
        {"creating.full": "expected dtype torch.float32, got torch.float64"},
    ),
    "share_numpy": (
        "return torch.tensor(array)",
        {"creating.from_numpy_shares_memory": "must share memory"},
    ),
    "seeded_randn": (
        "return torch.randn(shape)",
        {"creating.seeded_randn": "values differ"},
    ),
    "save_and_load": ("return t.clone()", {"io.save_and_load": "nothing was saved"}),
    "column": ("return A[j]", {"slicing.column": "expected shape (5,), got (4,)"}),
    "all_but_last_column": ("return A[:, 1:]", {"slicing.negative_index": "values differ"}),
    "replace_top_left": (
        "A[: B.shape[0], : B.shape[1]] = B\nreturn A",
        {"slicing.replace_slice": "the input A was changed in place"},
    ),
    "flat_view": ("return t.reshape(-1).clone()", {"manipulating.view_shares_storage": "copy"}),
    "sort_along": (
        "return torch.sort(t, dim=dim, descending=True)",
        {"manipulating.sort": "sort_along(t of shape (4, 5), float32, 1): values"},
    ),
    "reductions": (
        'return {"sum": A.sum(), "prod": A.prod(), "min": A.min()}',
        {"math.reduction[max]": "the key 'max' is missing"},
    ),
    "determinant": (
        'raise ValueError("not square?")',
        {"math.det": "ValueError: not square? (submission/tensors.py, line"},
    ),
    "elementwise": (
        "out = {f: getattr(torch, f)(x) for f in "
        "['exp', 'cos', 'cosh', 'sin', 'sinh', 'tan', 'tanh']}\n"
        "out['log'] = torch.log10(x)\nreturn out",
        {"elementwise.function[log]": "elementwise(x of shape (3, 4), float32)['log']: "},
    ),
    "arithmetic": (
        'return {"add": a + b, "div": a // b, "mul": a * b, "sub": a - b}',
        {
            "elementwise.arithmetic[tensor-div]": "values differ",
            "elementwise.arithmetic[scalar-div]": "values differ",
        },
    ),
    "channels_first": (
        "B, H, W, C = batch.shape\nreturn batch.reshape(B, C, H, W)",
        {"dimensions.channels_first": "use permute"},
    ),
    "example_shapes": (
        'return {"signals": (16, 2, 8000), "activations": (64, 300),'
        ' "images": (32, 3, 28, 28), "video": (4, 10, 3, 64, 64)}',
        {"dimensions.example_shape[video]": "expected (4, 3, 10, 64, 64), got (4, 10, 3, 64, 64)"},
    ),
}


@pytest.fixture(scope="module")
def wrong_report(tmp_path_factory: pytest.TempPathFactory) -> Report:
    source = solution_text("tensors")
    for name, (body, _) in WRONG.items():
        source = replace_function(source, name, body)
    folder = tmp_path_factory.mktemp("wrong") / "submission"
    folder.mkdir()
    (folder / "tensors.py").write_text(source, encoding="utf-8")
    return api.grade(folder, FAST)


def expected_losses() -> dict[str, str]:
    return {f"tensors.{cid}": text for _, losses in WRONG.values() for cid, text in losses.items()}


def test_exactly_the_wrong_checks_lose_points(wrong_report: Report) -> None:
    lost = {c.id for c in wrong_report.checks() if c.score < c.max_score}
    assert lost == set(expected_losses())
    validate(wrong_report)


@pytest.mark.parametrize(("check_id", "phrase"), sorted(expected_losses().items()))
def test_message_names_the_mistake(wrong_report: Report, check_id: str, phrase: str) -> None:
    check = next(c for c in wrong_report.checks() if c.id == check_id)
    expected_status = Status.ERROR if check_id.endswith(".det") else Status.FAILED
    assert check.status is expected_status
    assert check.score == 0
    assert phrase in check.message


def test_answer_written_another_way_passes(
    write_submission: Callable[[dict[str, str]], Path],
) -> None:
    """Equivalent answers in other styles score full marks (no false failures)."""
    source = solution_text("tensors")
    others = {
        "make_full": "return torch.ones(*shape) * value",
        "column": "return A.select(1, j)",
        "all_but_last_column": "return A[:, : A.shape[1] - 1]",
        "flat_view": "return t.flatten()",
        "reshape_any": "return t.contiguous().view(shape)",
        "channels_first": "return batch.movedim(-1, 1)",
        "element": "return A[i][j].item()",
        "reductions": "return {'sum': torch.sum(A), 'prod': torch.prod(A), "
        "'min': float(A.min()), 'max': A.max().item()}",
        "example_shapes": "return {'signals': [16, 2, 8000], 'activations': torch.Size([64, 300]),"
        " 'images': (32, 3, 28, 28), 'video': (4, 3, 10, 64, 64)}",
        "determinant": "return torch.det(A)",
        "inverse": "return torch.inverse(A)",
    }
    for name, body in others.items():
        source = replace_function(source, name, body)
    report = api.grade(write_submission({"tensors.py": source}), FAST)
    assert {c.id: c.message for c in report.checks() if c.status is not Status.PASSED} == {}
