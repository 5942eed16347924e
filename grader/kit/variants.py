"""A student's network rebuilt in the checker, and verified by data before it earns a point.

What the worker reports about a model (torchinfo's table, each layer's hyperparameters,
what forward hooks saw between layers) is a claim: student code runs in that process and
could rewrite the probes. So the checker builds the network those claims describe (its
`Variant`: the layers with their hyperparameters, the activation and pooling between
them), fills it with weights of its own, and asks the student's model, given the same
weights, for its outputs on inputs the checker drew. Only a model that computes the
claimed network reproduces them; then every claim is a fact, and the trained-accuracy
checks can train the verified network in the checker, from the checker's own seed.

An empty model, a constant one, one that ignores its weights or ships weights trained
elsewhere cannot be verified, and earns no point that rests on this.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from grader.kit import activations
from grader.kit.architecture import LayerRow, layers, param_rows, summary_rows
from grader.kit.remote import Remote, probe

MAX_FEATURES = 4096  # a claimed size larger than this is not rebuilt (bounded memory)
MAX_WEIGHTS = 2**25  # nor a layer of more weights (128 MB in float32)
ATOL, RTOL = 1e-4, 1e-3
TRIALS = 3  # each with its own weights and one input: mixing the batch is another check

# What a forward may apply to its last layer's output: log_softmax keeps valid logits; the
# others are mistakes that the output check names, and the trained network keeps them.
ENDINGS: dict[str, Callable[[Tensor], Tensor]] = {
    "none": lambda t: t,
    "log_softmax": lambda t: F.log_softmax(t, dim=1),
    **activations.ENDINGS,
}
POOLS: dict[str, Callable[[Tensor], Tensor]] = {
    "max": lambda t: F.max_pool2d(t, 2),
    "avg": lambda t: F.avg_pool2d(t, 2),
    "none": lambda t: t,
}


@dataclass(frozen=True)
class Gap:
    """What the network does between one layer and the next."""

    after: str
    pool: str
    activation: str

    def advice_pool(self) -> str:
        return {
            "avg": "average pooling; the course uses 2x2 max pooling (F.max_pool2d(x, 2))",
            "none": "no pooling; add 2x2 max pooling (F.max_pool2d(x, 2) or nn.MaxPool2d(2))",
            "?": "not recognised; expected ReLU then 2x2 max pooling",
        }.get(self.pool, "")

    def advice_activation(self) -> str:
        if self.activation == "none":
            return "no ReLU; apply F.relu (or nn.ReLU()) to this layer's output"
        if self.activation != "?":
            return f"{self.activation}; the course uses ReLU (F.relu or nn.ReLU())"
        return "not recognised; expected ReLU (then 2x2 max pooling after a conv layer)"


@dataclass(frozen=True)
class Claims:
    """What the worker reported about a model: its layers in forward order (torchinfo),
    their hyperparameters, and the gaps between them (forward hooks)."""

    rows: tuple[LayerRow, ...]
    kinds: tuple[str, ...]
    attrs: tuple[dict[str, Any], ...]
    gaps: tuple[Gap, ...]
    input_shape: tuple[int, ...]


def recognise(after: str, output: Tensor, next_input: Tensor, spatial: bool) -> Gap:
    """Which pooling and activation turn `output` into `next_input` (flattening allowed),
    in either order. Each is recognised on its own, so a wrong activation does not hide
    right pooling."""
    for pool, pooling in POOLS.items():
        if not spatial and pool != "none":
            continue
        for activation, function in activations.ACTIVATIONS.items():
            if activations.same(pooling(function(output)), next_input):
                return Gap(after, pool, activation)
            if activations.same(function(pooling(output)), next_input):
                return Gap(after, pool, activation)
    return Gap(after, "?", "?")


def claims_of(model: Remote, input_shape: Sequence[int], labels: Sequence[str]) -> Claims:
    """Everything the worker says about `model`, for a batch of inputs of `input_shape`."""
    batch = (2, *input_shape)
    rows = tuple(param_rows(summary_rows(model, batch, torch.device("cpu"))))
    found = layers(model)["layers"]
    kinds = tuple(row.kind for row in rows)
    attrs = tuple(dict(found.get(row.path, {}).get("attrs", {})) for row in rows)
    seen = probe(model, "layer_io", model, [row.path for row in rows], torch.randn(*batch))
    gaps = []
    for index in range(len(rows) - 1):
        label = labels[index] if index < len(labels) else rows[index].path
        if seen[index] is None or seen[index + 1] is None:
            gaps.append(Gap(label, "?", "?"))
            continue
        spatial = kinds[index] == "Conv2d"
        gaps.append(recognise(label, seen[index][1], seen[index + 1][0], spatial))
    return Claims(rows, kinds, attrs, tuple(gaps), tuple(input_shape))


class Variant(nn.Module):
    """The network the claims describe: Conv2d and Linear layers with their claimed
    hyperparameters, the claimed activation and pooling after each but the last, and a
    flatten before the first Linear that follows a Conv2d (or the input's flatten)."""

    def __init__(self, claims: Claims) -> None:
        super().__init__()
        self.layers = nn.ModuleList(
            build(k, a) for k, a in zip(claims.kinds, claims.attrs, strict=True)
        )
        self.gaps = claims.gaps
        self.ending: str = "none"  # what the student's forward applies to its last output

    def forward(self, x: Tensor) -> Tensor:
        return ENDINGS[self.ending](self.logits(x))

    def logits(self, x: Tensor) -> Tensor:
        for index, layer in enumerate(self.layers):
            if isinstance(layer, nn.Linear) and x.dim() > 2:
                x = x.flatten(1)
            x = layer(x)
            if index < len(self.gaps):
                gap = self.gaps[index]
                x = POOLS[gap.pool](activations.ACTIVATIONS[gap.activation](x))
        return x


def build(kind: str, attrs: dict[str, Any]) -> nn.Module:
    """One layer from claimed hyperparameters, checked to be plain, bounded integers."""
    if kind == "Linear":
        sizes = [attrs.get("in_features"), attrs.get("out_features")]
        if all(type(s) is int and s > 0 for s in sizes) and size_of(sizes) <= MAX_WEIGHTS:
            return nn.Linear(*sizes)  # type: ignore[arg-type]
    if kind == "Conv2d":
        names = ("in_channels", "out_channels", "kernel_size", "stride", "padding")
        values = [attrs.get(n) for n in names]
        if all(small(v) for v in values) and size_of(values[:3]) <= MAX_WEIGHTS:
            return nn.Conv2d(*values)  # type: ignore[arg-type]
    raise ValueError(f"cannot rebuild a {kind} layer from {attrs}")


def size_of(values: list[Any]) -> int:
    """The product of these ints and tuples of ints: a layer's weight count, roughly."""
    total = 1
    for value in values:
        for item in value if isinstance(value, tuple) else (value,):
            total *= int(item)
    return total


def small(value: object) -> bool:
    """A plain int, or a tuple of plain ints, each in [0, MAX_FEATURES]."""
    items = value if isinstance(value, tuple) else (value,)
    return bool(items) and all(type(v) is int and 0 <= v <= MAX_FEATURES for v in items)


def buildable(claims: Claims) -> bool:
    return (
        bool(claims.rows)
        and all(g.pool != "?" and g.activation != "?" for g in claims.gaps)
        and all(k in ("Conv2d", "Linear") for k in claims.kinds)
    )


def variant_of(claims: Claims, seed: int) -> Variant | None:
    """The claimed network with weights drawn from `seed`, or None when it cannot be built."""
    if not buildable(claims):
        return None
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        try:
            return Variant(claims).eval()
        except (ValueError, TypeError, RuntimeError):
            return None


def reproduces(module: Remote, model: Remote, claims: Claims, seed: int) -> Variant | None:
    """The verified variant, when the student's model, given the variant's weights (matched
    by shape), computes the variant's outputs (up to one of the ENDINGS, the same in every
    trial) for inputs the checker drew, in every trial."""
    verified, endings = None, list(ENDINGS)
    for trial in range(TRIALS):
        variant = variant_of(claims, seed * 1009 + trial)
        if variant is None:
            return None
        generator = torch.Generator().manual_seed(seed * 7919 + trial)
        x = torch.randn(1, *claims.input_shape, generator=generator)
        with torch.no_grad():
            logits = variant.logits(x)
        weights = [p.detach() for p in variant.parameters()]
        got = probe(module, "forward_with", model, weights, x)
        endings = [e for e in endings if close(got, ENDINGS[e](logits))]
        if not endings:
            return None
        verified = verified or variant
    assert verified is not None
    verified.ending = endings[0]
    return verified


def close(got: object, expected: Tensor) -> bool:
    return (
        isinstance(got, Tensor)
        and got.shape == expected.shape
        and got.dtype == expected.dtype
        and bool(torch.isfinite(got).all())
        and bool(torch.allclose(got, expected, atol=ATOL, rtol=RTOL))
    )


def verified(
    module: Remote, model: Remote, input_shape: Sequence[int], labels: Sequence[str], seed: int
) -> tuple[Claims, Variant | None]:
    """The claims about `model`, and the network they describe once verified (else None)."""
    claims = claims_of(model, input_shape, labels)
    return claims, reproduces(module, model, claims, seed)


UNVERIFIED = (
    "{what}: the grader could not confirm this from your network's outputs: given the same "
    "weights, it should compute the network its layers describe ({layers})"
)


def unverified(what: str, claims: Claims) -> str:
    described = ", ".join(f"{row.path}: {row.kind}" for row in claims.rows) or "no layers"
    return UNVERIFIED.format(what=what, layers=described)


def seed_now() -> int:
    """A seed for the checker's own weights and inputs, drawn from the run's seeded stream."""
    return int(torch.randint(0, 2**31 - 1, (1,)))


def assert_varies(model: Remote, what: str, input_shape: tuple[int, ...]) -> None:
    """Different inputs give different outputs: a constant network earns nothing."""
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(4, *input_shape))
    assert isinstance(out, Tensor) and out.dim() == 2 and len(out) == 4, (
        f"{what}: expected one row of logits per input, got {type(out).__name__}"
    )
    assert not torch.allclose(out, out[:1].expand_as(out)), (
        f"{what}: every input gets the same output: the output must depend on the input"
    )
