"""The course's LeNet as hyperparameters, and the diagnosis of a student's CNN against it.

SPEC is the one place the course's architecture is written down; the expected
parameter counts and output shapes are computed from it by torch and torchinfo. What
happens between a student's layers is recognised, and verified, in `variants`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grader.kit.architecture import LayerRow, layers, param_rows, summary_rows
from grader.kit.remote import Remote


@dataclass(frozen=True)
class LayerSpec:
    """One layer with parameters, as the course states it."""

    label: str
    kind: type[nn.Module]
    attrs: dict[str, Any]

    def build(self) -> nn.Module:
        return self.kind(**self.attrs)


SPEC = (
    LayerSpec(
        "conv1",
        nn.Conv2d,
        {
            "in_channels": 1,
            "out_channels": 20,
            "kernel_size": (5, 5),
            "stride": (1, 1),
            "padding": (0, 0),
        },
    ),
    LayerSpec(
        "conv2",
        nn.Conv2d,
        {
            "in_channels": 20,
            "out_channels": 50,
            "kernel_size": (5, 5),
            "stride": (1, 1),
            "padding": (0, 0),
        },
    ),
    LayerSpec("fc1", nn.Linear, {"in_features": 800, "out_features": 500}),
    LayerSpec("fc2", nn.Linear, {"in_features": 500, "out_features": 10}),
)


class CourseLeNet(nn.Module):
    """SPEC's layers wired as the course describes; used only to compute expected values."""

    def __init__(self) -> None:
        super().__init__()
        self.layers = nn.ModuleList(spec.build() for spec in SPEC)

    def forward(self, x: Tensor) -> Tensor:
        conv1, conv2, fc1, fc2 = self.layers
        x = F.max_pool2d(F.relu(conv1(x)), 2)
        x = F.max_pool2d(F.relu(conv2(x)), 2)
        logits: Tensor = fc2(F.relu(fc1(x.flatten(1))))
        return logits


@functools.cache
def reference_table(batch: int) -> tuple[LayerRow, ...]:
    """Expected parameters and output shapes per layer, from torchinfo on SPEC (once)."""
    with torch.random.fork_rng():  # the checks' random stream stays as the seed left it
        model = CourseLeNet()
    rows = param_rows(summary_rows(model, (batch, 1, 28, 28), torch.device("cpu")))
    return tuple(
        LayerRow(spec.label, r.kind, r.params, r.output) for spec, r in zip(SPEC, rows, strict=True)
    )


def causes(layer: dict[str, Any] | None, spec: LayerSpec | None) -> str:
    """Which hyperparameters of the student's layer (type and attrs, from the worker) differ
    from the course's."""
    if layer is None or spec is None:
        return "extra layer" if spec is None else "missing layer"
    if layer["type"] != spec.kind.__name__:
        return f"{layer['type']}, expected {spec.kind.__name__}"
    found = []
    for name, wanted in spec.attrs.items():
        value = layer["attrs"].get(name)
        if value != wanted:
            found.append(f"{name} {value}, expected {wanted}")
    if spec.label == "fc1" and "in_features" in " ".join(found):
        found.append("the flattened size must be 50 x 4 x 4 = 800 (28 -> 24 -> 12 -> 8 -> 4)")
    return "; ".join(found)


def diagnose_layers(model: Remote, got: Sequence[LayerRow], expected: Sequence[LayerRow]) -> str:
    """A table, expected versus got per layer in forward order, with the likely cause."""
    found = layers(model)["layers"]
    lines = [f"    {'layer':<7}{'params':>9} {'got':>9}   {'output':<17}{'got':<17}your layer"]
    for index in range(max(len(got), len(expected))):
        want = expected[index] if index < len(expected) else None
        have = got[index] if index < len(got) else None
        spec = SPEC[index] if index < len(SPEC) else None
        layer = found.get(have.path) if have else None
        lines.append(
            f"    {want.path if want else '-':<7}{want.params if want else 0:>9,} "
            f"{have.params if have else 0:>9,}   {str(want.output) if want else '-':<17}"
            f"{str(have.output) if have else '-':<17}{have.path if have else '-'}"
        )
        reason = causes(layer, spec)
        if reason:
            lines.append(f"{'':>11}^ {reason}")
    return "\n".join(lines)


def pooled_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """A feature map's shape after 2x2 pooling."""
    return (*shape[:-2], shape[-2] // 2, shape[-1] // 2)
