"""The class report's plots, drawn by matplotlib as inline SVG (text stays text)."""

from __future__ import annotations

import io
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from sqlite3 import Row
from typing import Any

from grader.cohort.analysis import Trained

HARDEST = 25


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams["svg.fonttype"] = "none"  # text stays text: smaller and searchable
    import matplotlib.pyplot as plt

    return plt


def svg(figure: Any) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    pyplot().close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def score_plot(rows: Sequence[Row]) -> str:
    """A histogram of percent scores per exercise."""
    per: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        for exercise in json.loads(row["report"]).get("exercises", []):
            if exercise["max_score"]:
                per[exercise["name"]].append(100 * exercise["score"] / exercise["max_score"])
    if not per:
        return "<p>No graded exercises yet.</p>"
    plt = pyplot()
    figure, axes = plt.subplots(1, len(per), figsize=(3.2 * len(per), 2.6), squeeze=False)
    for axis, (name, values) in zip(axes[0], per.items(), strict=True):
        axis.hist(values, bins=range(0, 110, 10), color="#4477aa", edgecolor="white")
        axis.set_title(name)
        axis.set_xlabel("score (%)")
        axis.yaxis.get_major_locator().set_params(integer=True)
    axes[0][0].set_ylabel("students")
    return svg(figure)


def pass_rates(checks: Sequence[Row]) -> list[tuple[str, float, int]]:
    """(check id, fraction of students with full points, students), hardest first."""
    full: Counter[str] = Counter()
    seen: Counter[str] = Counter()
    for check in checks:
        seen[check["check_id"]] += 1
        full[check["check_id"]] += check["score"] >= check["max_score"]
    rates = [(cid, full[cid] / seen[cid], seen[cid]) for cid in seen]
    return sorted(rates, key=lambda r: (r[1], r[0]))


def pass_rate_plot(rates: Sequence[tuple[str, float, int]]) -> str:
    shown = list(rates[:HARDEST])[::-1]
    if not shown:
        return "<p>No checks graded yet.</p>"
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(8, 0.28 * len(shown) + 0.8))
    axis.barh([cid for cid, _, _ in shown], [100 * r for _, r, _ in shown], color="#cc6677")
    axis.set_xlim(0, 100)
    axis.set_xlabel("students with full points (%)")
    axis.tick_params(axis="y", labelsize=8)
    return svg(figure)


def training_plot(models: Sequence[Trained]) -> str:
    """Per trained check, the epochs each model needed to reach the threshold (training
    stops there, so accuracies bunch at it) and, apart, the accuracy of those that never did."""
    per: dict[str, list[Trained]] = defaultdict(list)
    for model in models:
        per[model.check].append(model)
    if not per:
        return "<p>No trained-accuracy results.</p>"
    plt = pyplot()
    figure, axes = plt.subplots(1, len(per), figsize=(3.6 * len(per), 2.6), squeeze=False)
    for axis, (name, found) in zip(axes[0], per.items(), strict=True):
        reached = [m.epochs for m in found if m.reached]
        short = len(found) - len(reached)
        axis.hist(reached, bins=20, color="#228833", edgecolor="white")
        axis.set_title(f"{name.split('.')[-1]} ({short} below the threshold)", fontsize=9)
        axis.set_xlabel("epochs to reach the threshold")
        axis.yaxis.get_major_locator().set_params(integer=True)
    return svg(figure)
