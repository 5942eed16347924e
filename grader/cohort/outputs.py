"""Everything `grade-class` writes after grading, from the gradebook (never from memory of
this run): lateness, grades.csv and checks.csv, the LMS import, the feedback files, and
the class report with its similarity pairs.

Pipeline: set_lateness -> write_exports -> write_lms -> write_feedback -> write_report.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from grader import ipynb, layout, template
from grader.cohort import deadlines, entries, exports, feedback, html, lms, similarity
from grader.cohort.gradebook import Gradebook
from grader.cohort.options import ClassOptions
from grader.settings import Settings


def write_all(
    book: Gradebook,
    out: Path,
    found: Sequence[entries.Entry],
    packed: Sequence[entries.Packed],
    settings: Settings,
    options: ClassOptions,
) -> list[Path]:
    book.scope = frozenset(entry.student for entry in found)  # not entries since removed
    set_lateness(book, found, options.policy)
    written = exports.write_exports(book, out)
    if options.lms:
        ids = {entry.student: entry.members for entry in found}
        rows = lms_rows(book, ids)
        written += lms.write(options.lms, rows, options.roster, out, options.column)
    if options.feedback:
        written += feedback.write_all(feedback_items(book), out / "feedback")
    pairs = similar(packed, settings, options)
    written.append(html.write_report(book, out, pairs, options.feedback))
    return written


def set_lateness(book: Gradebook, found: Sequence[entries.Entry], policy: deadlines.Policy) -> None:
    for entry in found:
        lateness = deadlines.judge(policy, entry.student, entry.submitted_at, entry.members)
        book.set_lateness(entry.student, lateness)


def warnings(found: Sequence[entries.Entry], policy: deadlines.Policy) -> list[str]:
    """What the instructor must know about the deadline: extensions that name no one, and
    clones whose time could not be read (counted as on time)."""
    said = []
    unmatched = policy.unmatched(entry.ids() for entry in found)
    if unmatched:
        said.append(f"--extensions: no submission for {', '.join(unmatched)} (check the ids)")
    unknown = [e.student for e in found if (e.path / ".git").exists() and not e.submitted_at]
    if policy.deadline and unknown:
        said.append(f"no commit time could be read for {', '.join(unknown)}: counted on time")
    return said


def lms_rows(book: Gradebook, ids: dict[str, tuple[str, ...]]) -> list[lms.Row]:
    return [
        lms.Row(
            row["student"],
            row["final_score"],
            row["max_score"],
            row["problem"],
            ids.get(row["student"], ()),
        )
        for row in book.submissions()
    ]


def feedback_items(book: Gradebook) -> list[feedback.Feedback]:
    items = []
    for row in book.submissions():
        report = json.loads(row["report"]) or None
        lateness = deadlines.Lateness(None, row["late_days"], row["penalty"])
        note = lateness.describe(row["score"], row["max_score"]) if report else ""
        final = row["final_score"] if row["late_days"] else None
        items.append(
            feedback.Feedback(
                row["student"], report, row["problem"], (note,) if note else (), final
            )
        )
    return items


def similar(
    packed: Sequence[entries.Packed], settings: Settings, options: ClassOptions
) -> list[similarity.Pair] | str:
    """The similar pairs, or why they were not looked for."""
    if options.starter is None:
        return "not computed: no starter code (--starter DIR, the handed-out stubs)"
    chosen = settings.course.exercises
    try:
        stubs = template.stub_files(chosen, options.starter)
    except Exception as exc:  # a missing stub: say so in the report, grade anyway
        return f"not computed: {exc}"
    starters = {name: path.read_text(encoding="utf-8") for name, path in stubs.items()}
    return similarity.find_pairs(sources(packed, tuple(starters)), starters, options.similarity)


def sources(packed: Sequence[entries.Packed], names: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """exercise -> student -> the code graded for it (a notebook's code cells)."""
    found: dict[str, dict[str, str]] = {name: {} for name in names}
    for item in packed:
        for name, choice in layout.choose(item.files, names).items():
            text = item.files[choice.path].decode("utf-8", "replace")
            found[name][item.student] = code_cells(text) if choice.suffix == ".ipynb" else text
    return found


def code_cells(text: str) -> str:
    """The module `grade` makes of a notebook: the code that was graded."""
    try:
        return ipynb.convert(text).source
    except Exception:  # not a notebook: nothing to compare
        return ""
