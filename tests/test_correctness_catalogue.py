"""The mistake catalogue of issue 11: correct code in other styles keeps every point, and
each plausible mistake loses exactly its own checks, with words that name the fault.

Each case edits the course's solution and runs the real checks on it in this process
(tests/inprocess.py: real DataLoaders, real torchinfo, the worker's own dispatcher); the
trained-accuracy checks are left out (tests/test_mlp_training.py and tests/test_lenet.py
cover them), and the process boundary is tested elsewhere. Cases run at different seeds,
and the seed-sensitive ones at three, because a verdict must not depend on --seed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from grader.adequacy.corpus import UNTRAINED
from grader.report import Status
from tests.conftest import SOLUTIONS, replace_function, solution_text
from tests.inprocess import check

# mlp and lenet build their trainer fixture lazily, but grading them needs MNIST found.
pytestmark = [pytest.mark.usefixtures("mnist_root"), pytest.mark.slow]


def swap(old: str, new: str) -> Callable[[str], str]:
    def make(source: str) -> str:
        assert source.count(old) == 1, f"{old!r} is not unique in the solution"
        return source.replace(old, new)

    return make


def body(name: str, text: str) -> Callable[[str], str]:
    return lambda source: replace_function(source, name, text)


@dataclasses.dataclass(frozen=True)
class Case:
    exercise: str
    make: Callable[[str], str]
    lost: dict[str, str]  # check id (without the exercise) -> a phrase of its message
    seeds: tuple[int, ...] = (0,)


CORRECT_STYLES = {
    "loss and error divided by len(loader.dataset)": Case(
        "mlp",
        lambda s: swap(
            "    return total_loss / seen, wrong / seen\n",
            "    n = len(loader.dataset)\n    return total_loss / n, wrong / n\n",
        )(
            swap(
                "            seen += len(labels)\n    return correct / seen",
                "    return correct / len(loader.dataset)",
            )(s)
        ),
        {},
        (1,),
    ),
    "drop_last=True on the training loader": Case(
        "mlp",
        swap(
            "DataLoader(train, batch_size=batch_size, shuffle=True)",
            "DataLoader(train, batch_size=batch_size, shuffle=True, drop_last=True)",
        ),
        {},
        (2,),
    ),
    "gradcheck imported inside the function": Case(
        "autograd",
        swap(
            "    return bool(torch.autograd.gradcheck(LinearFunction.apply, inputs))",
            "    from torch.autograd.gradcheck import gradcheck\n\n"
            "    return bool(gradcheck(LinearFunction.apply, inputs))",
        ),
        {},
        (3,),
    ),
    "numerical_gradient that perturbs x in place and restores it": Case(
        "autograd",
        body(
            "numerical_gradient",
            "grad = torch.zeros_like(x)\n"
            "for i in range(x.numel()):\n"
            "    x.view(-1)[i] += eps\n"
            "    plus = f(x)\n"
            "    x.view(-1)[i] -= 2 * eps\n"
            "    minus = f(x)\n"
            "    x.view(-1)[i] += eps\n"
            "    grad.view(-1)[i] = (plus - minus) / (2 * eps)\n"
            "return grad",
        ),
        {},
        (4,),
    ),
    "LeNet ending in log_softmax, built with nn.Sequential": Case(
        "lenet",
        lambda s: swap(
            "        return self.fc2(x)\n", "        return F.log_softmax(self.fc2(x), dim=1)\n"
        )(s),
        {},
        (1,),
    ),
    "MLP as nn.Sequential with nn.ReLU and nn.Flatten": Case(
        "mlp",
        lambda s: swap(
            "        self.hidden = nn.Linear(28 * 28, 300)\n"
            "        self.output = nn.Linear(300, 10)\n",
            "        self.net = nn.Sequential(\n            nn.Flatten(), nn.Linear(784, 300), "
            "nn.ReLU(), nn.Linear(300, 10)\n        )\n",
        )(
            swap(
                "        return self.output(torch.relu(self.hidden(x.flatten(start_dim=1))))",
                "        return self.net(x)",
            )(s)
        ),
        {},
        (2,),
    ),
    "evaluate under inference_mode, returning a numpy float": Case(
        "mlp",
        lambda s: swap("    with torch.no_grad():\n", "    with torch.inference_mode():\n")(
            swap("    return correct / seen\n", "    return np.float64(correct) / seen\n")(
                s.replace("import torch\n", "import numpy as np\nimport torch\n", 1)
            )
        ),
        {},
        (3,),
    ),
    "LeNet of nn.Sequential blocks with nn.ReLU(inplace=True) and nn.MaxPool2d": Case(
        "lenet",
        lambda s: swap(
            "        x = F.max_pool2d(F.relu(self.conv1(x)), 2)\n"
            "        x = F.max_pool2d(F.relu(self.conv2(x)), 2)\n"
            "        x = F.relu(self.fc1(x.flatten(start_dim=1)))\n"
            "        return self.fc2(x)\n",
            "        block = nn.Sequential(self.conv1, nn.ReLU(inplace=True), nn.MaxPool2d(2),\n"
            "                              self.conv2, nn.ReLU(inplace=True), nn.MaxPool2d(2))\n"
            "        x = block(x).view(x.size(0), -1)\n"
            "        return self.fc2(nn.ReLU(inplace=True)(self.fc1(x)))\n",
        )(s),
        {},
        (4,),
    ),
}

MISTAKES = {
    "numerical_gradient that ignores its eps argument": Case(
        "autograd",
        swap("        old = flat[i].item()\n", "        old, eps = flat[i].item(), 1e-6\n"),
        # the cubic's and sin(x) x's central differences at eps=0.01 and 0.02 differ from
        # their gradients by more than the tolerance; the other two functions cannot tell,
        # so they must not fail
        {
            f"gradients_by_hand.numerical_gradient[{name}]": "use the eps argument"
            for name in ("cubic", "sin_times_x")
        },
        (2,),
    ),
    "MLP with a leaky ReLU": Case(
        "mlp",
        swap("torch.relu(self.hidden(", "torch.nn.functional.leaky_relu(self.hidden("),
        {"mlp.relu": "leaky_relu; the course's MLP uses ReLU"},
        (1,),
    ),
    "make_loaders that trains on the test set": Case(
        "mlp",
        swap(
            "DataLoader(train, batch_size=batch_size, shuffle=True)",
            "DataLoader(test, batch_size=batch_size, shuffle=True)",
        ),
        {"data.shuffle_training_only": "the training loader serves test samples"},
        (0, 3),
    ),
    "make_loaders that evaluates on the training set": Case(
        "mlp",
        swap(
            "DataLoader(test, batch_size=batch_size, shuffle=False)",
            "DataLoader(train, batch_size=batch_size, shuffle=False)",
        ),
        {"data.shuffle_training_only": "the test loader training samples"},
        (1,),
    ),
    "drop_last=True on the test loader": Case(
        "mlp",
        swap(
            "DataLoader(test, batch_size=batch_size, shuffle=False)",
            "DataLoader(test, batch_size=batch_size, shuffle=False, drop_last=True)",
        ),
        {"data.shuffle_training_only": "no drop_last on the test loader"},
        (2,),
    ),
    "MLP that returns softmax probabilities": Case(
        "mlp",
        swap(
            "        return self.output(torch.relu(self.hidden(x.flatten(start_dim=1))))",
            "        return torch.softmax(self.output(torch.relu(self.hidden(x.flatten(1)))), 1)",
        ),
        {"mlp.output_shape": "returns softmax probabilities"},
        (3,),
    ),
    "MLP with a sigmoid hidden layer": Case(
        "mlp",
        swap("torch.relu(self.hidden(", "torch.sigmoid(self.hidden("),
        {"mlp.relu": "sigmoid; the course's MLP uses ReLU"},
        (4,),
    ),
    "LeNet that returns softmax probabilities": Case(
        "lenet",
        swap("        return self.fc2(x)\n", "        return F.softmax(self.fc2(x), dim=1)\n"),
        {"forward.output_shape": "returns softmax probabilities"},
        (0,),
    ),
    "LeNet with sigmoid activations keeps its max-pooling point": Case(
        "lenet",
        lambda s: s.replace("F.relu(", "torch.sigmoid(").replace(
            "import torch.nn.functional as F", "import torch\nimport torch.nn.functional as F"
        ),
        {"architecture.relu": "sigmoid; the course uses ReLU"},
        (1,),
    ),
    "LeNet with nn.Parameter weights and F.conv2d": Case(
        "lenet",
        lambda s: swap(
            "        self.conv1 = nn.Conv2d(1, 20, kernel_size=5)\n"
            "        self.conv2 = nn.Conv2d(20, 50, kernel_size=5)\n"
            "        self.fc1 = nn.Linear(50 * 4 * 4, 500)\n"
            "        self.fc2 = nn.Linear(500, 10)\n",
            "        self.w1 = nn.Parameter(0.1 * torch.randn(20, 1, 5, 5))\n"
            "        self.b1 = nn.Parameter(torch.zeros(20))\n"
            "        self.w2 = nn.Parameter(0.05 * torch.randn(50, 20, 5, 5))\n"
            "        self.b2 = nn.Parameter(torch.zeros(50))\n"
            "        self.w3 = nn.Parameter(0.03 * torch.randn(500, 800))\n"
            "        self.b3 = nn.Parameter(torch.zeros(500))\n"
            "        self.w4 = nn.Parameter(0.04 * torch.randn(10, 500))\n"
            "        self.b4 = nn.Parameter(torch.zeros(10))\n",
        )(
            swap(
                "        x = F.max_pool2d(F.relu(self.conv1(x)), 2)\n"
                "        x = F.max_pool2d(F.relu(self.conv2(x)), 2)\n"
                "        x = F.relu(self.fc1(x.flatten(start_dim=1)))\n"
                "        return self.fc2(x)\n",
                "        x = F.max_pool2d(F.relu(F.conv2d(x, self.w1, self.b1)), 2)\n"
                "        x = F.max_pool2d(F.relu(F.conv2d(x, self.w2, self.b2)), 2)\n"
                "        x = F.relu(F.linear(x.flatten(1), self.w3, self.b3))\n"
                "        return F.linear(x, self.w4, self.b4)\n",
            )(s.replace("import torch.nn.functional", "import torch\nimport torch.nn.functional"))
        ),
        {
            "architecture.parameters_per_layer": "asks for nn.Conv2d and nn.Linear layers",
            "architecture.output_shapes": "see the parameters check",
        },
        (2,),
    ),
    "loss accumulated as a tensor": Case(
        "mlp",
        swap("total_loss += loss.item() * len(labels)", "total_loss += loss * len(labels)"),
        {"train_epoch.statistics": "expected a Python float, got a torch.Tensor"},
        (3,),
    ),
    "evaluate returning a 0-d tensor": Case(
        "mlp",
        swap(
            "            correct += int((model(images).argmax(dim=1) == labels).sum())",
            "            correct += (model(images).argmax(dim=1) == labels).sum()",
        ),
        {"evaluate.accuracy_exact": "expected a Python float, got a torch.Tensor"},
        (4,),
    ),
    "evaluate with a broadcasting bug (accuracy above 1)": Case(
        "mlp",
        swap(
            "            correct += int((model(images).argmax(dim=1) == labels).sum())",
            "            correct += int((model(images).argmax(dim=1) == labels[:, None]).sum())",
        ),
        {"evaluate.accuracy_exact": "an accuracy is a fraction in [0, 1]"},
        (0,),
    ),
    "train_epoch that returns the accuracy instead of the error": Case(
        "mlp",
        swap("wrong / seen\n", "1 - wrong / seen\n"),
        {"train_epoch.statistics": "that is the accuracy"},
        (0, 2, 4),
    ),
    "the course's slip: the count grows by loader.batch_size": Case(
        "mlp",
        swap("\n        seen += len(labels)\n", "\n        seen += loader.batch_size\n"),
        {"train_epoch.statistics": "(3 batches x 8) but 21 samples were seen"},
        (1,),
    ),
    "fit_line returning loss tensors": Case(
        "autograd",
        swap("        losses.append(loss.item())", "        losses.append(loss.detach())"),
        {"fit.fit_line": "the losses must be Python floats, got Tensor"},
        (1,),
    ),
    "fit_line with a summed loss": Case(
        "autograd",
        swap(
            "        loss = ((theta[0] * x + theta[1] - y) ** 2).mean()",
            "        loss = ((theta[0] * x + theta[1] - y) ** 2).sum()",
        ),
        {"fit.fit_line": "the loss is the sum of squared errors"},
        (2,),
    ),
    "descent_step that reassigns theta": Case(
        "autograd",
        body("descent_step", "with torch.no_grad():\n    theta = theta - lr * theta.grad"),
        {
            "descent_step.update": "theta did not change",
            "descent_step.leaf_and_cleared": "not cleared",
            "fit.fit_line": "theta was never updated",
        },
        (3,),
    ),
    "numerical_gradient with forward differences": Case(
        "autograd",
        body(
            "numerical_gradient",
            "grad = torch.zeros_like(x)\n"
            "base = f(x)\n"
            "for i in range(x.numel()):\n"
            "    step = torch.zeros_like(x).reshape(-1)\n"
            "    step[i] = eps\n"
            "    grad.view(-1)[i] = (f(x + step.reshape(x.shape)) - base) / eps\n"
            "return grad",
        ),
        {
            f"gradients_by_hand.numerical_gradient[{name}]": "forward differences"
            for name in ("cubic", "sin_times_x", "logsumexp", "quadratic_form")
        },
        (4,),
    ),
    "numerical_gradient with autograd": Case(
        "autograd",
        body(
            "numerical_gradient",
            "x = x.detach().clone().requires_grad_()\nf(x).backward()\nreturn x.grad",
        ),
        {
            f"gradients_by_hand.numerical_gradient[{name}]": "without autograd"
            for name in ("cubic", "sin_times_x", "logsumexp", "quadratic_form")
        },
        (0,),
    ),
    "softmax_regression_gradients with autograd": Case(
        "autograd",
        body(
            "softmax_regression_gradients",
            "W, b = W.clone().requires_grad_(), b.clone().requires_grad_()\n"
            "loss = torch.nn.functional.cross_entropy(X @ W.T + b, y)\n"
            "dW, db = torch.autograd.grad(loss, (W, b))\n"
            "return dW, db",
        ),
        {
            "gradients_by_hand.softmax_regression_dw": "without autograd",
            "gradients_by_hand.softmax_regression_db": "without autograd",
        },
        (1,),
    ),
    "LinearFunction.backward with db of shape (N, C)": Case(
        "autograd",
        swap("grad_y.T @ x, grad_y.sum(dim=0)", "grad_y.T @ x, grad_y"),
        {"custom_function.linear_backward": "dL/db has shape (4, 2), expected (2,)"},
        (2,),
    ),
    "split_in_chunks that ignores dim": Case(
        "tensors",
        swap("    return torch.chunk(t, chunks, dim=dim)", "    return torch.chunk(t, chunks)"),
        {"manipulating.chunk": "dim=1"},
        (3,),
    ),
    "element with row and column swapped": Case(
        "tensors",
        swap("    return A[i, j]", "    return A[j, i]"),
        {"slicing.element": "element(A of shape (5, 4), float32, 2, 1)"},
        (0, 2, 4),
    ),
    "combine that changes its input in place": Case(
        "tensors",
        swap("    return A + Y * Z - B", "    A += Y * Z\n    A -= B\n    return A"),
        {"math.combine": "the input A was changed in place"},
        (4,),
    ),
}


def grade_case(case: Case, seed: int, folder: Path) -> dict[str, str]:
    """The edited solution's checks at `seed`; {check id: message} of the checks that lost."""
    folder.mkdir()
    (folder / f"{case.exercise}.py").write_text(case.make(solution_text(case.exercise)))
    verdicts = check(folder, case.exercise, prefixes=UNTRAINED[case.exercise], seed=seed)
    assert verdicts
    errors = [v for v in verdicts.values() if v.status is Status.ERROR]
    assert not errors, [v.message for v in errors]
    prefix = f"{case.exercise}."
    return {
        v.id.removeprefix(prefix): v.message
        for v in verdicts.values()
        if v.status is not Status.PASSED
    }


