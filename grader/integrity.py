"""Notice when student code replaces what the checks rely on (torch.allclose, pytest, ...).

A snapshot of the watched namespaces is taken before any student code runs; after every
check the grader compares, restores what was replaced, and fails the exercise's remaining
checks with a message that names the replaced objects.
"""

from __future__ import annotations

import builtins
import sys
from dataclasses import dataclass, field
from typing import Any

import torch

WATCHED_MODULES = (
    "pytest",
    "_pytest.outcomes",
    "_pytest.runner",
    "_pytest.reports",
    "_pytest.python",
    "_pytest.fixtures",
    "_pytest.main",
    "pluggy",
    "torch.testing",
    "math",
)


def watched_objects() -> dict[str, Any]:
    """Namespaces whose attributes must not change while checks run."""
    objects: dict[str, Any] = {"builtins": builtins, "torch": torch, "torch.Tensor": torch.Tensor}
    for name, module in list(sys.modules.items()):
        if module is not None and (name in WATCHED_MODULES or name.startswith("grader")):
            objects[name] = module
    return objects


# torch rewraps some of its own functions when submodules load (torch._dynamo wraps
# manual_seed), so on the torch module only what checks compare with is watched.
TORCH_NAMES = frozenset(
    {
        "allclose",
        "isclose",
        "equal",
        "eq",
        "ne",
        "all",
        "any",
        "abs",
        "where",
        "argmax",
        "sigmoid",
        "softmax",
        "linalg",
        "autograd",
        "nn",
        "testing",
        "Tensor",
        "is_tensor",
    }
)


def watched(label: str, name: str) -> bool:
    """Public names everywhere; private ones only in the grader; dunders only on Tensor."""
    if label == "torch":
        return name in TORCH_NAMES
    if label == "torch.Tensor" or label.startswith("grader"):
        return not (name.startswith("__") and label != "torch.Tensor")
    return not name.startswith("_")


@dataclass
class Snapshot:
    """The attribute values of the watched namespaces at one moment."""

    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def take() -> Snapshot:
        owners = watched_objects()
        values = {
            label: {k: v for k, v in vars(obj).items() if watched(label, k)}
            for label, obj in owners.items()
        }
        return Snapshot(values, owners)

    def replaced(self) -> list[str]:
        """Names whose value is no longer the same object as in the snapshot."""
        changed = []
        for label, before in self.values.items():
            now = vars(self.owners[label])
            changed += [
                f"{label}.{name}"
                for name, value in before.items()
                if name in now and now[name] is not value
            ]
        return changed

    def restore(self) -> None:
        for label, before in self.values.items():
            owner, now = self.owners[label], vars(self.owners[label])
            for name, value in before.items():
                if name in now and now[name] is not value:
                    setattr(owner, name, value)
