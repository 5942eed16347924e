"""Checks for part 3: MNIST data access, logistic regression, an MLP, training and evaluation.

Small checks use synthetic tensors made here; the trained-accuracy checks use the real
MNIST through the grader's fast data path (grader/kit/training.py), with the student's own
model and train_epoch and the grader's own evaluation.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
import torch
from torch import Tensor, nn

from grader.kit import activations, exercise_fixture, loaders, loops
from grader.kit.architecture import assert_param_layers
from grader.kit.assertions import (
    FLOAT32,
    assert_number,
    assert_shape,
    assert_tensor,
    python_number,
    type_name,
)
from grader.kit.loaders import Loader
from grader.kit.remote import Remote, probe
from grader.kit.source import NO_GRAD_CALLS, source_of
from grader.kit.training import Recipe, Target, Trainer
from grader.kit.variants import (
    Variant,
    assert_varies,
    seed_now,
    unverified,
    verified,
)
from grader.worker.training import MEAN, STD

mlp = exercise_fixture("mlp")

LOGREG_LAYERS = [("linear", 7_850)]
MLP_LAYERS = [("hidden", 235_500), ("output", 3_010)]
CPU = torch.device("cpu")


def fake_images(n: int) -> tuple[Tensor, Tensor]:
    """uint8 images with both extremes (0 and 255) present, and digit labels."""
    images = torch.randint(0, 256, (n, 28, 28), dtype=torch.uint8)
    images[0, 0, 0], images[0, 0, 1] = 0, 255
    return images, torch.randint(0, 10, (n,))


def normalised(images: Tensor) -> Tensor:
    return images.float().div(255).sub(MEAN).div(STD)


def pair_of_loaders(mlp: Remote, batch_size: int) -> tuple[Any, Any]:
    got = mlp.make_loaders(*loaders.train_and_test(), batch_size)
    assert isinstance(got, tuple | list) and len(got) == 2, (
        f"make_loaders: expected (train_loader, test_loader), got {type_name(got)}"
    )
    return got[0], got[1]


class TestData:
    @pytest.mark.points(1)
    def test_length(self, mlp: Remote) -> None:
        """MnistDataset has one item per image"""
        images, labels = fake_images(37)
        dataset = mlp.MnistDataset(images, labels)
        assert len(dataset) == 37, f"len(MnistDataset): expected 37, got {len(dataset)}"

    @pytest.mark.points(1)
    def test_item_shape_and_dtype(self, mlp: Remote) -> None:
        """an item is a float32 image (1, 28, 28) and an int label"""
        images, labels = fake_images(5)
        image, label = mlp.MnistDataset(images, labels)[3]
        if isinstance(image, Tensor) and tuple(image.shape) == (28, 28):
            pytest.fail(
                "MnistDataset[i]: expected shape (1, 28, 28), got (28, 28): add the "
                "channel dimension (unsqueeze(0))"
            )
        assert_shape(image, (1, 28, 28), "MnistDataset[i]: image")
        assert image.dtype == torch.float32, (
            f"MnistDataset[i]: expected dtype torch.float32, got {image.dtype}"
        )
        assert type(label) is int, (
            f"MnistDataset[3]: the label must be a Python int, got {type_name(label)}: "
            "return int(label) (or label.item())"
        )
        dataset = mlp.MnistDataset(images, labels)
        got = [dataset[i][1] for i in range(len(labels))]
        assert got == labels.tolist(), (
            f"MnistDataset[i]: expected the labels {labels.tolist()}, got {got}"
        )

    @pytest.mark.points(2)
    def test_normalisation(self, mlp: Remote) -> None:
        """images are scaled to [0, 1], then normalised with MEAN and STD"""
        images, labels = fake_images(4)
        dataset = mlp.MnistDataset(images, labels)
        got = torch.stack([dataset[i][0].reshape(28, 28) for i in range(4)])
        for wrong, advice in [
            (images.float(), "pixels are still 0..255: divide by 255, then normalise"),
            (images.float() / 255, "pixels are in [0, 1] but not normalised: (x - MEAN) / STD"),
        ]:
            if torch.allclose(got, wrong):
                pytest.fail(f"MnistDataset: {advice}")
        assert_tensor(got, normalised(images), "MnistDataset: normalised pixels", tol=FLOAT32)

    @pytest.mark.points(1)
    def test_batches(self, mlp: Remote) -> None:
        """make_loaders yields batches (B, 1, 28, 28) and (B,) of the given size"""
        train, test = pair_of_loaders(mlp, 16)
        for loader, what in ((train, "training loader"), (test, "test loader")):
            images, labels = next(iter(loader))
            assert_shape(images, (16, 1, 28, 28), f"make_loaders: a batch of the {what}")
            assert_shape(labels, (16,), f"make_loaders: the labels of a batch of the {what}")

    @pytest.mark.points(1)
    def test_shuffle_training_only(self, mlp: Remote) -> None:
        """the training loader shuffles the training set, the test loader serves the test set
        in order"""
        train, test = pair_of_loaders(mlp, 16)
        train_order, test_order = (
            loaders.served(train, "training loader"),
            loaders.served(test, "test loader"),
        )
        if bool((train_order >= 100).any()) or not bool((test_order >= 100).all()):
            pytest.fail(
                "make_loaders: the training loader serves test samples or the test loader "
                "training samples: return (train_loader over train, test_loader over test)"
            )
        # drop_last=True on the training loader is fine: the dropped samples change each epoch
        assert len(train_order) in (32, 40) and len(set(train_order.tolist())) == len(
            train_order
        ), f"make_loaders: the training loader served {len(train_order)} samples of 40"
        assert not torch.equal(train_order, torch.arange(len(train_order))), (
            "make_loaders: the training loader does not shuffle (shuffle=True)"
        )
        assert len(test_order) == 21, (
            f"make_loaders: the test loader served {len(test_order)} of the 21 test samples: "
            "every test sample must be evaluated (no drop_last on the test loader)"
        )
        assert torch.equal(test_order, torch.arange(100, 121)), (
            "make_loaders: the test loader shuffles; evaluation needs no shuffling"
        )


def check_outputs(mlp: Remote, model: Remote, what: str) -> None:
    for batch in (1, 7, 64):
        for shape in ((batch, 28, 28), (batch, 1, 28, 28)):
            out = model(torch.randn(*shape))
            assert_shape(out, (batch, 10), f"{what} on input {shape}")
    problem = activations.logits_problem(
        activations.linear_calls(model, torch.randn(64, 1, 28, 28)), what
    )
    assert not problem, problem
    assert_varies(model, what, (1, 28, 28))
    assert_verified(mlp, model, f"{what}'s output")


def assert_verified(mlp: Remote, model: Remote, what: str) -> Variant:
    """The network the worker describes, once the student's model reproduced it."""
    claims, variant = verified(mlp, model, (1, 28, 28), ("hidden",), seed_now())
    assert variant is not None, unverified(what, claims)
    return variant


