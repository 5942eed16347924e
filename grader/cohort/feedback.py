"""One feedback file per student, in Markdown and as a self-contained HTML page.

The instructor hands these back: the score (before and after a late penalty), then per
exercise what to fix, each lost check with the grader's message, so that a student reads
the few things that matter rather than a list of every check (feedback_view decides what
is said). Every string in a report is the student's to choose (messages, printed output,
names of their functions), so the HTML escapes all of it and loads nothing, the Markdown
puts it in code spans and fenced blocks no text can close, and file names made from
student ids can neither leave the folder nor take another student's file.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from pathlib import Path
from typing import Any

from grader import exercises
from grader.cohort.feedback_view import Curve, Fix, Line, Section, score_line, section
from grader.cohort.plots import pyplot
from grader.formats.markdown import ICONS, cell
from grader.formats.text import points
from grader.report import Report, from_dict, write_atomic

MAX_NAME = 60
UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")
KEPT = re.compile(rf"[a-z0-9_][a-z0-9_-]{{0,{MAX_NAME - 1}}}")
RESERVED = {"CON", "PRN", "AUX", "NUL"} | {f"{d}{i}" for d in ("COM", "LPT") for i in range(10)}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 52em; color: #222;
       padding: 0 1em; line-height: 1.4; }
.check, figure { margin: 1em 0; } code { background: #f5f5f5; } .problem { color: #a00; }
pre { background: #f5f5f5; padding: .6em; overflow-x: auto; white-space: pre-wrap; }
"""


@dataclass(frozen=True)
class Feedback:
    """What one student gets back: their report, or why it could not be graded."""

    student: str
    report: Mapping[str, Any] | None  # None: the submission could not be graded
    problem: str = ""  # why it could not be graded
    notes: tuple[str, ...] = ()  # extra lines for the top, e.g. a late penalty
    final_score: float | None = None  # after a late penalty, when it differs from the score


def parse(feedback: Feedback) -> tuple[Report | None, str]:
    """The report, or None and why there is none (a report that cannot be read is none)."""
    if feedback.report is None:
        return None, feedback.problem or "no report was made"
    try:
        return from_dict(feedback.report), feedback.problem
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return None, f"the report could not be read ({type(exc).__name__}: {exc})"


def what_to_do() -> str:
    """What a student whose submission could not be graded should look at."""
    files = ", ".join(f"{name}.py" for name in exercises.names())
    return (
        f"What to do: check the file names ({files}, or the same names with .ipynb, as "
        "the starter code named them) and that each file opens; see the README, section "
        "'For students'; then submit again."
    )


def title(fix: Fix, name: str, check_id: str) -> str:
    """The fix's heading; `name` and `check_id` come made safe for the format at hand."""
    got = f"{points(fix.check.score)}/{points(fix.check.max_score)} points"
    said = f"{ICONS[fix.check.status]} {name} ({check_id}): {got}"
    if fix.count > 1:
        return f"{fix.count} checks lost their points for one reason, e.g. {said}"
    return said


# --- Markdown ------------------------------------------------------------------------------


