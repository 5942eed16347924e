"""Probes on the student's models: per-layer tables, what layers saw, what they are.

Each returns data (tensors, numbers, strings, lists); the checker judges it. torchinfo
pitfalls handled here: the device is always given, its forward cache is off, layers are
named by their `named_modules()` path, and a student error inside it is re-raised as is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
import torchinfo
from torch import Tensor, nn

Row = tuple[str, str, int, tuple[int, ...]]
ATTRS = (
    "in_channels",
    "out_channels",
    "kernel_size",
    "stride",
    "padding",
    "in_features",
    "out_features",
)


def summary_rows(_: Any, model: nn.Module, input_size: Sequence[int], device: str) -> list[Row]:
    """Every executed leaf layer in forward order: (path, kind, trainable params, output)."""
    try:
        stats = torchinfo.summary(
            model,
            input_size=tuple(input_size),
            device=torch.device(device),
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
        (
            names.get(info.layer_id, info.var_name or "?"),
            info.class_name,
            int(info.trainable_params),
            tuple(int(s) for s in info.output_size),
        )
        for info in stats.summary_list
        if info.is_leaf_layer and info.executed
    ]


def layers(_: Any, model: nn.Module) -> dict[str, Any]:
    """Leaf modules with trainable parameters of their own, with their type and the
    hyperparameters the course states; and whether any parameter lives outside them."""
    found = {}
    for name, module in model.named_modules():
        own = [p for p in module.parameters(recurse=False) if p.requires_grad]
        if name and not any(module.children()) and own:
            attrs = {a: getattr(module, a) for a in ATTRS if hasattr(module, a)}
            found[name] = {"type": type(module).__name__, "attrs": attrs}
    layer_params = sum(
        p.numel() for n, m in model.named_modules() if n in found for p in m.parameters()
    )
    total = sum(p.numel() for p in model.parameters())
    return {"layers": found, "loose_parameters": total - layer_params}


def hooked(model: nn.Module, chosen: list[nn.Module], x: Tensor) -> tuple[list[Any], Tensor]:
    """(first input, first output) of each chosen module when `model.eval()(x)` runs."""
    seen: list[list[Tensor]] = [[] for _ in chosen]

    def recorder(index: int) -> Callable[..., None]:
        def record(_: nn.Module, given: tuple[Any, ...], out: Any) -> None:
            if not seen[index] and given and isinstance(given[0], Tensor):
                seen[index] += [given[0].detach().clone(), out.detach().clone()]

        return record

    out = run_hooked(model, [(m, recorder(i)) for i, m in enumerate(chosen)], x)
    return [tuple(s) if s else None for s in seen], out


def run_hooked(
    model: nn.Module, hooks: Sequence[tuple[nn.Module, Callable[..., None]]], x: Tensor
) -> Any:
    """`model.eval()(x)` without gradients, with forward hooks that are removed whatever
    the forward does."""
    handles = [module.register_forward_hook(hook) for module, hook in hooks]
    try:
        with torch.no_grad():
            return model.eval()(x)
    finally:
        for handle in handles:
            handle.remove()


def linear_calls(_: Any, model: nn.Module, x: Tensor) -> dict[str, Any]:
    """(input, output) of every nn.Linear call in forward order, and the model's output."""
    calls: list[tuple[Tensor, Tensor]] = []

    def record(_: nn.Module, given: tuple[Any, ...], out: Tensor) -> None:
        calls.append((given[0].detach().clone(), out.detach().clone()))

    linears = [(m, record) for m in model.modules() if isinstance(m, nn.Linear)]
    out = run_hooked(model, linears, x)
    return {"calls": calls, "out": out.detach() if isinstance(out, Tensor) else out}


def layer_io(_: Any, model: nn.Module, paths: list[str], x: Tensor) -> list[Any]:
    """(input, output) of the named layers' first calls, in the order given."""
    modules = dict(model.named_modules())
    seen, _out = hooked(model, [modules[p] for p in paths], x)
    return seen


def forward_with(_: Any, model: nn.Module, weights: list[Tensor], x: Tensor) -> Any:
    """`model.eval()(x)` without gradients, with `weights` copied into its parameters
    (matched by shape, in order; parameters no weight fits keep their values); the
    model's own parameters and mode are restored afterwards."""
    parameters = list(model.parameters())
    saved = [p.detach().clone() for p in parameters]
    pool: dict[tuple[int, ...], list[Tensor]] = {}
    for weight in weights:
        pool.setdefault(tuple(weight.shape), []).append(weight)
    was_training = model.training
    try:
        with torch.no_grad():
            for parameter in parameters:
                found = pool.get(tuple(parameter.shape))
                if found:
                    parameter.copy_(found.pop(0))
            out = model.eval()(x)
    finally:
        with torch.no_grad():
            for parameter, value in zip(parameters, saved, strict=True):
                parameter.copy_(value)
        model.train(was_training)
    return out.detach() if isinstance(out, Tensor) else out


PROBES: dict[str, Callable[..., Any]] = {
    "forward_with": forward_with,
    "summary_rows": summary_rows,
    "layers": layers,
    "linear_calls": linear_calls,
    "layer_io": layer_io,
}
