"""Gradescope: which uploaded file is graded for each exercise, said in the results.

Students upload folders, old copies and miscased names. The rule is grader.layout's, the
one `grade` and `grade-class` follow: per exercise NAME, the file nearest the top of the
upload, then one in an `exercises/` folder, then the exact name before one in other letter
case, then NAME.py before NAME.ipynb, then the first in alphabetical order. Every choice
among several, every miscased name and every file in a subfolder is one line of the
results' output. Other .py files beside a chosen one are copied too (the student's
helpers).

    python -m grader.gradescope_files pick SUBMISSION WORK NOTES [--course FILE]
    python -m grader.gradescope_files annotate RESULTS NOTES
    python -m grader.gradescope_files seed METADATA [--course FILE] [--seed N]
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import click

from grader import course, layout


def member_ids(people: list[dict[str, Any]], prefix: str = "") -> list[str]:
    """Each submitter's id: their SID, else e-mail, else name. `prefix` is ':' in the
    export's YAML."""
    keys = [f"{prefix}{key}" for key in ("sid", "email", "name")]
    ids = [next((str(p[k]) for k in keys if p.get(k)), "") for p in people]
    return [i for i in ids if i]


def student_id(people: list[dict[str, Any]], prefix: str = "") -> str:
    """Who submitted, as grade-class names Gradescope's export: the members' ids, a group
    joined as id1+id2."""
    return "+".join(member_ids(people, prefix))


def pick(submission: Path, work: Path, names: tuple[str, ...]) -> list[str]:
    """Copy each exercise's chosen file (grader.layout) and the .py files beside it into
    `work`, at the top under the exercise's name; return the notes."""
    work.mkdir(parents=True, exist_ok=True)
    root = submission.resolve()
    files = [f for f in layout.files_of(submission) if inside(submission / f, root)]
    notes = []
    for choice in layout.choose(files, names).values():
        if choice.note():
            notes.append(f"{choice.exercise}: {choice.note()}")
        for helper in layout.helpers(choice, files):
            target = work / Path(helper).name
            if Path(helper).stem.lower() not in names and not target.exists():
                shutil.copy(submission / helper, target)
        shutil.copy(submission / choice.path, work / choice.canonical)
    return notes


def inside(path: Path, root: Path) -> bool:
    """A link out of the upload (to the course's secret, say) is never copied."""
    return path.resolve().is_relative_to(root)


def annotate(results: Path, notes: list[str]) -> None:
    """Put the notes at the top of the results' output, where the student reads first."""
    if not notes or not results.is_file():
        return
    data = json.loads(results.read_text(encoding="utf-8"))
    data["output"] = "\n".join([*notes, str(data.get("output", ""))]).strip()
    results.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


@click.group()
def main() -> None:
    """Choose the uploaded files to grade, and say which in the results.

    \b
    The rule, per exercise NAME (grader.layout's, as for grade and grade-class): the file
    nearest the top, then one in an exercises/ folder, then the exact name before one in
    other letter case (Tensors.py), then NAME.py before NAME.ipynb, then the first in
    alphabetical order. Each choice among several, each miscased name and each file in a
    subfolder is a line at the top of the results' output.
    """


COURSE_OPTION = click.option(
    "--course",
    "course_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The course file (its exercises, its seed secret's variable).",
)


@main.command("pick")
@click.argument("submission", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("work", type=click.Path(file_okay=False, path_type=Path))
@click.argument("notes_file", type=click.Path(dir_okay=False, path_type=Path))
@COURSE_OPTION
def pick_command(submission: Path, work: Path, notes_file: Path, course_file: Path | None) -> None:
    """Copy the chosen files from SUBMISSION into WORK; write the notes to NOTES_FILE."""
    notes = pick(submission, work, course.load(course_file).names())
    notes_file.write_text("".join(f"{note}\n" for note in notes), encoding="utf-8")
    for note in notes:
        click.echo(note)


@main.command("annotate")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("notes_file", type=click.Path(dir_okay=False, path_type=Path))
def annotate_command(results: Path, notes_file: Path) -> None:
    """Add the notes in NOTES_FILE to the top of RESULTS' output."""
    if notes_file.is_file():
        annotate(results, notes_file.read_text(encoding="utf-8").splitlines())


@main.command("seed")
@click.argument("metadata", type=click.Path(dir_okay=False, path_type=Path))
@COURSE_OPTION
@click.option("--seed", "public_seed", type=int, default=0, show_default=True)
def seed_command(metadata: Path, course_file: Path | None, public_seed: int) -> None:
    """Print the submitters' seed: the course's per-student seed (as grade-class derives
    it) from Gradescope's submission_metadata.json, else the public seed."""
    parsed = course.load(course_file)
    if not parsed.seed_secret_env:
        click.echo(public_seed)
        return
    if not os.environ.get(parsed.seed_secret_env):
        raise click.ClickException(f"${parsed.seed_secret_env} is not set: no per-student seed")
    try:
        people = json.loads(metadata.read_text(encoding="utf-8")).get("users") or []
    except (OSError, ValueError, AttributeError) as exc:
        raise click.ClickException(f"{metadata}: cannot read the submitters ({exc})") from None
    student = student_id(people)
    if not student:
        raise click.ClickException(f"{metadata}: no submitter with an SID, e-mail or name")
    click.echo(parsed.seed_for(student, public_seed))


if __name__ == "__main__":
    main()
