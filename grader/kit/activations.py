"""What a network does between its layers and after its last one, seen from forward hooks.

The contracts say "ReLU" and "returns logits". A network with another activation, or
one that ends in softmax, still has the right shapes and may still reach the accuracy
threshold, so these are recognised from values: which elementwise function turns one
layer's output into the next layer's input, and whether the network's output is the
last layer's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor

from grader.kit.remote import Remote, probe, type_of

ACTIVATIONS: dict[str, Callable[[Tensor], Tensor]] = {
    "relu": F.relu,
    "none": lambda t: t,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "leaky_relu": F.leaky_relu,
    "gelu": F.gelu,
    "elu": F.elu,
    "silu": F.silu,
    "softplus": F.softplus,
    "relu6": F.relu6,
}
ENDINGS: dict[str, Callable[[Tensor], Tensor]] = {
    "softmax": lambda t: torch.softmax(t, dim=1),
    "sigmoid": torch.sigmoid,
    "relu": F.relu,
}
ENDING_ADVICE = {
    "softmax": "returns softmax probabilities; return the logits (the last layer's output): "
    "CrossEntropyLoss applies log-softmax itself",
    "sigmoid": "applies a sigmoid to the output; return the logits (the last layer's output)",
    "relu": "applies ReLU to the output layer; return the logits (the last layer's output), "
    "negative scores included",
}


def same(a: Tensor, b: Tensor) -> bool:
    return a.numel() == b.numel() and bool(torch.allclose(a.reshape(b.shape), b, atol=1e-5))


def recognise(output: Tensor, next_input: Tensor) -> str:
    """The name of the activation that turns `output` into `next_input`, or '?'."""
    for name, function in ACTIVATIONS.items():
        if same(function(output), next_input):
            return name
    return "?"


def ending(last_output: Tensor, model_output: Tensor) -> str:
    """What the model applied to its last layer's output, or '' when that is not one of
    the wrong endings (log_softmax gives valid logits: CrossEntropyLoss is unchanged)."""
    for name, function in ENDINGS.items():
        if same(function(last_output), model_output) and not same(last_output, model_output):
            return name
    return ""


def logits_problem(seen: dict[str, Any], what: str) -> str:
    """'' when the model returned logits, else a message naming what it returns; `seen` is
    what `linear_calls` found."""
    calls, out = seen["calls"], seen["out"]
    if not isinstance(out, Tensor):
        return f"{what}: expected a tensor of logits, got {type_of(out)}"
    end = ending(calls[-1][1], out) if calls else ""
    if not end and probabilities(out):
        end = "softmax"
    return f"{what}: {ENDING_ADVICE[end]}" if end else ""


def probabilities(out: Tensor) -> bool:
    """Rows that are non-negative and sum to 1: softmax probabilities, not logits."""
    rows = out.detach().double()
    return bool((rows >= 0).all()) and bool(torch.allclose(rows.sum(1), torch.ones(len(rows))))


def linear_calls(model: Remote, x: Tensor) -> dict[str, Any]:
    """(input, output) of every nn.Linear call in forward order ("calls"), and the model's
    output ("out"), recorded by forward hooks in the worker."""
    found: dict[str, Any] = probe(model, "linear_calls", model, x)
    return found


def activation_advice(found: str) -> str:
    if found == "none":
        return "no activation; apply ReLU (torch.relu or nn.ReLU()) to its output"
    if found == "?":
        return "the output layer's input is not ReLU of the hidden layer's output"
    return f"{found}; the course's MLP uses ReLU (torch.relu or nn.ReLU())"


def assert_nonlinear(model: Remote) -> None:
    """For networks not built from nn.Linear: at least the hidden layer is not linear."""
    model.eval()
    a, b = torch.randn(1, 1, 28, 28), torch.randn(1, 1, 28, 28)
    with torch.no_grad():
        mixed = model(a + b) - model(a) - model(b) + model(torch.zeros_like(a))
    assert mixed.abs().max() > 1e-4, "MLP: the network is linear: apply ReLU to the hidden layer"