def check_rows_independent(mlp: Remote, model: Remote, what: str) -> None:
    """Row i of model(X) must equal model(X[i:i+1]): the flatten keeps samples apart."""
    x = torch.randn(6, 1, 28, 28)
    model.eval()
    with torch.no_grad():
        together = model(x)
        alone = torch.cat([model(x[i : i + 1]) for i in range(6)])
    assert torch.allclose(together, alone, atol=1e-5), (
        f"{what}: row i of model(X) differs from model(X[i:i+1]): the flatten mixes samples "
        "of the batch; flatten each image with x.reshape(x.shape[0], -1) or x.flatten(1)"
    )
    assert_varies(model, what, (1, 28, 28))
    assert_verified(mlp, model, f"{what}'s rows")


class TestLogRegression:
    @pytest.mark.points(1)
    def test_output_shape(self, mlp: Remote) -> None:
        """LogRegression returns (B, 10) logits for batches with or without a channel
        dimension"""
        check_outputs(mlp, mlp.LogRegression(), "LogRegression")

    @pytest.mark.points(1)
    def test_parameters(self, mlp: Remote) -> None:
        """LogRegression has one linear layer of 7,850 parameters (torchinfo)"""
        model = mlp.LogRegression()
        assert_param_layers(model, LOGREG_LAYERS, (1, 1, 28, 28), "LogRegression", CPU)
        assert_verified(mlp, model, "LogRegression's layer")

    @pytest.mark.points(1)
    def test_rows_independent(self, mlp: Remote) -> None:
        """LogRegression treats each sample of a batch on its own"""
        check_rows_independent(mlp, mlp.LogRegression(), "LogRegression")


