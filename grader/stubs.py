"""Make the student stubs from the reference solutions, so each fact is written once.

In `solutions/<name>.py` every part a student writes sits between `# BEGIN SOLUTION`
and `# END SOLUTION`. The stub keeps everything else (signatures, docstrings, set-up
lines) and replaces each block with the marker and a NotImplementedError naming the
exercise and the function, which the grader reports as `not_attempted`.

    python -m grader.stubs solutions exercises           # write the stubs
    python -m grader.stubs solutions exercises --check   # exit 1 if they are stale
    python -m grader.stubs solutions exercises --course course.toml   # and the course's own
    python -m grader.stubs solutions exercises --notebooks notebooks  # and as notebooks
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import click

BEGIN = "# BEGIN SOLUTION"
END = "# END SOLUTION"
MARKER = "# TODO(student): write your code here"
HEADER = re.compile(r"^(\s*)(?:async\s+)?(def|class)\s+(\w+)")


def enclosing_name(lines: list[str], index: int) -> str:
    """'Class.method' or 'function' for the code around line `index`."""
    indent = len(lines[index]) - len(lines[index].lstrip())
    names: list[str] = []
    for line in reversed(lines[:index]):
        match = HEADER.match(line)
        if match and len(match.group(1)) < indent:
            names.insert(0, match.group(3))
            indent = len(match.group(1))
    return ".".join(names) or "module"


def make_stub(source: str, exercise: str) -> str:
    """The stub text for one solution file."""
    lines = source.splitlines()
    out: list[str] = []
    inside = False
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise ValueError(f"{exercise}: line {index + 1}: {BEGIN} inside another block")
            inside = True
            pad = line[: len(line) - len(line.lstrip())]
            what = enclosing_name(lines, index)
            out += [f"{pad}{MARKER}", f'{pad}raise NotImplementedError("{exercise}: {what}")']
        elif stripped == END:
            if not inside:
                raise ValueError(f"{exercise}: line {index + 1}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"{exercise}: {BEGIN} is never closed")
    return "\n".join(out) + "\n"


def expected_stubs(solutions: Path) -> dict[str, str]:
    """File name -> stub text, for every solution file."""
    return {
        path.name: make_stub(path.read_text(encoding="utf-8"), path.stem)
        for path in sorted(solutions.glob("*.py"))
    }


def course_stubs(course_file: Path) -> dict[Path, str]:
    """Stub path -> stub text, for every exercise of a course's own (folder/stub.py)."""
    from grader import course
    from grader.errors import UsageError

    try:
        parsed = course.load(course_file)
    except UsageError as exc:
        raise click.UsageError(str(exc)) from None
    folders = {e.name: e.folder for e in parsed.exercises if e.folder is not None}
    missing = [f"{folder}" for folder in folders.values() if not (folder / "solution.py").is_file()]
    if missing:
        raise click.UsageError(f"{missing[0]} has no solution.py to make its stub from")
    return {
        folder / "stub.py": make_stub((folder / "solution.py").read_text("utf-8"), name)
        for name, folder in folders.items()
    }


NOTEBOOK_INTRO = """# Exercise: {name}

Write your code in place of each `raise NotImplementedError(...)` under
`# TODO(student): write your code here`, run the cells, then run the last cell: it grades
this notebook's code as `grade` does (`pip install` the grader first, in Colab too)."""


def notebook_of(stub: str, name: str) -> str:
    """A stub as a notebook (jupytext: one cell per top-level block), with a first cell
    that says what to do and a last one that asks the grader for feedback."""
    try:
        import jupytext
        import nbformat
    except ImportError:
        raise click.UsageError(
            "--notebooks needs jupytext: pip install -e '.[notebooks]'"
        ) from None
    notebook = jupytext.reads(stub, fmt="py:light")
    notebook.cells[:0] = [
        nbformat.v4.new_markdown_cell(NOTEBOOK_INTRO.format(name=name)),
        nbformat.v4.new_code_cell("from grader.notebook import check  # feedback: the last cell"),
    ]
    notebook.cells.append(nbformat.v4.new_code_cell(f'check("{name}")'))
    notebook.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
    }
    for index, cell in enumerate(notebook.cells, start=1):
        cell.metadata, cell.id = {}, f"{name}-{index}"  # the same text every time
    return str(nbformat.writes(notebook, version=4))


def sync(expected: dict[Path, str], check: bool) -> list[str]:
    """Write (or, with `check`, only list) the stubs whose text differs."""
    stale = []
    for target, text in expected.items():
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(str(target))
        if not check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return stale


@click.command()
@click.argument("solutions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.argument("exercises", type=click.Path(file_okay=False, path_type=Path))
@click.option("--check", is_flag=True, help="Only report stale stubs; exit 1 if any.")
@click.option(
    "--course",
    "course_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Also the stub.py of each exercise of this course's own, from its solution.py.",
)
@click.option(
    "--notebooks",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also each stub as a notebook in this folder (NAME.ipynb, made with jupytext).",
)
def main(
    solutions: Path, exercises: Path, check: bool, course_file: Path | None, notebooks: Path | None
) -> None:
    """Write the student stubs in EXERCISES from the reference files in SOLUTIONS."""
    expected = {exercises / name: text for name, text in expected_stubs(solutions).items()}
    if course_file is not None:
        expected.update(course_stubs(course_file))
    if notebooks is not None:
        expected.update(
            {
                notebooks / path.with_suffix(".ipynb").name: notebook_of(text, path.stem)
                for path, text in list(expected.items())
                if path.parent == exercises
            }
        )
    stale = sync(expected, check)
    verb = "stale" if check else "written"
    click.echo(f"{len(stale)} stub(s) {verb}: {', '.join(stale) or 'none'}")
    sys.exit(1 if check and stale else 0)


if __name__ == "__main__":
    main()
