"""Inputs that break coincidences, drawn by Hypothesis from the run's seed.

One friendly input lets a wrong answer coincide with the right one (sizes that divide
evenly, one number of dimensions, a float fill value). A check therefore states the
inputs that matter (`explicit`) and lets Hypothesis draw more from strategies of shapes,
dims and dtypes; a failing input is shrunk to the smallest, so the message names the
simplest case that shows the fault. The search is seeded from the run's seed (the
plugin seeds torch before every check), so a verdict is reproducible.

Student code raising (a stub, a crash, a worker gone) or a timeout ends the search at
once: shrinking would only replay the same crash, and a stub must stay fast.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import torch
from hypothesis import HealthCheck, Phase, Verbosity, given, seed, settings
from hypothesis import strategies as st
from torch import Tensor

from grader.kit.errors import FAIL_EXCEPTION, is_timeout

T = TypeVar("T")

EXAMPLES = 6
SETTINGS = settings(
    max_examples=EXAMPLES,
    database=None,
    deadline=None,
    derandomize=False,
    phases=(Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
    report_multiple_bugs=False,
    print_blob=False,
    verbosity=Verbosity.quiet,
)


def explore(
    check: Callable[[T], None],
    cases: st.SearchStrategy[T],
    *,
    explicit: Sequence[T] = (),
    examples: int = EXAMPLES,
) -> None:
    """Run `check` on every explicit case, then on `examples` drawn cases; raise the
    smallest failing case's AssertionError, or the first crash as it was.

    The explicit cases run first, outside Hypothesis: each is already the input that
    matters, and a stub fails there without paying for a search."""
    for case in explicit:
        check(case)
    stopped: list[BaseException] = []

    def attempt(case: T) -> None:
        if stopped:
            return
        try:
            check(case)
        except AssertionError:
            raise
        except FAIL_EXCEPTION as failure:
            if is_timeout(failure):
                stopped.append(failure)
                return
            raise AssertionError(str(failure)) from None
        except BaseException as error:
            stopped.append(error)

    test = given(cases)(attempt)
    settings(SETTINGS, max_examples=examples)(seed(torch.initial_seed())(test))()
    if stopped:
        raise stopped[0]


def shapes(
    min_dims: int = 1, max_dims: int = 5, min_side: int = 1, max_side: int = 5
) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes of `min_dims` to `max_dims` dimensions, sides uneven as often as not."""
    sides = st.integers(min_side, max_side)
    return st.lists(sides, min_size=min_dims, max_size=max_dims).map(tuple)


def dim_of(ndim: int) -> st.SearchStrategy[int]:
    """Every dimension of an `ndim`-D tensor, negative forms included."""
    return st.integers(-ndim, ndim - 1)


DTYPES = (torch.float32, torch.float64, torch.int64, torch.int32, torch.int16, torch.uint8)
FLOAT_DTYPES = (torch.float32, torch.float64)


def dtypes(choices: Sequence[torch.dtype] = DTYPES) -> st.SearchStrategy[torch.dtype]:
    return st.sampled_from(tuple(choices))


def distinct(shape: Sequence[int], key: int, dtype: torch.dtype = torch.float32) -> Tensor:
    """Distinct values in random places (a permutation, shifted so that none is 0 and some
    are negative where the dtype allows): a wrong index or a wrong dim always picks a
    different value. `key` seeds a generator of its own, so the case is reproducible."""
    count = math.prod(shape)
    generator = torch.Generator().manual_seed(key)
    values = torch.randperm(count, generator=generator) + 1
    if dtype.is_floating_point or dtype.is_signed:
        values = values - count // 2 - 1
        values = torch.where(values >= 0, values + 1, values)
    if dtype.is_floating_point:
        values = values.double() / 2 + 0.25
    return values.reshape(tuple(shape)).to(dtype)


def keys() -> st.SearchStrategy[int]:
    """Seeds for `distinct` and torch's generators."""
    return st.integers(0, 2**16)


def describe(t: Tensor, name: str = "A") -> str:
    """How a message names an input: "A of shape (3, 5), int32"."""
    return f"{name} of shape {tuple(t.shape)}, {describe_dtype(t.dtype)}"


def describe_dtype(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")