class TestMLP:
    @pytest.mark.points(1)
    def test_output_shape(self, mlp: Remote) -> None:
        """MLP returns (B, 10) logits for batches with or without a channel dimension"""
        check_outputs(mlp, mlp.MLP(), "MLP")

    @pytest.mark.points(2)
    def test_parameters(self, mlp: Remote) -> None:
        """MLP has layers of 235,500 and 3,010 parameters (torchinfo)"""
        model = mlp.MLP()
        assert_param_layers(model, MLP_LAYERS, (1, 1, 28, 28), "MLP", CPU)
        assert_verified(mlp, model, "MLP's layers")

    @pytest.mark.points(1)
    def test_rows_independent(self, mlp: Remote) -> None:
        """MLP treats each sample of a batch on its own"""
        check_rows_independent(mlp, mlp.MLP(), "MLP")

    @pytest.mark.points(1)
    def test_relu(self, mlp: Remote) -> None:
        """MLP applies ReLU to the hidden layer"""
        calls = activations.linear_calls(mlp.MLP(), torch.randn(8, 1, 28, 28))["calls"]
        if len(calls) != 2:
            activations.assert_nonlinear(mlp.MLP())
            return
        (_, hidden), (given, _) = calls
        found = activations.recognise(hidden, given)
        assert found == "relu", (
            f"MLP: after the hidden layer: {activations.activation_advice(found)}"
        )
        assert_verified(mlp, mlp.MLP(), "MLP's activation")


def run_train_epoch(mlp: Remote, model: nn.Module, loader: Loader) -> dict[str, Any]:
    """The student's train_epoch on `model` (SGD, lr LR) in the worker: its result, the
    model's output per batch and the parameters after, loaded into a copy of `model`."""
    run: dict[str, Any] = probe(mlp, "train_epoch_run", mlp.train_epoch, model, loader, loops.LR)
    trained = copy.deepcopy(model)
    with torch.no_grad():
        for mine, theirs in zip(trained.parameters(), run["parameters"], strict=True):
            mine.copy_(theirs)
    run["model"] = trained
    return run


def train_epoch_problem(mlp: Remote) -> str:
    """'' when three steps of the student's train_epoch equal the course's loop, else why."""
    start, loader = loops.small_model(), loaders.random_loader((8, 8, 5))
    batches = list(loader)
    run = run_train_epoch(mlp, start, loader)
    if not all(run["training"]):
        return (
            "train_epoch: the model ran in eval mode: call model.train() before the loop "
            "(evaluate leaves the model in eval mode, which turns dropout and batch norm off)"
        )
    model = run["model"]
    if loops.same_parameters(model, loops.run(loops.CORRECT, start, batches).model):
        return ""
    advice = loops.diagnose(model, start, batches)
    return (
        "train_epoch: the parameters after 3 batches differ from the course's loop: "
        f"{advice or 'zero_grad, forward, loss, backward, step per batch'}"
    )


class TestTrainEpoch:
    @pytest.mark.points(3)
    def test_steps(self, mlp: Remote) -> None:
        """three steps of train_epoch equal the course's loop"""
        problem = train_epoch_problem(mlp)
        assert not problem, problem

    @pytest.mark.points(2)
    def test_statistics(self, mlp: Remote) -> None:
        """train_epoch returns the mean loss per sample and the training error, as floats"""
        model, loader = loops.small_model(), loaders.random_loader((8, 8, 5))
        batches = list(loader)
        run = run_train_epoch(mlp, model, loader)
        got, outputs = run["value"], run["outputs"]
        assert isinstance(got, tuple | list) and len(got) == 2, (
            f"train_epoch: expected (mean loss, error), got {type_name(got)}"
        )
        assert len(outputs) == len(batches), (
            f"train_epoch: the model ran {len(outputs)} times for {len(batches)} batches"
        )
        epoch = loops.epoch_from_outputs(outputs, batches)
        loss = python_number(got[0], "train_epoch: the mean loss")
        error = python_number(got[1], "train_epoch: the training error")
        advice = loops.statistics_advice(epoch, loss, error, batch_size=8)
        assert not advice, f"train_epoch: {advice}"
        assert_number(loss, epoch.mean_loss, "train_epoch: mean loss", tol=FLOAT32)
        assert_number(error, epoch.error, "train_epoch: training error", tol=FLOAT32)

    @pytest.mark.points(1)
    def test_moves_batches_to_device(self, mlp: Remote) -> None:
        """train_epoch moves every batch to the device it is given"""
        run = probe(mlp, "train_epoch_moves", mlp.train_epoch, loops.small_model(), (8, 8, 5))
        assert run["yielded"] and not run["missed"], (
            f"train_epoch: {run['missed']} of {run['yielded']} batch tensors were not "
            "moved to the device: call images.to(device) and labels.to(device)"
        )
        assert source_of(mlp).calls("train_epoch", "to", "cuda"), (
            "train_epoch: the source never calls .to(device): move each batch to the device"
        )


