"""Trusted helpers the checker runs in the worker, next to the student's objects.

Each probe gathers what a check needs as data (outputs for inputs the checker chose,
hook records, a per-layer table, trained weights); the checker judges it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from grader.worker import autograd_probes, loops, models

Data = dict[str, Tensor]


def saved_tensor(data: Data, name: str) -> Any:
    """What the student's code saved to `name` in the worker's folder, or None."""
    path = Path(name)
    return torch.load(path, weights_only=True) if path.is_file() else None


def loaded_modules(data: Data) -> list[str]:
    """The modules the worker has loaded (the layout test: nothing of the checker's)."""
    return sorted(sys.modules)


PROBES: dict[str, Callable[..., Any]] = {
    "saved_tensor": saved_tensor,
    "loaded_modules": loaded_modules,
    **autograd_probes.PROBES,
    **models.PROBES,
    **loops.PROBES,
}
