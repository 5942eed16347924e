"""Architecture tables from torchinfo: per-layer parameters and output shapes, in forward order.

The table of a student's model is made in the worker (grader/worker/models.py, where the
torchinfo pitfalls are handled) and judged here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from grader.kit.remote import Remote, probe
from grader.worker import models


@dataclass(frozen=True)
class LayerRow:
    """One executed leaf layer that has parameters, or whose output shape matters."""

    path: str
    kind: str
    params: int
    output: tuple[int, ...]


def summary_rows(
    model: nn.Module | Remote, input_size: Sequence[int], device: torch.device
) -> list[LayerRow]:
    """Every executed leaf layer, in the order forward ran it (torchinfo, in the worker
    for a student's model)."""
    if isinstance(model, Remote):
        raw = probe(model, "summary_rows", model, list(input_size), str(device))
    else:
        raw = models.summary_rows(None, model, input_size, str(device))
    return [LayerRow(str(p), str(k), int(n), tuple(int(d) for d in o)) for p, k, n, o in raw]


def param_rows(rows: Sequence[LayerRow]) -> list[LayerRow]:
    return [row for row in rows if row.params > 0]


def layers(model: Remote) -> dict[str, Any]:
    """The model's leaf layers with parameters: {"layers": {path: {"type", "attrs"}},
    "loose_parameters": parameters outside them}."""
    found: dict[str, Any] = probe(model, "layers", model)
    return found


def unused_layers(model: Remote, rows: Sequence[LayerRow]) -> list[str]:
    """Layers with parameters that forward never ran (defined but not used)."""
    used = {row.path for row in rows}
    return [name for name in layers(model)["layers"] if name not in used]


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
    model: Remote,
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