def code(text: str) -> str:
    """A code span no backtick in `text` can close."""
    flat = " ".join(text.split())
    tick = "`" * (max(map(len, re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if not flat or flat[0] == "`" or flat[-1] == "`" else ""  # CommonMark drops it
    return f"{tick}{pad}{flat}{pad}{tick}"


def fenced(text: str) -> list[str]:
    """A fenced code block no line of `text` can close: nothing in it is Markdown or HTML."""
    fence = "`" * max(3, max(map(len, re.findall(r"`+", text)), default=0) + 1)
    return [fence + "text", *text.splitlines(), fence, ""]


def bullets(lines: Sequence[Line]) -> list[str]:
    """A list: the grader's or instructor's words escaped, the report's in code spans."""
    said = [
        " ".join(filter(None, [cell(x.text), ", ".join(map(code, x.names)) + x.tail]))
        for x in lines
    ]
    return [*(f"- {line}" for line in said), ""] if said else []


def curve_table(line: Curve) -> list[str]:
    """The curve's points as a small table (numbers only), then its targets."""
    rows = [f"| {e:.2f} | {p:.2f} |" for e, p in zip(line.epochs, line.percent, strict=True)]
    floor = f"; {line.floor:g} % or less earns none" if line.floor is not None else ""
    return [
        "| epochs | test accuracy (%) |",
        "| ---: | ---: |",
        *rows,
        "",
        f"Threshold: {line.threshold:g} % earns full marks{floor}.",
        "",
    ]


def markdown_section(part: Section) -> list[str]:
    """One exercise: its problem first, then what to fix, the one-liners, the curves."""
    exercise = part.exercise
    score = f"{points(exercise.score)}/{points(exercise.max_score)} points"
    lines = [f"## {cell(exercise.name)}: {score}", ""]
    lines += ["**Could not run:**", "", *fenced(part.problem)] if part.problem else []
    lines += bullets(part.notes) + (["### What to fix", ""] if part.fixes else [])
    for fix in part.fixes:
        lines += [f"**{title(fix, code(fix.check.name), code(fix.check.id))}**", ""]
        lines += fenced(fix.message)
        lines += ["Your code printed:", "", *fenced(fix.output)] if fix.output else []
    lines += bullets(part.brief)
    for name, line in part.curves:
        lines += [f"### Training: {code(name)}", "", *curve_table(line)]
    return lines


def markdown(feedback: Feedback) -> str:
    """The student's feedback as Markdown."""
    report, problem = parse(feedback)
    lines = [f"# Feedback for {code(feedback.student or '(no id)')}", ""]
    lines += bullets([Line(note) for note in feedback.notes])
    if report is None:
        return "\n".join([*lines, "**Not graded:**", "", *fenced(problem), what_to_do(), ""])
    lines += [f"**{score_line(report, feedback.final_score)}**", ""]
    lines += ["**Problem:**", "", *fenced(problem)] if problem else []
    for exercise in report.exercises:
        lines += markdown_section(section(exercise))
    return "\n".join(lines).rstrip("\n") + "\n"


# --- HTML ----------------------------------------------------------------------------------


def paragraphs(lines: Sequence[Line]) -> list[str]:
    """One paragraph per line, everything escaped, names from the report as code."""
    said = [
        [escape(x.text), ", ".join(f"<code>{escape(n)}</code>" for n in x.names)] for x in lines
    ]
    return [f"<p>{' '.join(filter(None, parts))}</p>" for parts in said]


def curve_svg(line: Curve) -> str:
    """An inline SVG line plot: test accuracy against epochs, the threshold dashed."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(4.8, 2.8))
    axis.plot(line.epochs, line.percent, marker="o", color="#4477aa", label="test accuracy")
    axis.axhline(
        line.threshold, linestyle="--", color="#cc3311", label=f"threshold {line.threshold:g} %"
    )
    axis.set_xlabel("epochs")
    axis.set_ylabel("test accuracy (%)")
    axis.set_xlim(left=0)
    axis.legend(loc="lower right", fontsize=8)
    axis.grid(alpha=0.3)
    buffer = io.StringIO()
    # No metadata: matplotlib's holds web addresses, and this page refers to nothing outside.
    blank = {"Creator": None, "Date": None, "Format": None, "Type": None}
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata=blank)
    plt.close(figure)
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def html_fix(fix: Fix) -> str:
    """A lost check: heading, message, and what it printed folded away."""
    head = title(fix, escape(fix.check.name), f"<code>{escape(fix.check.id)}</code>")
    printed = f"<details><summary>What your code printed</summary><pre>{escape(fix.output)}</pre>"
    return (
        f'<div class="check"><h4>{head}</h4><pre>{escape(fix.message)}</pre>'
        + (f"{printed}</details>" if fix.output else "")
        + "</div>"
    )


def html_section(part: Section) -> str:
    """One exercise, in the order of markdown_section."""
    exercise = part.exercise
    score = f"{points(exercise.score)}/{points(exercise.max_score)} points"
    body = [f"<section><h2>{escape(exercise.name)}: {score}</h2>"]
    if part.problem:
        body.append(f'<p class="problem">Could not run:</p><pre>{escape(part.problem)}</pre>')
    body += paragraphs(part.notes) + (["<h3>What to fix</h3>"] if part.fixes else [])
    body += [html_fix(fix) for fix in part.fixes] + paragraphs(part.brief)
    for name, line in part.curves:
        caption = f"Training: {escape(name)}; full marks at {line.threshold:g} % (dashed)"
        body.append(f"<figure>{curve_svg(line)}<figcaption>{caption}</figcaption></figure>")
    return "\n".join([*body, "</section>"])


def html(feedback: Feedback) -> str:
    """The student's feedback as one HTML page that loads nothing from anywhere."""
    report, problem = parse(feedback)
    student = escape(feedback.student or "(no id)")
    body = [f"<h1>Feedback for {student}</h1>", *paragraphs([Line(n) for n in feedback.notes])]
    if report is None:
        body += ['<p class="problem">Not graded:</p>', f"<pre>{escape(problem)}</pre>"]
        body += paragraphs([Line(what_to_do())])
    else:
        body.append(f"<p><strong>{escape(score_line(report, feedback.final_score))}</strong></p>")
        body += [f'<p class="problem">Problem:</p><pre>{escape(problem)}</pre>'] if problem else []
        body += [html_section(section(exercise)) for exercise in report.exercises]
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Feedback for {student}</title><style>{STYLE}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


# --- Files ---------------------------------------------------------------------------------


def file_stem(student: str) -> str:
    """The student's file name without suffix, from the id alone (the class report links
    to it). A lower-case id of letters, digits, _ and - is kept; any other becomes its
    safe characters, a dot and a hash of the id. A kept id never holds a dot, so no id
    takes another's name ("ALICE" and "alice" stay two files on any disk), and no name is
    empty, starts with a dot or -, holds a path separator or is a device name."""
    if KEPT.fullmatch(student) and student.upper() not in RESERVED:
        return student
    base = UNSAFE.sub("_", student).strip("_-")[:MAX_NAME] or "student"
    return f"{base}.{hashlib.sha256(student.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


def write_all(items: Sequence[Feedback], folder: Path) -> list[Path]:
    """Write folder/<file_stem>.md and .html for each, atomically; return the paths."""
    stems = Counter(file_stem(item.student).casefold() for item in items)
    twice = sorted(i.student for i in items if stems[file_stem(i.student).casefold()] > 1)
    if twice:
        raise ValueError(f"two feedback items for one file: {', '.join(map(repr, twice))}")
    paths = []
    for item in items:
        for suffix, render in ((".md", markdown), (".html", html)):
            path = folder / f"{file_stem(item.student)}{suffix}"
            write_atomic(path, render(item))
            paths.append(path)
    return paths
