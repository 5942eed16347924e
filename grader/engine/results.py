"""A finished check, as the parent receives it: its stable id and name, its points, and
the CheckResult made from what the plugin stashed on the item while it ran."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from grader.engine.outcome import Outcome, cap_output
from grader.engine.report import CheckResult, Status
from grader.engine.sanitise import MESSAGE_CAP
from grader.engine.state import Settings

OUTCOME = pytest.StashKey[Outcome]()
CREDIT = pytest.StashKey[tuple[float, str]]()
OUTPUT = pytest.StashKey[str]()
TRACEBACK = pytest.StashKey[str]()


def check_id(item: pytest.Item) -> str:
    """A stable id: exercise, family (the test class) and check, e.g. tensors.slicing.column."""
    parts = [Path(str(item.path)).stem]
    cls = getattr(item, "cls", None)
    if cls is not None:
        family = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls.__name__.removeprefix("Test")).lower()
        parts.append(family)
    parts.append(item.name.removeprefix("test_"))
    return ".".join(parts)


def check_name(item: pytest.Item) -> str:
    function = getattr(item, "function", None)
    doc = (getattr(function, "__doc__", None) or "").strip().splitlines()
    name = doc[0].rstrip(".") if doc else item.name.removeprefix("test_").replace("_", " ")
    callspec = getattr(item, "callspec", None)
    return f"{name} ({callspec.id})" if callspec is not None else name


def points(item: pytest.Item) -> float:
    marker = item.get_closest_marker("points")
    if marker is None or not marker.args:
        raise pytest.UsageError(f"{item.nodeid}: every check needs @pytest.mark.points(n)")
    return float(marker.args[0])


def build_result(item: pytest.Item, settings: Settings, duration: float) -> CheckResult:
    possible = points(item)
    outcome = item.stash.get(OUTCOME, Outcome(Status.PASSED, ""))
    score = possible if outcome.status is Status.PASSED else 0.0
    fraction, message = item.stash.get(CREDIT, (1.0, outcome.message))
    if outcome.status is Status.PASSED and fraction < 1.0:
        outcome = Outcome(Status.FAILED, message)
        score = round(possible * fraction, 4)
    details: dict[str, Any] = dict(item.user_properties)
    if outcome.grader_fault:
        details["grader_fault"] = True  # grade exits 3: the run must be repeated
    if TRACEBACK in item.stash and outcome.status is not Status.SKIPPED:
        details["traceback"] = cap_output(item.stash[TRACEBACK], 4 * settings.output_cap)
    return CheckResult(
        id=check_id(item),
        name=check_name(item),
        status=outcome.status,
        score=score,
        max_score=possible,
        message=cap_output(outcome.message, MESSAGE_CAP),
        duration_s=round(duration, 4),
        output=cap_output(item.stash.get(OUTPUT, ""), settings.output_cap),
        details=details,
    )
