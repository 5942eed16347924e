"""Checks for part 4: the LeNet-like CNN, the course's questions, and trained accuracy.

The expected table (parameters and output shapes per layer) comes from torchinfo run on
layers built from the hyperparameters the course states (SPEC). The student's layers
are matched in forward order, whatever their names or nesting; pooling and activations,
which have no torchinfo rows when written with torch.nn.functional, are recognised from
what each layer's input is made of (forward hooks).
"""

from __future__ import annotations

from typing import Any

import pytest
import torch

from grader.kit import activations, exercise_fixture
from grader.kit.architecture import (
    LayerRow,
    layers,
    param_rows,
    summary_rows,
    unused_layers,
)
from grader.kit.assertions import assert_shape, plain_value, type_name
from grader.kit.cnn import SPEC, diagnose_layers, pooled_shape, reference_table
from grader.kit.remote import Remote
from grader.kit.training import Recipe, Target, Trainer, TrainingRecord
from grader.kit.variants import (
    Claims,
    Gap,
    Variant,
    assert_varies,
    reproduces,
    seed_now,
    unverified,
    verified,
)

lenet = exercise_fixture("lenet")
CPU = torch.device("cpu")
BATCH = 8


NO_LAYERS = (
    "LeNet: its weights are nn.Parameters used with F.conv2d/F.linear (no layer modules); "
    "the course asks for nn.Conv2d and nn.Linear layers, which the grader inspects layer by "
    "layer (parameters, output shapes, pooling and ReLU between them): build conv1, conv2, "
    "fc1 and fc2 as nn.Conv2d(...) and nn.Linear(...)"
)


def has_layers(model: Remote) -> bool:
    """Whether the network is built from layer modules, or has no parameters at all."""
    found = layers(model)
    kinds = {layer["type"] for layer in found["layers"].values()}
    return bool(kinds & {"Conv2d", "Linear"}) or not found["loose_parameters"]


def rows_of(lenet: Remote) -> tuple[Remote, list[LayerRow]]:
    model = lenet.LeNet()
    return model, summary_rows(model, (BATCH, 1, 28, 28), CPU)


def verified_lenet(lenet: Remote, model: Remote) -> tuple[Claims, Variant | None]:
    """What the worker says about the student's LeNet, and the network it describes once
    the student's model reproduced it on the checker's weights and inputs. A network whose
    layers cannot be described (nn.Parameter weights used with F.conv2d) is verified
    against the course's network itself."""
    seed = seed_now()
    claims, variant = verified(lenet, model, (1, 28, 28), ("conv1", "conv2", "fc1"), seed)
    if variant is not None:
        return claims, variant
    course = course_claims()
    variant = reproduces(lenet, model, course, seed)
    return (course, variant) if variant is not None else (claims, None)


def course_claims() -> Claims:
    """The course's LeNet described as the claims of a student's network would be."""
    gaps = (Gap("conv1", "max", "relu"), Gap("conv2", "max", "relu"), Gap("fc1", "none", "relu"))
    kinds = tuple(spec.kind.__name__ for spec in SPEC)
    attrs = tuple(dict(spec.attrs) for spec in SPEC)
    return Claims(reference_table(2), kinds, attrs, gaps, (1, 28, 28))


def assert_verified(lenet: Remote, model: Remote, what: str) -> Claims:
    claims, variant = verified_lenet(lenet, model)
    assert variant is not None, unverified(what, claims)
    return claims


