"""The mutation-score command: its operators, region-only mutation and sampling on small
sources (fast, nothing graded), and one real run on a sample of tensors mutants (slow)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from grader.adequacy import mutate, operators
from grader.adequacy.mutate import Mutant, mutants_of
from grader.adequacy.run import Outcome, Verdict, judge
from grader.adequacy.source import Change, Source
from grader.adequacy.summary import Tally, render, tally
from tests.conftest import MNIST_ROOT, ROOT, SOLUTIONS


def region(*body: str, outside: str = "", header: str = "import torch\n") -> Source:
    """A one-function file whose body is a SOLUTION region, with `outside` after it."""
    lines = "".join(f"    {line}\n" for line in body)
    text = f"{header}\n\ndef f(x, y):\n    # BEGIN SOLUTION\n{lines}    # END SOLUTION\n"
    return Source("demo.py", text + outside)


def shown(source: Source, operator: operators.Operator) -> list[str]:
    return [c.shown for c in operator(source) if source.inside(c.start + 1, c.stop)]


def test_arithmetic_swaps_each_operator_also_augmented() -> None:
    source = region("z = x + y * 2", "z -= x / y", "return z")
    assert sorted(shown(source, operators.swap_arithmetic)) == [
        "z += x / y",
        "z -= x * y",
        "z = x + y / 2",
        "z = x - y * 2",
    ]


def test_comparisons_swap_with_their_boundary_or_negation() -> None:
    source = region("return x < y, x >= y, x == 3")
    assert sorted(shown(source, operators.swap_comparison)) == [
        "return x < y, x > y, x == 3",
        "return x < y, x >= y, x != 3",
        "return x <= y, x >= y, x == 3",
    ]


def test_integers_move_by_one_negative_literals_whole() -> None:
    source = region("return x[:-1] + 3 + True")
    assert sorted(shown(source, operators.shift_integers)) == [
        "return x[:-1] + 2 + True",
        "return x[:-1] + 4 + True",
        "return x[:-2] + 3 + True",
        "return x[:0] + 3 + True",
    ]


def test_dropped_keywords_take_their_comma_along() -> None:
    source = region("a = torch.full(x, y, dtype=torch.float32)", "b = g(keepdim=True, n=1)")
    assert shown(source, operators.drop_keywords) == ["a = torch.full(x, y)", "b = g(n=1)"]


def test_dims_swap_and_kernels_shrink_and_pools_average() -> None:
    source = region("a = x.sum(dim=0) + x.sum(dim=-1) + x.flatten(start_dim=1)")
    assert shown(source, operators.shift_dims) == [
        "a = x.sum(dim=1) + x.sum(dim=-1) + x.flatten(start_dim=1)",
        "a = x.sum(dim=0) + x.sum(dim=0) + x.flatten(start_dim=1)",
    ]
    pool = region("a = nn.MaxPool2d(2)(nn.Conv2d(1, 2, kernel_size=5)(F.max_pool2d(x, 2)))")
    assert shown(pool, operators.smaller_kernels) == [
        "a = nn.MaxPool2d(2)(nn.Conv2d(1, 2, kernel_size=3)(F.max_pool2d(x, 2)))"
    ]
    assert shown(pool, operators.average_pool) == [
        "a = nn.AvgPool2d(2)(nn.Conv2d(1, 2, kernel_size=5)(F.max_pool2d(x, 2)))",
        "a = nn.MaxPool2d(2)(nn.Conv2d(1, 2, kernel_size=5)(F.avg_pool2d(x, 2)))",
    ]


def test_no_grad_is_dropped_and_its_body_dedented() -> None:
    source = region("with torch.no_grad():", "    x -= y", "    x *= 2", "return x")
    (change,) = operators.drop_no_grad(source)
    assert change.new == ("    x -= y", "    x *= 2")
    text = source.apply(change)
    compile(text, "demo.py", "exec")
    assert "no_grad" not in text and "    return x" in text


def test_mode_and_zero_grad_calls_become_pass() -> None:
    source = region("model.train()", "opt.zero_grad()", "model.eval()", "model.train(False)")
    found = [(c.operator, c.line, c.shown) for c in operators.drop_calls(source)]
    assert sorted(found) == [
        ("drop-mode", 6, "pass"),
        ("drop-mode", 8, "pass"),
        ("drop-zero-grad", 7, "pass"),
    ]


def test_clone_in_place_slices_and_sigmoid() -> None:
    source = region("a = x.clone().add(1).clamp(0, 1)", "return torch.add(a, y[1:n - 1])")
    assert shown(source, operators.drop_clone) == ["a = x.add(1).clamp(0, 1)"]
    assert sorted(shown(source, operators.in_place)) == [
        "a = x.clone().add(1).clamp_(0, 1)",
        "a = x.clone().add_(1).clamp(0, 1)",
    ]
    assert shown(source, operators.off_by_one_slices) == [
        "return torch.add(a, y[1:(n - 1) + 1])",
        "return torch.add(a, y[1 + 1:n - 1])",
    ]
    relu = "return F.relu(x)"
    assert shown(region(relu), operators.relu_to_sigmoid) == ["return torch.sigmoid(x)"]
    bare = region(relu, header="import torch.nn.functional as F\n")
    assert shown(bare, operators.relu_to_sigmoid) == ["return F.sigmoid(x)"]


def test_only_the_solution_regions_are_mutated() -> None:
    source = region("return x + 1", outside="\n\ndef g(x):\n    return x + 1\n")
    found = mutants_of("demo", source)
    assert found and all(m.change.line == 6 for m in found)
    assert all(m.text.endswith("def g(x):\n    return x + 1\n") for m in found)


def test_every_solution_mutant_compiles_differs_and_is_unique() -> None:
    for name in ("tensors", "autograd", "mlp", "lenet"):
        original = (SOLUTIONS / f"{name}.py").read_text(encoding="utf-8")
        found = mutate.generate(SOLUTIONS, name)
        texts = {m.text for m in found}
        assert len(found) > 20 and len(texts) == len(found) and original not in texts
        for mutant in found:
            compile(mutant.text, mutant.file, "exec")
            assert Source(mutant.file, original).inside(mutant.change.line, mutant.change.line)


def test_every_operator_has_a_name_the_command_accepts() -> None:
    kinds = {m.change.operator for n in ("autograd", "mlp") for m in mutate.generate(SOLUTIONS, n)}
    assert kinds <= set(operators.NAMES) and len(operators.NAMES) == len(set(operators.NAMES))
    assert len(operators.OPERATORS) == 13 and {"drop-no-grad", "drop-mode"} <= kinds


def test_sampling_is_seeded_ordered_and_bounded() -> None:
    found = mutate.generate(SOLUTIONS, "tensors")
    first = mutate.sample(found, 10, seed=1)
    assert first == mutate.sample(found, 10, seed=1) != mutate.sample(found, 10, seed=2)
    assert len(first) == 10 and first == sorted(first, key=found.index)
    assert mutate.sample(found, len(found) + 5, seed=1) == found


def test_listed_equivalents_are_marked(monkeypatch: pytest.MonkeyPatch) -> None:
    key = ("demo.py", "arithmetic", "return x - 1")
    monkeypatch.setitem(operators.EQUIVALENT, key, "x is never read")
    marked = {m.change.shown: m.equivalent for m in mutants_of("demo", region("return x + 1"))}
    assert marked["return x - 1"] == "x is never read" and marked["return x + 2"] == ""


def test_a_mutant_that_does_not_compile_is_stillborn_without_grading() -> None:
    change = Change("demo", 1, 0, 1, ("def (",))
    mutant = Mutant("tensors", "tensors.py", change, "def f():", "def (\n")
    outcome = judge(mutant, Path("/nonexistent"), baseline=48.0)
    assert outcome.verdict is Verdict.STILLBORN and "SyntaxError" in outcome.note


def test_summary_counts_rates_and_lists_survivors() -> None:
    found = mutants_of("demo", region("return x + 1"))[:3]
    verdicts = (Verdict.KILLED, Verdict.SURVIVED, Verdict.STILLBORN)
    outcomes = [Outcome(m, v, 0.0, 1.0) for m, v in zip(found, verdicts, strict=True)]
    assert tally("demo", outcomes) == Tally("demo", 3, 1, 1, 0, 1)
    assert tally("demo", outcomes).rate == 0.5
    text = render({"demo": outcomes})
    assert "50.0 %" in text and f"Survivors (1):\n  {found[1].describe()}" in text


@pytest.mark.slow
@pytest.mark.skipif(MNIST_ROOT is None, reason="the grader's runs want MNIST's folder set")
def test_a_real_run_on_three_tensors_mutants_adds_up(tmp_path: Path) -> None:
    log = tmp_path / "adequacy.log"
    command = [sys.executable, "-m", "grader.adequacy", "--only", "tensors", "--limit", "3"]
    done = subprocess.run(
        [*command, "--log", str(log)], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    row = re.search(r"^tensors\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s", done.stdout, re.M)
    assert row, done.stdout
    mutants, killed, survived, equivalent, stillborn = map(int, row.groups())
    assert mutants == 3 and killed + survived + equivalent + stillborn == mutants
    assert log.read_text(encoding="utf-8") == done.stdout
