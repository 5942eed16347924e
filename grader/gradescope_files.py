"""Gradescope: which uploaded file is graded for each exercise, said in the results.

Students upload folders, old copies and miscased names. The rule, per exercise NAME: the
files named NAME.py (else NAME.ipynb, a notebook) anywhere in the upload; failing those, a
name that differs only in case (Tensors.py); among several, the one nearest the top of the
upload, then the first in alphabetical order. Every choice among several, and every
miscased name, is one line of the results' output. Other .py files beside a chosen one
are copied too (the student's helpers).

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

from grader import course


def candidates(submission: Path, name: str) -> list[Path]:
    """Files for exercise `name`, best first: NAME.py before NAME.ipynb, the exact name,
    shallowest, alphabetical."""
    names = (f"{name}.py", f"{name}.ipynb")
    found = [p for p in submission.rglob("*") if p.is_file() and p.name.lower() in names]
    return sorted(
        found,
        key=lambda p: (
            p.suffix.lower() != ".py",
            p.name not in names,
            len(p.relative_to(submission).parts),
            p,
        ),
    )


def student_id(people: list[dict[str, Any]], prefix: str = "") -> str:
    """Who submitted, as grade-class names Gradescope's export: each submitter's SID, else
    e-mail, else name; a group is id1+id2. `prefix` is ':' in the export's YAML."""
    keys = [f"{prefix}{key}" for key in ("sid", "email", "name")]
    ids = [next((str(p[k]) for k in keys if p.get(k)), "") for p in people]
    return "+".join(i for i in ids if i)


def pick(submission: Path, work: Path, names: tuple[str, ...]) -> list[str]:
    """Copy each exercise's chosen file (and .py files beside it) into `work`; return notes."""
    work.mkdir(parents=True, exist_ok=True)
    notes = []
    for name in names:
        found = candidates(submission, name)
        if not found:
            continue
        chosen = found[0]
        shown = [str(p.relative_to(submission)) for p in found]
        if len(found) > 1:
            notes.append(f"{name}: found {', '.join(shown)}; graded {shown[0]}")
        elif chosen.name not in (f"{name}.py", f"{name}.ipynb"):
            notes.append(f"{name}: graded {shown[0]} (the name differs in case)")
        for helper in chosen.parent.glob("*.py"):
            if helper.stem.lower() not in names and not (work / helper.name).exists():
                shutil.copy(helper, work / helper.name)
        shutil.copy(chosen, work / f"{name}{chosen.suffix.lower()}")
    return notes


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
    The rule, per exercise NAME: files named NAME.py anywhere in the upload; failing those,
    a name that differs only in case (Tensors.py); among several, the one nearest the top,
    then the first in alphabetical order. Each choice among several, and each miscased name,
    is a line at the top of the results' output.
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