class TestForward:
    @pytest.mark.points(1)
    def test_output_shape(self, lenet: Remote) -> None:
        """LeNet returns (B, 10) logits"""
        model = lenet.LeNet()
        for batch in (1, 3, 64):
            assert_shape(
                model(torch.randn(batch, 1, 28, 28)), (batch, 10), f"LeNet on {batch} images"
            )
        seen = activations.linear_calls(model, torch.randn(16, 1, 28, 28))
        problem = activations.logits_problem(seen, "LeNet")
        assert not problem, problem
        assert_varies(model, "LeNet", (1, 28, 28))
        assert_verified(lenet, model, "LeNet's output")

    @pytest.mark.points(1)
    def test_rows_independent(self, lenet: Remote) -> None:
        """LeNet treats each image of a batch on its own"""
        model = lenet.LeNet().eval()
        x = torch.randn(5, 1, 28, 28)
        with torch.no_grad():
            together, alone = model(x), torch.cat([model(x[i : i + 1]) for i in range(5)])
        assert torch.allclose(together, alone, atol=1e-5), (
            "LeNet: row i of model(X) differs from model(X[i:i+1]): flatten each image with "
            "x.flatten(1) or x.view(x.shape[0], -1), never across the batch"
        )
        assert_varies(model, "LeNet", (1, 28, 28))
        assert_verified(lenet, model, "LeNet's rows")


def table_notes(diagnosis: str) -> list[str]:
    """The "^ ..." notes of a layer table, each with its layer: "conv1: padding (2, 2), ..."."""
    found, layer = [], ""
    for line in diagnosis.splitlines():
        text = line.strip()
        if text.startswith("^"):
            found.append(f"{layer}: {text.lstrip('^ ')}")
        elif text and not text.startswith("layer"):
            layer = text.split()[0]
    return found


class TestArchitecture:
    @pytest.mark.points(3)
    def test_parameters_per_layer(self, lenet: Remote) -> None:
        """conv1 520, conv2 25,050, fc1 400,500, fc2 5,010 trainable parameters (torchinfo)"""
        model, rows = rows_of(lenet)
        got = param_rows(rows)
        expected = reference_table(BATCH)
        assert has_layers(model), NO_LAYERS
        if [r.params for r in got] != [r.params for r in expected]:
            pytest.fail(
                "LeNet: the trainable parameters per layer differ from the course's "
                f"network\n{diagnose_layers(model, got, expected)}"
            )
        assert_verified(lenet, model, "LeNet's layers")

    @pytest.mark.points(2)
    def test_output_shapes(self, lenet: Remote) -> None:
        """each layer's output has the course's shape for a batch of B images"""
        model, rows = rows_of(lenet)
        got = param_rows(rows)
        expected = reference_table(BATCH)
        assert has_layers(model), (
            "LeNet: no nn.Conv2d or nn.Linear layers to inspect (see the parameters check)"
        )
        if [r.output for r in got] != [r.output for r in expected]:
            diagnosis = diagnose_layers(model, got, expected)
            if [r.params for r in got] != [r.params for r in expected]:
                shapes = [
                    f"{want.path} {mine.output}, expected {want.output}"
                    for mine, want in zip(got, expected, strict=False)
                    if mine.output != want.output
                ]
                pytest.fail(  # one cause, one table: the parameters check shows it
                    f"LeNet: layer output shapes (batch of {BATCH}) differ from the course's "
                    f"network: {'; '.join(shapes)}; the cause, in the parameters check's "
                    f"table: {'; '.join(table_notes(diagnosis)) or 'see that table'}"
                )
            pytest.fail(
                f"LeNet: layer output shapes (batch of {BATCH}) differ from the "
                f"course's network\n{diagnosis}"
            )
        assert_verified(lenet, model, "LeNet's output shapes")

    @pytest.mark.points(1)
    def test_max_pooling(self, lenet: Remote) -> None:
        """2x2 max pooling follows each convolutional layer"""
        model = lenet.LeNet()
        claims, variant = verified_lenet(lenet, model)
        assert len(claims.gaps) >= 2, "LeNet: expected two conv layers, each followed by pooling"
        for gap in claims.gaps[:2]:
            assert gap.pool == "max", f"LeNet: after {gap.after}: {gap.advice_pool()}"
        assert variant is not None, unverified("LeNet's pooling", claims)

    @pytest.mark.points(1)
    def test_relu(self, lenet: Remote) -> None:
        """ReLU follows conv1, conv2 and the hidden layer"""
        model = lenet.LeNet()
        claims, variant = verified_lenet(lenet, model)
        assert len(claims.gaps) >= 3, "LeNet: expected conv1, conv2, fc1 and fc2 in forward"
        for gap in claims.gaps:
            assert gap.activation == "relu", f"LeNet: after {gap.after}: {gap.advice_activation()}"
        assert variant is not None, unverified("LeNet's activations", claims)

    @pytest.mark.points(1)
    def test_no_unused_layers(self, lenet: Remote) -> None:
        """every layer defined in __init__ is used in forward"""
        model, rows = rows_of(lenet)
        unused = unused_layers(model, rows)
        assert not unused, (
            f"LeNet: {', '.join(unused)} defined in __init__ but never used in forward; "
            "remove it or use it (it adds parameters that are never trained)"
        )
        assert_verified(lenet, model, "LeNet's layers")


