"""`python -m grader.adequacy`: the mutation score of the checks, per exercise.

Prints and logs, per exercise, how many mutants of the solution the checks kill, and every
survivor with its place, operator and changed line: each survivor is a mistake a student
could make and keep the points for, or an equivalent mutant to list in operators.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import click

from grader import exercises
from grader.adequacy import mutate, operators
from grader.adequacy.corpus import judge_corpus, render_corpus, students
from grader.adequacy.mutate import Mutant
from grader.adequacy.run import GradingFailed, Outcome, grade, judge
from grader.adequacy.summary import render

LOGS = Path("benchmarks") / "logs"


def command_line(
    only: tuple[str, ...], kinds: tuple[str, ...], limit: int | None, seed: int, jobs: int
) -> str:
    """The run's options spelt as a command, for the log's first line."""
    parts = ["python -m grader.adequacy", *(f"--only {name}" for name in only)]
    parts += [f"--operator {kind}" for kind in kinds]
    parts += [f"--limit {limit}"] if limit else []
    return " ".join([*parts, f"--seed {seed}", f"--jobs {jobs}"])


def progress(name: str, total: int) -> Callable[[Outcome], None]:
    """Prints each verdict on stderr as it comes: a long run shows it is moving."""
    done = 0

    def report(outcome: Outcome) -> None:
        nonlocal done
        done += 1
        verdict, seconds = outcome.verdict.value, outcome.seconds
        click.echo(
            f"  {name} {done}/{total} {verdict:<10} {seconds:5.1f} s  {outcome.mutant.describe()}",
            err=True,
        )

    return report


def judge_all(mutants: list[Mutant], solutions: Path, baseline: float, jobs: int) -> list[Outcome]:
    """Every mutant's outcome in order, `jobs` gradings side by side."""
    report = progress(mutants[0].exercise if mutants else "", len(mutants))

    def one(mutant: Mutant) -> Outcome:
        outcome = judge(mutant, solutions, baseline)
        report(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, mutants))


def run_exercise(
    name: str, solutions: Path, kinds: tuple[str, ...], limit: int | None, seed: int, jobs: int
) -> tuple[list[Outcome], str]:
    """Outcomes of one exercise's sampled mutants, and a line saying how the run went."""
    start = time.monotonic()
    every = [m for m in mutate.generate(solutions, name) if not kinds or m.change.operator in kinds]
    chosen = mutate.sample(every, limit, seed)
    base = grade(solutions, name)
    if base.score < base.max_score:
        click.echo(
            f"warning: the unmutated {name} scores {base.score:g}/{base.max_score:g}; "
            "mutants are compared with that",
            err=True,
        )
    outcomes = judge_all(chosen, solutions, base.score, jobs)
    seconds = time.monotonic() - start
    line = (
        f"{name}: {len(chosen)} of {len(every)} mutants, unmutated score "
        f"{base.score:g}/{base.max_score:g}, {seconds:.0f} s"
    )
    return outcomes, line


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--only",
    multiple=True,
    type=click.Choice(exercises.names()),
    help="Mutate only this exercise (repeatable) [default: all].",
)
@click.option(
    "--operator",
    "kinds",
    multiple=True,
    type=click.Choice(operators.NAMES),
    help="Keep only this operator's mutants (repeatable) [default: all].",
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    help="Grade N mutants per exercise, a sample drawn with --seed [default: all].",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the sample.")
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Mutants graded side by side (each grading is one `grade` process).",
)
@click.option(
    "--log",
    "log_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help=f"Write the summary here too [default: {LOGS}/adequacy-<date>.log].",
)
@click.option(
    "--solutions",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=Path("solutions"),
    show_default=True,
    help="The reference solutions.",
)
@click.option(
    "--corpus",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="Grade this folder's correct/ and wrong/ student files instead of mutants "
    "(e.g. tests/students).",
)
@click.option(
    "--untrained",
    is_flag=True,
    help="With --corpus: leave out the trained-accuracy checks (minutes per file).",
)
def main(
    only: tuple[str, ...],
    kinds: tuple[str, ...],
    limit: int | None,
    seed: int,
    jobs: int,
    log_path: Path | None,
    solutions: Path,
    corpus: Path | None,
    untrained: bool,
) -> None:
    """Mutate the solutions inside their SOLUTION regions, grade each mutant and report
    how many the checks kill (a lower score than the unmutated solution kills). With
    --corpus, grade hand-written correct and wrong files instead."""
    if corpus is not None:
        run_corpus(corpus, only, jobs, log_path, solutions, untrained)
        return
    start = time.monotonic()
    results: dict[str, list[Outcome]] = {}
    lines: list[str] = []
    for exercise in exercises.select(only):
        try:
            results[exercise.name], line = run_exercise(
                exercise.name, solutions, kinds, limit, seed, jobs
            )
        except GradingFailed as exc:
            raise click.ClickException(str(exc)) from None
        lines.append(line)
    head = [
        f"$ {command_line(only, kinds, limit, seed, jobs)}",
        f"date: {date.today().isoformat()}",
    ]
    foot = f"\nduration: {time.monotonic() - start:.0f} s\n"
    text = "\n".join([*head, *lines, ""]) + "\n" + render(results) + foot
    click.echo(text, nl=False)
    write_log(log_path or LOGS / f"adequacy-{date.today().isoformat()}.log", text)


def run_corpus(
    corpus: Path,
    only: tuple[str, ...],
    jobs: int,
    log_path: Path | None,
    solutions: Path,
    untrained: bool,
) -> None:
    """Grade the corpus, print and log how many files were judged as their kind says."""
    start = time.monotonic()
    chosen = students(corpus, only)
    results = judge_corpus(chosen, solutions, jobs, untrained)
    command = " ".join(
        [
            "python -m grader.adequacy --corpus",
            str(corpus),
            *(f"--only {n}" for n in only),
            *(["--untrained"] if untrained else []),
        ]
    )
    head = f"$ {command} --jobs {jobs}\ndate: {date.today().isoformat()}\n\n"
    text = head + render_corpus(results) + f"\nduration: {time.monotonic() - start:.0f} s\n"
    click.echo(text, nl=False)
    write_log(log_path or LOGS / f"corpus-{date.today().isoformat()}.log", text)
    if not all(r.as_expected for r in results):
        raise SystemExit(1)


def write_log(path: Path, text: str) -> None:
    """The summary as printed, kept next to the project's other benchmark logs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    click.echo(f"log: {path}", err=True)


if __name__ == "__main__":
    main()
