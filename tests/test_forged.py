"""Points without the graded code: untouched stubs whose import rewrites every probe of the
worker (the grader's code that runs beside student code) to report a perfect answer.

Student code runs in the worker's process, so it can rewrite anything there. No point may
rest on that: a model check also needs the student's model to compute the claimed network
on the checker's weights and inputs, an accuracy comes from the checker's own training,
a by-hand rule needs the submitted source to agree, and a check that used a name still
bound to its starter stub scores as not attempted. The whole course must stay at 0.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXERCISES, validate_data

pytestmark = pytest.mark.slow  # grades in real subprocesses

FORGER = """

# --- everything below forges what the grader's probes report ---
import torch as _t
import torch.nn.functional as _F
import grader.worker.probes as _probes

_TABLES = {
    "LogRegression": [("linear", "Linear", 7850, (10,), {"in_features": 784, "out_features": 10})],
    "MLP": [
        ("hidden", "Linear", 235500, (300,), {"in_features": 784, "out_features": 300}),
        ("output", "Linear", 3010, (10,), {"in_features": 300, "out_features": 10}),
    ],
    "LeNet": [
        ("conv1", "Conv2d", 520, (20, 24, 24), {"in_channels": 1, "out_channels": 20,
         "kernel_size": (5, 5), "stride": (1, 1), "padding": (0, 0)}),
        ("conv2", "Conv2d", 25050, (50, 8, 8), {"in_channels": 20, "out_channels": 50,
         "kernel_size": (5, 5), "stride": (1, 1), "padding": (0, 0)}),
        ("fc1", "Linear", 400500, (500,), {"in_features": 800, "out_features": 500}),
        ("fc2", "Linear", 5010, (10,), {"in_features": 500, "out_features": 10}),
    ],
}


def _table(model):
    return _TABLES.get(type(model).__name__, _TABLES["LeNet"])


def _rows(_d, model, size, device):
    return [(p, k, n, (int(size[0]), *o)) for p, k, n, o, _a in _table(model)]


def _layers(_d, model):
    return {"layers": {p: {"type": k, "attrs": a} for p, k, _n, _o, a in _table(model)},
            "loose_parameters": 0}


def _io(_d, model, paths, x):
    seen, batch = [], len(x)
    rows = _table(model)
    previous = x
    for index, (_p, kind, _n, shape, _a) in enumerate(rows):
        out = _t.randn(batch, *shape)
        seen.append((previous, out))
        nxt = _F.relu(out)
        if kind == "Conv2d":
            nxt = _F.max_pool2d(nxt, 2)
        linear_next = index + 1 < len(rows) and rows[index + 1][1] == "Linear"
        previous = nxt.flatten(1) if linear_next else nxt
    return seen


def _linear_calls(_d, model, x):
    hidden = _t.randn(len(x), 300)
    out = _t.randn(len(x), 10)
    return {"calls": [(x.flatten(1), hidden), (_F.relu(hidden), out)], "out": out}


def _forward_with(_d, model, weights, x):
    return _t.zeros(len(x), 10)


_FORGED = {
    "summary_rows": _rows,
    "layers": _layers,
    "layer_io": _io,
    "linear_calls": _linear_calls,
    "forward_with": _forward_with,
    "gradcheck": lambda *a: True,
    "gradcheck_linear": lambda *a: {"seen": [[["torch.float64", True]] * 3], "verdict": True},
    "evaluate_run": lambda *a: {"value": 1.0, "seen": [(False, False)]},
    "train_epoch_moves": lambda *a: {"yielded": 4, "missed": 0},
    "saved_tensor": lambda *a: _t.arange(6.0).reshape(2, 3),
}
_probes.PROBES.update(_FORGED)


class _Model(_t.nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = _t.nn.Parameter(_t.ones(1))

    def forward(self, x):
        return _t.randn(len(x), 10) * self.scale
"""

MODELS = {"mlp": ("LogRegression", "MLP"), "lenet": ("LeNet",)}


def forged(name: str) -> str:
    """The untouched stub, its probes forged, and for a model exercise a network that
    answers random logits under the course's class names."""
    source = (EXERCISES / f"{name}.py").read_text()
    aliases = "".join(f"\n{model} = _Model\n" for model in MODELS.get(name, ()))
    return source + FORGER + aliases


def test_forged_probes_earn_nothing(tmp_path: Path, mnist_root: Path) -> None:
    folder = tmp_path / "submission"
    folder.mkdir()
    for name in ("tensors", "autograd", "mlp", "lenet"):
        (folder / f"{name}.py").write_text(forged(name))
    report_path = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "grader", str(folder), "--json", str(report_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    validate_data(report)
    earned = {
        check["id"]: check["message"]
        for exercise in report["exercises"]
        for check in exercise["checks"]
        if check["score"] > 0
    }
    assert earned == {}, earned
    assert report["score"] == 0


EMPTY = """

class LeNet(nn.Module):
    def forward(self, x):
        return torch.zeros(len(x), 10)
"""

IGNORES_WEIGHTS = '''

class LeNet(nn.Module):
    """The course's layers, but forward computes with fixed tensors of its own (as a network
    trained elsewhere and shipped in the file would): its parameters change nothing."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(800, 500)
        self.fc2 = nn.Linear(500, 10)
        generator = torch.Generator().manual_seed(7)
        self.register_buffer("fixed", torch.randn(784, 10, generator=generator))

    def forward(self, x):
        self.fc2(F.relu(self.fc1(F.max_pool2d(F.relu(self.conv2(
            F.max_pool2d(F.relu(self.conv1(x)), 2))), 2).flatten(1))))
        return x.flatten(1) @ self.fixed
'''


@pytest.mark.parametrize("model", [EMPTY, IGNORES_WEIGHTS], ids=["empty", "ignores its weights"])
def test_a_network_that_is_not_the_claimed_one_earns_no_model_point(
    tmp_path: Path, model: str
) -> None:
    """Only the course's questions (plain answers) may score; every check of the network,
    the trained accuracy included, needs a network that computes with its own weights."""
    folder = tmp_path / "submission"
    folder.mkdir()
    solution = (EXERCISES.parent / "solutions" / "lenet.py").read_text()
    start, end = solution.index("class LeNet"), solution.index("# The course's questions")
    (folder / "lenet.py").write_text(solution[:start] + model.lstrip() + "\n\n" + solution[end:])
    report_path = tmp_path / "report.json"
    command = [sys.executable, "-m", "grader", str(folder), "--only", "lenet"]
    done = subprocess.run(
        [*command, "--json", str(report_path)], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(report_path.read_text())
    earned = {
        check["id"]
        for exercise in report["exercises"]
        for check in exercise["checks"]
        if check["score"] > 0
    }
    assert earned and all(".questions." in check for check in earned), earned