def probe_model() -> nn.Module:
    """A model with dropout, so that training mode shows."""
    return nn.Sequential(nn.Flatten(), nn.Dropout(0.5), nn.Linear(28 * 28, 10))


class TestEvaluate:
    def run(self, mlp: Remote) -> tuple[Any, float, list[tuple[bool, bool]]]:
        model = probe_model().eval()
        images = torch.randn(123, 1, 28, 28)
        with torch.no_grad():  # mostly the model's own eval-mode answers: dropout shows
            labels = model(images).argmax(1)
        labels[100:] = torch.randint(0, 10, (23,))
        loader = loaders.tensor_loader(images, labels, 50)
        run = probe(mlp, "evaluate_run", mlp.evaluate, model, loader)
        model.eval()
        with torch.no_grad():
            right = sum(int((model(x).argmax(1) == y).sum()) for x, y in loader)
        return run["value"], right / 123, [tuple(s) for s in run["seen"]]

    @pytest.mark.points(1)
    def test_eval_mode(self, mlp: Remote) -> None:
        """evaluate puts the model in eval mode"""
        _, _, seen = self.run(mlp)
        assert seen, "evaluate: the model was never called"
        assert not any(training for training, _ in seen), (
            "evaluate: the model was in training mode (dropout active): call model.eval()"
        )
        assert source_of(mlp).calls("evaluate", "eval", "train"), (
            "evaluate: the source never calls model.eval(): call it before the loop"
        )

    @pytest.mark.points(1)
    def test_no_grad(self, mlp: Remote) -> None:
        """evaluate runs without gradients"""
        _, _, seen = self.run(mlp)
        assert seen and not any(grad for _, grad in seen), (
            "evaluate: gradients were being recorded: wrap the loop in torch.no_grad()"
        )
        assert source_of(mlp).calls("evaluate", *NO_GRAD_CALLS), (
            "evaluate: the source never enters torch.no_grad(): wrap the loop in it"
        )

    @pytest.mark.points(2)
    def test_accuracy_exact(self, mlp: Remote) -> None:
        """evaluate returns the exact accuracy as a Python float in [0, 1]"""
        got, expected, _ = self.run(mlp)
        value = python_number(got, "evaluate: the accuracy")
        if math.isclose(value, 100 * expected):
            pytest.fail("evaluate: return a fraction in [0, 1], not a percentage")
        assert 0 <= value <= 1, (
            f"evaluate: the accuracy is {value:.4g}, but an accuracy is a fraction in [0, 1] "
            f"(expected {expected:.4g}): count correct predictions per sample, "
            "(outputs.argmax(dim=1) == labels).sum(), and divide by the samples seen"
        )
        assert_number(value, expected, "evaluate: accuracy", tol=FLOAT32)


COURSE_LOOP = Recipe("the course's loop (Adam, lr 1e-3, batches of 128)")


def train_verified(mlp: Remote, model: Remote, what: str, target: Target, trainer: Trainer) -> None:
    """Train, in the checker and from its own weights, the network the student's model was
    verified to compute, with the loop the student's train_epoch was verified to run."""
    variant = assert_verified(mlp, model, what)
    problem = train_epoch_problem(mlp)
    assert not problem, f"{problem} (the accuracy check needs a train_epoch that matches it)"
    trainer.score(variant, COURSE_LOOP, target)


class TestTrainedAccuracy:
    @pytest.mark.points(3)
    def test_logistic_regression(self, mlp: Remote, trainer: Trainer) -> None:
        """LogRegression reaches the target test accuracy within 3 epochs"""
        target = Target("LogRegression", 0.90, 0.80, max_epochs=3)
        train_verified(mlp, mlp.LogRegression(), "LogRegression", target, trainer)

    @pytest.mark.points(4)
    def test_mlp(self, mlp: Remote, trainer: Trainer) -> None:
        """MLP reaches the target test accuracy within 3 epochs"""
        target = Target("MLP", 0.96, 0.90, max_epochs=3)
        train_verified(mlp, mlp.MLP(), "MLP", target, trainer)
