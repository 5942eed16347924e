"""Architecture tables from torchinfo: per-layer parameters and output shapes, in forward order.

torchinfo pitfalls handled here: the device is always given (otherwise it may move a
model to CUDA), its forward-pass cache (keyed by class name) is off, layers are named by
their `named_modules()` path through `layer_id` (its `var_name` is only the last
attribute), and when the student's forward raises inside it, the real error (its
`__cause__`) is raised instead of torchinfo's wrapper.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torchinfo
from torch import nn


@dataclass(frozen=True)
class LayerRow:
    """One executed leaf layer that has parameters, or whose output shape matters."""

    path: str
    kind: str
    params: int
    output: tuple[int, ...]


def summary_rows(
    model: nn.Module, input_size: Sequence[int], device: torch.device
) -> list[LayerRow]:
    """Every executed leaf layer, in the order forward ran it."""
    try:
        stats = torchinfo.summary(
            model,
            input_size=tuple(input_size),
            device=device,
            verbose=0,
            depth=100,
            cache_forward_pass=False,
            col_names=("output_size", "num_params"),
        )
    except RuntimeError as exc:
        if exc.__cause__ is not None:
            raise exc.__cause__ from None
        raise
    names = {id(module): name for name, module in model.named_modules()}
    return [
        LayerRow(
            path=names.get(info.layer_id, info.var_name or "?"),
            kind=info.class_name,
            params=int(info.trainable_params),
            output=tuple(int(s) for s in info.output_size),
        )
        for info in stats.summary_list
        if info.is_leaf_layer and info.executed
    ]


def param_rows(rows: Sequence[LayerRow]) -> list[LayerRow]:
    return [row for row in rows if row.params > 0]


def unused_layers(model: nn.Module, rows: Sequence[LayerRow]) -> list[str]:
    """Layers with parameters that forward never ran (defined but not used)."""
    used = {row.path for row in rows}
    return [
        name
        for name, module in model.named_modules()
        if name
        and not any(module.children())
        and name not in used
        and any(p.requires_grad for p in module.parameters(recurse=False))
    ]


def table(expected: Sequence[tuple[str, int]], got: Sequence[LayerRow]) -> str:
    """A small expected-versus-got table, one row per parameter layer."""
    lines = [f"    {'layer':<10}{'expected':>12}   {'got':>10}  (your layer)"]
    for index in range(max(len(expected), len(got))):
        label, params = expected[index] if index < len(expected) else ("-", 0)
        row = got[index] if index < len(got) else None
        mark = "" if row is not None and row.params == params else "   <-"
        shown = f"{row.params:>10,}  ({row.path}: {row.kind})" if row else f"{'-':>10}"
        wanted = f"{params:>12,}" if label != "-" else f"{'-':>12}"
        lines.append(f"    {label:<10}{wanted}   {shown}{mark}")
    return "\n".join(lines)


def assert_param_layers(
    model: nn.Module,
    expected: Sequence[tuple[str, int]],
    input_size: Sequence[int],
    what: str,
    device: torch.device,
) -> list[LayerRow]:
    """The layers with parameters, in forward order, have exactly these parameter counts."""
    rows = summary_rows(model, input_size, device)
    got = param_rows(rows)
    counts = [row.params for row in got]
    wanted = [params for _, params in expected]
    total = sum(counts)
    assert counts == wanted, (
        f"{what}: expected {len(wanted)} layers with {sum(wanted):,} trainable parameters in "
        f"all, got {len(counts)} with {total:,}\n{table(expected, got)}"
    )
    return rows