def seeded(cases: dict[str, Case]) -> list[tuple[str, int]]:
    return [(name, seed) for name, case in cases.items() for seed in case.seeds]


@pytest.mark.parametrize(("style", "seed"), seeded(CORRECT_STYLES))
def test_correct_style_keeps_every_point(style: str, seed: int, tmp_path: Path) -> None:
    assert grade_case(CORRECT_STYLES[style], seed, tmp_path / "submission") == {}


@pytest.mark.parametrize(("mistake", "seed"), seeded(MISTAKES))
def test_mistake_loses_exactly_its_checks(mistake: str, seed: int, tmp_path: Path) -> None:
    case = MISTAKES[mistake]
    lost = grade_case(case, seed, tmp_path / "submission")
    assert set(lost) == set(case.lost), lost
    for check_id, phrase in case.lost.items():
        assert phrase in lost[check_id], lost[check_id]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("exercise", list(UNTRAINED))
def test_solutions_keep_every_point_at_other_seeds(exercise: str, seed: int) -> None:
    """The course's solutions at seeds other than the default (training left out)."""
    verdicts = check(SOLUTIONS, exercise, prefixes=UNTRAINED[exercise], seed=seed)
    lost = {v.id: v.message for v in verdicts.values() if v.status is not Status.PASSED}
    assert verdicts and not lost, lost
