"""LeNet: every correct style scores full marks; each wrong variant loses the right checks."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from grader import api
from grader.report import Report, Status
from tests.conftest import FAST, solution_text, validate
from tests.inprocess import check

# The exercise trains on MNIST, so grading it needs the data (skipped in one line without).
pytestmark = [pytest.mark.usefixtures("mnist_root"), pytest.mark.slow]

# Everything except the trained-accuracy check, which the solutions run covers.
ARCHITECTURE = dataclasses.replace(
    FAST, only=("lenet",), select=("lenet.forward", "lenet.architecture", "lenet.questions")
)

STYLES = {
    "sequential with modules": """
        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.net = nn.Sequential(
                    nn.Conv2d(1, 20, 5), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Conv2d(20, 50, 5), nn.ReLU(), nn.MaxPool2d(2),
                    nn.Flatten(), nn.Linear(800, 500), nn.ReLU(), nn.Linear(500, 10),
                )

            def forward(self, x):
                return self.net(x)
    """,
    "nested blocks, odd names, inplace ReLU, view": """
        class Block(nn.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.c = nn.Conv2d(cin, cout, kernel_size=(5, 5))
                self.act = nn.ReLU(inplace=True)
                self.p = nn.MaxPool2d(kernel_size=2, stride=2)

            def forward(self, x):
                return self.p(self.act(self.c(x)))

        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.features = nn.Sequential(Block(1, 20), Block(20, 50))
                self.head_hidden = nn.Linear(50 * 4 * 4, 500)
                self.head_out = nn.Linear(500, 10)

            def forward(self, x):
                x = self.features(x)
                x = x.view(x.size(0), -1)
                return self.head_out(F.relu(self.head_hidden(x)))
    """,
    "functional, pool before relu, torch.flatten": """
        import torch

        class LeNet(nn.Module):
            def __init__(self):
                super().__init__()
                self.a = nn.Conv2d(1, 20, 5)
                self.b = nn.Conv2d(20, 50, 5)
                self.c = nn.Linear(800, 500)
                self.d = nn.Linear(500, 10)

            def forward(self, x):
                x = torch.relu(F.max_pool2d(self.a(x), kernel_size=2))
                x = F.relu(F.max_pool2d(self.b(x), 2))
                return self.d(F.relu(self.c(torch.flatten(x, 1))))
    """,
}


def submission(write: Callable[[dict[str, str]], Path], model_source: str, tail: str = "") -> Path:
    source = solution_text("lenet")
    start, end = source.index("class LeNet"), source.index("# The course's questions")
    model = textwrap.dedent(model_source).strip() + "\n\n\n"
    return write({"lenet.py": source[:start] + model + source[end:] + tail})


def lost(report: Report) -> dict[str, str]:
    return {
        c.id.removeprefix("lenet."): c.message for c in report.checks() if c.score < c.max_score
    }


def lost_in_process(folder: Path) -> dict[str, str]:
    """The untrained checks run in this process (tests/inprocess.py): check id -> message
    of those that did not pass; none may be an error."""
    verdicts = check(folder, "lenet", prefixes=ARCHITECTURE.select)
    assert verdicts and all(v.status is not Status.ERROR for v in verdicts.values()), verdicts
    failing = [v for v in verdicts.values() if v.status is not Status.PASSED]
    return {v.id.removeprefix("lenet."): v.message for v in failing}


@pytest.mark.parametrize("style", list(STYLES))
def test_any_correct_style_scores_full_marks(
    style: str, write_submission: Callable[[dict[str, str]], Path]
) -> None:
    assert lost_in_process(submission(write_submission, STYLES[style])) == {}


def test_view_after_the_convolutions_trains_to_full_marks(
    write_submission: Callable[[dict[str, str]], Path],
) -> None:
    """The grader trains CNNs with channels-last weights on the CPU, where `x.view` after a
    convolution raises; such a LeNet falls back to the default layout and still passes."""
    trained = dataclasses.replace(
        FAST,
        only=("lenet",),
        select=("lenet.trained_accuracy",),
        timeout_s=300,
        check_timeout_s=300,
    )
    style = STYLES["nested blocks, odd names, inplace ReLU, view"]
    report = api.grade(submission(write_submission, style), trained)
    validate(report)
    assert [(c.id, c.status) for c in report.checks()] == [
        ("lenet.trained_accuracy.lenet", Status.PASSED)
    ], lost(report)


def variant(*changes: tuple[str, str]) -> str:
    """The solution's LeNet with some lines replaced."""
    source = solution_text("lenet")
    model = source[source.index("class LeNet") : source.index("# The course's questions")]
    for old, new in changes:
        assert old in model, old
        model = model.replace(old, new)
    return model


CLASSIC_LENET5 = """
    class LeNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            self.fc1 = nn.Linear(16 * 5 * 5, 120)
            self.fc2 = nn.Linear(120, 84)
            self.fc3 = nn.Linear(84, 10)

        def forward(self, x):
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = F.relu(self.fc1(x.flatten(1)))
            return self.fc3(F.relu(self.fc2(x)))
"""

CONV1 = "x = F.max_pool2d(F.relu(self.conv1(x)), 2)"
HIDDEN = "x = F.relu(self.fc1(x.flatten(start_dim=1)))"
SPARE = "self.fc2 = nn.Linear(500, 10)\n        self.spare = nn.Linear(10, 10)"
WRONG_ANSWER = (
    "\n\ndef trainable_parameters():\n"
    '    return {"conv1": 500, "conv2": 25_050, "fc1": 400_500, "fc2": 5_010}\n'
)

# variant -> (its LeNet, text appended to the file, {check id: a phrase of its message})
WRONG: dict[str, tuple[str, str, dict[str, str]]] = {
    "classic LeNet-5": (
        CLASSIC_LENET5,
        "",
        {
            "architecture.parameters_per_layer": "out_channels 6, expected 20",
            "architecture.output_shapes": "padding (2, 2), expected (0, 0)",
        },
    ),
    "average pooling": (
        variant((CONV1, CONV1.replace("max_pool2d", "avg_pool2d"))),
        "",
        {"architecture.max_pooling": "after conv1: average pooling"},
    ),
    "missing ReLU": (
        variant((HIDDEN, "x = self.fc1(x.flatten(start_dim=1))")),
        "",
        {"architecture.relu": "after fc1: no ReLU"},
    ),
    "3x3 kernels": (
        variant(
            ("nn.Conv2d(1, 20, kernel_size=5)", "nn.Conv2d(1, 20, kernel_size=3)"),
            ("nn.Conv2d(20, 50, kernel_size=5)", "nn.Conv2d(20, 50, kernel_size=3)"),
            ("nn.Linear(50 * 4 * 4, 500)", "nn.Linear(50 * 5 * 5, 500)"),
        ),
        "",
        {
            "architecture.parameters_per_layer": "kernel_size (3, 3), expected (5, 5)",
            "architecture.output_shapes": "the flattened size must be 50 x 4 x 4 = 800",
        },
    ),
    "hidden layer of 120": (
        variant(
            ("nn.Linear(50 * 4 * 4, 500)", "nn.Linear(50 * 4 * 4, 120)"),
            ("nn.Linear(500, 10)", "nn.Linear(120, 10)"),
        ),
        "",
        {
            "architecture.parameters_per_layer": "out_features 120, expected 500",
            "architecture.output_shapes": "(8, 120)",
        },
    ),
    "a layer defined but unused": (
        variant(("self.fc2 = nn.Linear(500, 10)", SPARE)),
        "",
        {"architecture.no_unused_layers": "spare defined in __init__ but never used"},
    ),
    "a wrong answer to one question": (
        variant(),
        WRONG_ANSWER,
        {"questions.answer[trainable_parameters-conv1]": "expected 520, got 500"},
    ),
}


@pytest.mark.parametrize("name", list(WRONG))
def test_wrong_variant_loses_the_right_checks(
    name: str, write_submission: Callable[[dict[str, str]], Path]
) -> None:
    model, tail, losses = WRONG[name]
    found = lost_in_process(submission(write_submission, model, tail))
    assert set(found) == set(losses), found
    for check_id, phrase in losses.items():
        assert phrase in found[check_id], found[check_id]
