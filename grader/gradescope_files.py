"""Gradescope: which uploaded file is graded for each exercise, said in the results.

Students upload folders, old copies and miscased names. The rule, per exercise NAME: the
files named NAME.py anywhere in the upload; failing those, a name that differs only in case
(Tensors.py); among several, the one nearest the top of the upload, then the first in
alphabetical order. Every choice among several, and every miscased name, is one line of the
results' output. Other .py files beside a chosen one are copied too (the student's helpers).

    python -m grader.gradescope_files pick SUBMISSION WORK NOTES
    python -m grader.gradescope_files annotate RESULTS NOTES
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click

from grader import exercises


def candidates(submission: Path, name: str) -> list[Path]:
    """Files for exercise `name`, best first: exact name, shallowest, alphabetical."""
    found = [p for p in submission.rglob("*") if p.is_file() and p.name.lower() == f"{name}.py"]
    return sorted(
        found, key=lambda p: (p.name != f"{name}.py", len(p.relative_to(submission).parts), p)
    )


def pick(submission: Path, work: Path) -> list[str]:
    """Copy each exercise's chosen file (and .py files beside it) into `work`; return notes."""
    work.mkdir(parents=True, exist_ok=True)
    notes = []
    for name in exercises.names():
        found = candidates(submission, name)
        if not found:
            continue
        chosen = found[0]
        shown = [str(p.relative_to(submission)) for p in found]
        if len(found) > 1:
            notes.append(f"{name}: found {', '.join(shown)}; graded {shown[0]}")
        elif chosen.name != f"{name}.py":
            notes.append(f"{name}: graded {shown[0]} as {name}.py (the name differs in case)")
        for helper in chosen.parent.glob("*.py"):
            if helper.stem.lower() not in exercises.names() and not (work / helper.name).exists():
                shutil.copy(helper, work / helper.name)
        shutil.copy(chosen, work / f"{name}.py")
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


@main.command("pick")
@click.argument("submission", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("work", type=click.Path(file_okay=False, path_type=Path))
@click.argument("notes_file", type=click.Path(dir_okay=False, path_type=Path))
def pick_command(submission: Path, work: Path, notes_file: Path) -> None:
    """Copy the chosen files from SUBMISSION into WORK; write the notes to NOTES_FILE."""
    notes = pick(submission, work)
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


if __name__ == "__main__":
    main()