def truth(batch: int) -> dict[str, dict[str, Any]]:
    """The answers to the course's questions, from torchinfo on the course's SPEC."""
    rows = reference_table(batch)
    pooled = {f"pool{i + 1}": pooled_shape(rows[i].output) for i in range(2)}
    return {
        "filters": {s.label: s.attrs["out_channels"] for s in SPEC if "out_channels" in s.attrs},
        "trainable_parameters": {s.label: r.params for s, r in zip(SPEC, rows, strict=True)},
        "output_shapes": {**{s.label: r.output for s, r in zip(SPEC, rows, strict=True)}, **pooled},
    }


QUESTIONS = [
    (question, layer)
    for question, answers in truth(BATCH).items()
    for layer in sorted(answers, key=["conv1", "pool1", "conv2", "pool2", "fc1", "fc2"].index)
]


class TestQuestions:
    @pytest.mark.points(0.5)
    @pytest.mark.parametrize(
        ("question", "layer"),
        QUESTIONS,
        ids=[f"{question}-{layer}" for question, layer in QUESTIONS],
    )
    def test_answer(self, lenet: Remote, question: str, layer: str) -> None:
        """the answer to one of the course's questions"""
        function = getattr(lenet, question)
        answers = function(BATCH) if question == "output_shapes" else function()
        assert isinstance(answers, dict), f"{question}(): expected a dict, got {type_name(answers)}"
        assert layer in answers, f"{question}(): no answer for {layer!r}"
        expected = truth(BATCH)[question][layer]
        got = plain_value(answers[layer])
        assert got == expected, f"{question}()[{layer!r}]: expected {expected}, got {got}"


# The grader's own fixed recipe, so this check isolates the architecture from the student's
# training loop: cycles of 20,000 samples (batch 64) of SGD with Nesterov momentum and a
# one-cycle learning rate up to 0.08, the full test set evaluated after each cycle. The
# course's LeNet passes after the first cycle at every seed from 0 to 9: 98.10 % to 98.48 %
# on the CPU (channels-last weights there), 98.21 % to 98.52 % on an H200
# (tests/test_lenet_recipe.py). Batch 64 trains 1.2x more samples per second than 128 on
# the CPU, and its extra steps need fewer samples.
TARGET = Target("LeNet", threshold=0.98, floor=0.90, max_epochs=2, batch_size=64, chunk=20_000)
RECIPE = Recipe("the grader's one-cycle SGD recipe", max_lr=0.08)


def train_and_score(network: torch.nn.Module, trainer: Trainer) -> TrainingRecord:
    """The trained-accuracy check's training, also used by the tests of the recipe."""
    return trainer.score(network, RECIPE, TARGET)


class TestTrainedAccuracy:
    @pytest.mark.points(5)
    def test_lenet(self, lenet: Remote, trainer: Trainer) -> None:
        """LeNet reaches the target test accuracy within 2 epochs of the grader's training"""
        claims, variant = verified_lenet(lenet, lenet.LeNet())
        assert variant is not None, (
            f"{unverified('LeNet', claims)}; the grader trains the network it verified, "
            "from its own weights"
        )
        train_and_score(variant, trainer)
