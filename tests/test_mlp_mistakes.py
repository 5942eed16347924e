"""Wrong MLP submissions each lose the right checks, with a targeted message."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from grader.report import Status
from tests.conftest import solution_text
from tests.inprocess import check

pytestmark = pytest.mark.slow  # each mistake runs most mlp checks

# Everything but the trained-accuracy checks, which tests/test_mlp_training.py covers.
FAMILIES = ("data", "log_regression", "mlp", "train_epoch", "evaluate")


def swap(old: str, new: str) -> Callable[[str], str]:
    def make(source: str) -> str:
        assert source.count(old) == 1, f"{old!r} is not unique in solutions/mlp.py"
        return source.replace(old, new)

    return make


# mistake -> (how to make it, {check id: a phrase of its message})
MISTAKES: dict[str, tuple[Callable[[str], str], dict[str, str]]] = {
    "no zero_grad": (
        swap("        optimizer.zero_grad()\n", ""),
        {"train_epoch.steps": "call optimizer.zero_grad() before each backward"},
    ),
    "softmax before the loss": (
        swap(
            "loss = criterion(outputs, labels)",
            "loss = criterion(torch.softmax(outputs, dim=1), labels)",
        ),
        {
            "train_epoch.steps": "CrossEntropyLoss takes raw logits",
            "train_epoch.statistics": "loss",
        },
    ),
    "plus-sign update": (
        swap(
            "        optimizer.step()\n",
            "        with torch.no_grad():\n"
            "            for p in model.parameters():\n"
            "                p += 0.1 * p.grad\n",
        ),
        {"train_epoch.steps": "moved up the gradient"},
    ),
    "evaluation in training mode": (
        swap("    model.eval()\n    correct, seen = 0, 0", "    correct, seen = 0, 0"),
        {
            "evaluate.eval_mode": "call model.eval()",
            "evaluate.accuracy_exact": "evaluate: accuracy",
        },
    ),
    "flatten that mixes the batch": (
        swap(
            "return self.linear(x.reshape(x.shape[0], -1))",
            "return self.linear(x.reshape(-1, x.shape[0]).T)",
        ),
        {"log_regression.rows_independent": "the flatten mixes samples"},
    ),
    "a loader that does not normalise": (
        swap(
            "image = self.images[index].float().div(255).sub(MEAN).div(STD).unsqueeze(0)",
            "image = self.images[index].float().div(255).unsqueeze(0)",
        ),
        {"data.normalisation": "not normalised: (x - MEAN) / STD"},
    ),
    "the slide's BATCHSIZE added every batch": (
        swap("\n        seen += len(labels)\n", "\n        seen += BATCHSIZE\n"),
        {"train_epoch.statistics": "(3 batches x 64) but 21 samples were seen"},
    ),
}


def with_batchsize(make: Callable[[str], str]) -> Callable[[str], str]:
    """The slide's global batch-size constant, after the imports."""
    return lambda source: make(source).replace("\nMEAN, STD", "\nBATCHSIZE = 64\nMEAN, STD", 1)


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_mistake_loses_its_checks(mistake: str, tmp_path: Path) -> None:
    """The real checks in this process (tests/inprocess.py); the process boundary is
    tested elsewhere."""
    make, losses = MISTAKES[mistake]
    make = with_batchsize(make)
    (tmp_path / "mlp.py").write_text(make(solution_text("mlp")), encoding="utf-8")
    verdicts = check(tmp_path, "mlp", prefixes=tuple(f"mlp.{f}" for f in FAMILIES))
    lost = {
        v.id.removeprefix("mlp."): v.message
        for v in verdicts.values()
        if v.status is not Status.PASSED
    }
    assert set(lost) == set(losses), lost
    for check_id, phrase in losses.items():
        assert phrase in lost[check_id], lost[check_id]
    statuses = {v.status for v in verdicts.values()}
    assert Status.ERROR not in statuses, lost
