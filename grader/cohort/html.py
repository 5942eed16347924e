"""DIR/report.html: one static file for the instructor, plots drawn by matplotlib as SVG.

What the class got wrong, from the gradebook: score distribution per exercise, pass
rate per check (hardest first), the most frequent failure messages per check with how
many students hit each, trained accuracies, the submissions that errored or timed out,
and the slowest ones. Every string from a report is HTML-escaped.
"""

from __future__ import annotations

import html
import io
import json
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from sqlite3 import Row
from typing import Any

from grader.cohort.gradebook import Gradebook
from grader.report import write_atomic

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left;
         vertical-align: top; }
td.n, th.n { text-align: right; }
figure { margin: 1em 0; }
.problem { color: #a00; }
"""
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


def accuracy_plot(checks: Sequence[Row]) -> str:
    """Histograms of the test accuracy each trained-accuracy check measured."""
    per: dict[str, list[float]] = defaultdict(list)
    for check in checks:
        training = json.loads(check["details"] or "{}").get("training")
        if isinstance(training, dict) and "accuracy" in training:
            per[check["check_id"]].append(100 * float(training["accuracy"]))
    if not per:
        return "<p>No trained-accuracy results.</p>"
    plt = pyplot()
    figure, axes = plt.subplots(1, len(per), figsize=(3.6 * len(per), 2.6), squeeze=False)
    for axis, (name, values) in zip(axes[0], per.items(), strict=True):
        axis.hist(values, bins=20, color="#228833", edgecolor="white")
        axis.set_title(name.split(".")[-1], fontsize=9)
        axis.set_xlabel("test accuracy (%)")
        axis.yaxis.get_major_locator().set_params(integer=True)
    return svg(figure)


def pattern(message: str) -> str:
    """Messages that differ only in their numbers are the same mistake."""
    first = message.strip().splitlines()[0] if message.strip() else "(no message)"
    return re.sub(r"\d[\d,.]*", "#", first)[:200]


def frequent_failures(checks: Sequence[Row]) -> dict[str, list[tuple[str, int]]]:
    """Per check, its failure messages (one example per pattern) and how many students."""
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    example: dict[tuple[str, str], str] = {}
    for check in checks:
        if check["score"] < check["max_score"] and check["status"] != "not_attempted":
            key = pattern(check["message"])
            groups[check["check_id"]][key] += 1
            example.setdefault((check["check_id"], key), check["message"].strip()[:300])
    return {
        cid: [(example[(cid, key)], count) for key, count in counter.most_common(3)]
        for cid, counter in groups.items()
    }


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    def cell(tag: str, index: int, value: object) -> str:
        css = ' class="n"' if index in numeric else ""
        return f"<{tag}{css}>{html.escape(str(value))}</{tag}>"

    if not rows:
        return "<p>None.</p>"
    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def troubled(rows: Sequence[Row], checks: Sequence[Row]) -> list[tuple[str, str]]:
    """Submissions with a problem, an error or a timeout, and what happened."""
    found = [(row["student"], row["problem"]) for row in rows if row["problem"]]
    bad: dict[str, list[str]] = defaultdict(list)
    for check in checks:
        if check["status"] in ("error", "timeout"):
            bad[check["student"]].append(f"{check['check_id']}: {check['status']}")
    found += [(student, "; ".join(items[:3])) for student, items in sorted(bad.items())]
    return found


def render(book: Gradebook) -> str:
    rows, checks = book.submissions(), book.checks()
    rates = pass_rates(checks)
    failures = frequent_failures(checks)
    failure_rows = [
        (cid, count, message) for cid, _, _ in rates for message, count in failures.get(cid, [])
    ]
    slowest = sorted((r for r in rows if not r["problem"]), key=lambda r: -r["duration_s"])[:10]
    mean = sum(r["score"] for r in rows) / len(rows) if rows else 0.0
    sections = [
        f"<h1>Class report</h1><p>{len(rows)} submissions, mean score {mean:.1f} points.</p>",
        "<h2>Scores per exercise</h2><figure>" + score_plot(rows) + "</figure>",
        f"<h2>Pass rate per check, hardest first (top {HARDEST})</h2><figure>"
        + pass_rate_plot(rates)
        + "</figure>",
        "<h2>Most frequent failure messages</h2>"
        + table(["check", "students", "message"], failure_rows, {1}),
        "<h2>Trained accuracies</h2><figure>" + accuracy_plot(checks) + "</figure>",
        "<h2>Errors, timeouts and problems</h2>"
        + table(["student", "what happened"], troubled(rows, checks), set()),
        "<h2>Slowest submissions</h2>"
        + table(
            ["student", "seconds", "score"],
            [
                (r["student"], r["duration_s"], f"{r['score']:g}/{r['max_score']:g}")
                for r in slowest
            ],
            {1, 2},
        ),
    ]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Class report</title><style>{STYLE}</style></head><body>"
        + "\n".join(sections)
        + "</body></html>\n"
    )


def write_report(book: Gradebook, folder: Path) -> Path:
    path = folder / "report.html"
    write_atomic(path, render(book))
    return path
