"""DIR/report.html: one static page an instructor reads, from the gradebook.

Sections: statistics over graded submissions only, the roster (points per exercise, the
accuracy each model reached, late days, final score, what went wrong, a link to the
student's feedback), failures grouped
by cause, scores and pass rates, how fast each model trained, similar pairs with their
code side by side, and the slowest submissions. Every string from a report or a student's
code is HTML-escaped; the only markup in code is the similarity marks.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from sqlite3 import Row

from grader.cohort import analysis, plots
from grader.cohort.feedback import file_stem
from grader.cohort.gradebook import Gradebook
from grader.cohort.similarity import Pair
from grader.report import write_atomic

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 80em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; width: 100%; }
td, th { border-bottom: 1px solid #ddd; padding: .3em .6em; text-align: left;
         vertical-align: top; }
td.n, th.n { text-align: right; }
figure { margin: 1em 0; }
.problem { color: #a00; }
.side { display: grid; grid-template-columns: 1fr 1fr; gap: 1em; }
.side pre { overflow-x: auto; background: #f6f6f6; padding: .5em; font-size: 80%; }
mark { background: #ffe08a; }
"""


def table(
    headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int], raw: int = -1
) -> str:
    """A table of escaped cells; column `raw` holds markup made here (a link)."""

    def cell(tag: str, index: int, value: object) -> str:
        css = ' class="n"' if index in numeric else ""
        text = str(value) if index == raw and tag == "td" else html.escape(str(value))
        return f"<{tag}{css}>{text}</{tag}>"

    if not rows:
        return "<p>None.</p>"
    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def summary(rows: Sequence[Row]) -> str:
    found = analysis.stats(rows)
    if not found.graded:
        return f"<p>{len(rows)} submissions, none graded yet.</p>"
    return (
        f"<p>{len(rows)} submissions: {found.graded} graded, {found.ungradable} could not be "
        f"graded (left out of every statistic). Final scores out of {found.maximum:g}: mean "
        f"{found.mean:.1f}, median {found.median:g}, lowest {found.low:g}, highest "
        f"{found.high:g}.</p>"
    )


def roster_section(rows: Sequence[Row], feedback: bool) -> str:
    names, cells = analysis.roster(rows)
    for line in cells:
        student = str(line[0])
        shown = html.escape(student)
        line[0] = f'<a href="feedback/{file_stem(student)}.html">{shown}</a>' if feedback else shown
    headers = ["student", *names, "raw total", "late days", "final", "what went wrong"]
    numeric = set(range(1, len(names) + 4))
    return "<h2>Roster</h2>" + table(headers, cells, numeric, raw=0)


def causes_section(rows: Sequence[Row]) -> str:
    found = analysis.causes(rows)
    return (
        "<h2>Failures by cause</h2><p>An exercise that did not import counts once per "
        "student; otherwise one row per check and mistake.</p>"
        + table(
            ["exercise or check", "students", "example message"],
            [(c.where, c.students, c.message) for c in found[:60]],
            {1},
        )
    )


def similarity_section(pairs: Sequence[Pair] | str) -> str:
    intro = (
        "<h2>Similar submissions</h2><p>Pairs whose code is alike once names, comments and "
        "the starter code are left out (copydetect's winnowing). A signal for a person to "
        "look at, never a grade.</p>"
    )
    if isinstance(pairs, str):
        return intro + f"<p>{html.escape(pairs)}</p>"
    if not pairs:
        return intro + "<p>None above the threshold.</p>"
    return intro + "".join(side_by_side(pair) for pair in pairs)


def side_by_side(pair: Pair) -> str:
    first, second, exercise = (html.escape(s) for s in (pair.first, pair.second, pair.exercise))
    return (
        f"<details><summary>{exercise}: {first} and {second}, "
        f'{100 * pair.similarity:.0f} % alike</summary><div class="side">'
        f"<div><h4>{first}</h4><pre>{pair.first_html}</pre></div>"
        f"<div><h4>{second}</h4><pre>{pair.second_html}</pre></div></div></details>"
    )


def render(book: Gradebook, pairs: Sequence[Pair] | str = (), feedback: bool = True) -> str:
    rows, checks = book.submissions(), book.checks()
    rates = plots.pass_rates(checks)
    slowest = sorted((r for r in rows if r["report"] != "{}"), key=lambda r: -r["duration_s"])
    sections = [
        "<h1>Class report</h1>" + summary(rows),
        roster_section(rows, feedback),
        causes_section(rows),
        "<h2>Scores per exercise</h2><figure>" + plots.score_plot(rows) + "</figure>",
        f"<h2>Pass rate per check, hardest first (top {plots.HARDEST})</h2><figure>"
        + plots.pass_rate_plot(rates)
        + "</figure>",
        "<h2>Training</h2><figure>" + plots.training_plot(analysis.trained(rows)) + "</figure>",
        similarity_section(pairs),
        "<h2>Slowest submissions</h2>"
        + table(
            ["student", "seconds", "score"],
            [
                (r["student"], r["duration_s"], f"{r['score']:g}/{r['max_score']:g}")
                for r in slowest[:10]
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


def write_report(
    book: Gradebook, folder: Path, pairs: Sequence[Pair] | str = (), feedback: bool = True
) -> Path:
    path = folder / "report.html"
    write_atomic(path, render(book, pairs, feedback))
    return path
