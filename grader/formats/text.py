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
    parts = [f"{n} {s.value.replace('_', ' ')}" for s in Status if (n := counts[s])]
    score = f"{points(exercise.score)} / {points(exercise.max_score)}"
    full = exercise.score == exercise.max_score
    styled = click.style(score.rjust(13), fg="green" if full else "red", bold=True)
    return f"  {exercise.name:<12}{styled}   ({', '.join(parts)})  {exercise.duration_s:.1f} s"


def check_lines(check: CheckResult, verbose: bool) -> list[str]:
    tag = click.style(SYMBOLS[check.status], fg=COLOURS[check.status], bold=True)
    head = f"  {tag} {check.id}  [{points(check.score)}/{points(check.max_score)}]"
    lines = [head] + [f"      {line}" for line in check.message.splitlines()]
    if verbose and check.details.get("traceback"):
        lines += [f"      | {line}" for line in str(check.details["traceback"]).splitlines()]
    if verbose and check.output:
        lines += ["      captured output:"]
        lines += [f"      > {line}" for line in check.output.splitlines()]
    return lines


def not_attempted_lines(exercise: ExerciseResult) -> list[str]:
    todo = [c.id.split(".", 1)[1] for c in exercise.checks if c.status is Status.NOT_ATTEMPTED]
    if not todo:
        return []
    tag = click.style(SYMBOLS[Status.NOT_ATTEMPTED], fg=COLOURS[Status.NOT_ATTEMPTED], bold=True)
    listing = click.wrap_text(", ".join(todo), width=96, initial_indent="      ",
                              subsequent_indent="      ")
    return [f"  {tag} {exercise.name}: {len(todo)} checks not attempted yet", listing]


def render(report: Report, verbose: bool = False) -> str:
    env = report.environment
    lines = [
        f"Grading {report.submission} (device {env.device}, seed {env.seed}, "
        f"torch {env.torch_version}, grader {report.grader_version})",
        "",
    ]
    lines += [exercise_line(e) for e in report.exercises]
    lost = [
        c for c in report.checks()
        if c.score < c.max_score and c.status is not Status.NOT_ATTEMPTED
        or (verbose and c.status is Status.SKIPPED)
    ]
    if lost or any(c.status is Status.NOT_ATTEMPTED for c in report.checks()):
        lines += ["", "What to fix:"]
        for exercise in report.exercises:
            lines += [line for c in exercise.checks if c in lost for line in check_lines(c, verbose)]
            lines += not_attempted_lines(exercise)
    total = f"{points(report.score)} / {points(report.max_score)} points ({report.percent:.1f} %)"
    lines += ["", f"Total: {click.style(total, bold=True)} in {report.duration_s:.1f} s", ""]
    return "\n".join(lines)
