"""The readable summary for a terminal: points per exercise, then what to fix.

Styling uses click's ANSI codes; click.echo strips them when stdout is not a terminal.
"""

from __future__ import annotations

from collections import Counter

import click

from grader.report import CheckResult, ExerciseResult, Report, Status

COLOURS = {
    Status.PASSED: "green",
    Status.FAILED: "red",
    Status.ERROR: "magenta",
    Status.NOT_ATTEMPTED: "yellow",
    Status.TIMEOUT: "red",
    Status.SKIPPED: "cyan",
}
SYMBOLS = {
    Status.PASSED: "ok",
    Status.FAILED: "FAIL",
    Status.ERROR: "ERROR",
    Status.NOT_ATTEMPTED: "todo",
    Status.TIMEOUT: "TIMEOUT",
    Status.SKIPPED: "skip",
}


def points(value: float) -> str:
    return f"{value:g}"


def exercise_line(exercise: ExerciseResult) -> str:
    counts = Counter(c.status for c in exercise.checks)
    parts = [f"{n} {s.value.replace('_', ' ')}" for s in Status if (n := counts[s])] or [
        "no checks"
    ]
    score = f"{points(exercise.score)} / {points(exercise.max_score)}"
    full = exercise.score == exercise.max_score
    styled = click.style(score.rjust(13), fg="green" if full else "red", bold=True)
    return f"  {exercise.name:<12}{styled}   ({', '.join(parts)})  {exercise.duration_s:.1f} s"


def check_lines(check: CheckResult, verbose: dict[str, str] | None) -> list[str]:
    tag = click.style(SYMBOLS[check.status], fg=COLOURS[check.status], bold=True)
    head = f"  {tag} {check.id}  [{points(check.score)}/{points(check.max_score)}]"
    lines = [head] + [f"      {line}" for line in check.message.splitlines()]
    return lines + details_lines(check, verbose)


def details_lines(check: CheckResult, seen: dict[str, str] | None) -> list[str]:
    """With -v: where the student's code raised (their own frames) and what it printed,
    each said once; a check with the same as an earlier one names that one instead."""
    if seen is None:
        return []
    lines = []
    for label, text, mark in (
        ("your code raised", str(check.details.get("traceback") or ""), "|"),
        ("your code printed", check.output, ">"),
    ):
        if not text.strip():
            continue
        if text in seen:
            lines.append(f"      {label}: the same as under {seen[text]}")
            continue
        seen[text] = check.id
        lines += [f"      {label}:", *(f"      {mark} {line}" for line in text.splitlines())]
    return lines


def not_attempted_lines(exercise: ExerciseResult) -> list[str]:
    """One line per exercise naming the stubs still to write, not one line per check."""
    todo = [c for c in exercise.checks if c.status is Status.NOT_ATTEMPTED]
    if not todo:
        return []
    stubs = dict.fromkeys(c.message.rsplit(": ", 1)[-1] for c in todo)
    tag = click.style(SYMBOLS[Status.NOT_ATTEMPTED], fg=COLOURS[Status.NOT_ATTEMPTED], bold=True)
    listing = click.wrap_text(
        ", ".join(stubs), width=96, initial_indent="      ", subsequent_indent="      "
    )
    head = f"  {tag} {exercise.name}: {len(todo)} checks wait for you to write:"
    return [head, listing]


def shared_problem_lines(exercise: ExerciseResult, lost: list[CheckResult]) -> list[str]:
    """When many checks lost points for one reason (a syntax error, a crash), say it once."""
    status, message = lost[0].status, lost[0].message.removeprefix("not run: ")
    tag = click.style(SYMBOLS[status], fg=COLOURS[status], bold=True)
    return [
        f"  {tag} {exercise.name}: all {len(lost)} checks lost their points",
        f"      {message}",
    ]


def exercise_problems(exercise: ExerciseResult, verbose: dict[str, str] | None) -> list[str]:
    if not exercise.checks and exercise.problem:
        tag = click.style(SYMBOLS[Status.ERROR], fg=COLOURS[Status.ERROR], bold=True)
        return [f"  {tag} {exercise.name}: {exercise.problem}"]
    lost = [
        c
        for c in exercise.checks
        if (c.score < c.max_score and c.status not in (Status.NOT_ATTEMPTED, Status.SKIPPED))
        or (verbose is not None and c.status is Status.SKIPPED)
    ]
    head = []
    if exercise.problem and not any(exercise.problem in c.message for c in lost):
        # Said once for the exercise (say, MNIST is missing): its checks are not listed again.
        tag = click.style(SYMBOLS[Status.ERROR], fg=COLOURS[Status.ERROR], bold=True)
        head = [f"  {tag} {exercise.name}: {exercise.problem}"]
        lost = [c for c in lost if not c.message or c.message not in exercise.problem]
    same_reason = len({(c.status, c.message) for c in lost}) == 1
    if same_reason and len(lost) > 3:
        return head + shared_problem_lines(exercise, lost) + details_lines(lost[0], verbose)
    lines = [line for c in lost for line in check_lines(c, verbose)]
    return head + lines + not_attempted_lines(exercise)


def isolation_lines(isolation: str) -> list[str]:
    """A plain process is the weakest box (no namespaces, no user id of its own, perhaps
    no resource limits): fine for a student's own code, to be said for anyone else's."""
    if isolation != "process":
        return []
    return [
        "Note: student code ran as a plain process (isolation: process); this system offers "
        "no stronger box. Grade others' code on Linux with bubblewrap (see the README)."
    ]


def render(report: Report, verbose: bool = False) -> str:
    env = report.environment
    lines = [
        f"Grading {report.submission} (device {env.device}, seed {env.seed}, "
        f"torch {env.torch_version}, grader {report.grader_version})",
        *isolation_lines(env.isolation),
        "",
    ]
    for exercise in report.exercises:
        lines += [exercise_line(exercise), *(f"      {note}" for note in exercise.notes)]
    seen: dict[str, str] | None = {} if verbose else None
    problems = [line for e in report.exercises for line in exercise_problems(e, seen)]
    if problems:
        lines += ["", "What to fix:", *problems]
    total = f"{points(report.score)} / {points(report.max_score)} points ({report.percent:.1f} %)"
    left = [e.name for e in report.exercises if e.problem.startswith("not graded")]
    incomplete = f"; incomplete: {', '.join(left)} not graded" if left else ""
    lines += [
        "",
        f"Total: {click.style(total, bold=True)} in {report.duration_s:.1f} s{incomplete}",
        "",
    ]
    return "\n".join(lines)
