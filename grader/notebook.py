"""Feedback inside Jupyter and Colab: `from grader.notebook import check; check("tensors")`.

The notebook's current code (the cells run so far, from the kernel's history, or a saved
`.ipynb` named with `notebook=`) is written to a scratch folder as NAME.ipynb and graded
by the `grade` command in a process of its own: the same checker and sandboxed worker as
in a terminal, never the student's kernel. The verdicts come back as the JSON report and
show as a table; `%load_ext grader.notebook` adds the `%grade NAME` magic.
"""

from __future__ import annotations

import html
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click

from grader.formats import text
from grader.report import Report, Status, from_dict

COLOURS = {Status.PASSED: "#1a7f37", Status.NOT_ATTEMPTED: "#6e7781"}
FAILED = "_grader_failed_cells"  # kept on the IPython shell, not in this module


@dataclass(frozen=True)
class Feedback:
    """A graded report as a notebook shows it: a table in Jupyter, the summary as text."""

    report: Report

    def __repr__(self) -> str:
        return click.unstyle(text.render(self.report))

    def _repr_html_(self) -> str:
        rows = "".join(
            row(c.id, c.status, c.score, c.max_score, c.message) for c in self.report.checks()
        )
        notes = "".join(
            f"<li>{html.escape(note)}</li>" for e in self.report.exercises for note in e.notes
        )
        problems = "".join(
            f"<p><b>{html.escape(e.name)}</b>: {html.escape(e.problem)}</p>"
            for e in self.report.exercises
            if e.problem
        )
        total = f"{self.report.score:g} / {self.report.max_score:g} points"
        return (
            f"<h4>{html.escape(total)} ({self.report.percent:.1f} %)</h4>{problems}"
            f"<ul>{notes}</ul><table><tr><th>check</th><th>status</th><th>points</th>"
            f"<th>what to fix</th></tr>{rows}</table>"
        )


def row(check_id: str, status: Status, score: float, top: float, message: str) -> str:
    colour = COLOURS.get(status, "#cf222e")
    return (
        f"<tr><td><code>{html.escape(check_id)}</code></td>"
        f'<td style="color:{colour}">{status.value.replace("_", " ")}</td>'
        f"<td>{score:g} / {top:g}</td>"
        f'<td style="text-align:left;white-space:pre-wrap">{html.escape(message)}</td></tr>'
    )


def check(exercise: str, notebook: str | Path | None = None, **options: Any) -> Feedback:
    """Grade `exercise` from this notebook's code as `grade` would; `options` are grade's
    (`device="cuda"`, `timeout=120`, `data_dir="..."`, `check="tensors.slicing"`)."""
    with tempfile.TemporaryDirectory(prefix="grade-notebook-") as scratch:
        folder = Path(scratch) / "notebook"
        folder.mkdir()
        target = folder / f"{exercise}.ipynb"
        if notebook is not None:
            target.write_bytes(Path(notebook).read_bytes())
        else:
            target.write_text(history_notebook(), encoding="utf-8")
        copy_helpers(Path.cwd() if notebook is None else Path(notebook).parent, folder)
        command = [sys.executable, "-m", "grader", str(folder), f"--only={exercise}"]
        done = subprocess.run(
            [*command, "--format=json", *flags(options)],
            capture_output=True,
            text=True,
            check=False,
        )
    try:
        return Feedback(from_dict(json.loads(done.stdout)))
    except (ValueError, KeyError):
        said = done.stderr.strip().splitlines()
        last = said[-1] if said else ""
        raise RuntimeError(f"grade exited with {done.returncode}: {last}") from None


def copy_helpers(source: Path, folder: Path) -> None:
    """The student's own modules beside the notebook (helpers.py), never an exercise's
    .py file, which grade would take instead of the notebook."""
    from grader.exercises import names

    for helper in sorted(source.glob("*.py"))[:50]:
        small = helper.is_file() and helper.stat().st_size < 2**20
        if small and helper.stem not in names():
            (folder / helper.name).write_bytes(helper.read_bytes())


def flags(options: dict[str, Any]) -> list[str]:
    """grade's options from keyword arguments: data_dir="x" is --data-dir=x, verbose=True
    is --verbose."""
    made = []
    for name, value in options.items():
        flag = f"--{name.replace('_', '-')}"
        if value is True:
            made.append(flag)
        elif value is not False and value is not None:
            made.append(f"{flag}={value}")
    return made


def history_notebook() -> str:
    """The cells this kernel ran, in order, as a notebook (cell N is In[N])."""
    import nbformat

    try:
        from IPython import get_ipython
    except ImportError:
        raise RuntimeError("check() runs in Jupyter or Colab; in a terminal use grade") from None
    shell = get_ipython()
    if shell is None:
        raise RuntimeError("check() runs in Jupyter or Colab; in a terminal use grade")
    failed: set[int] = getattr(shell, FAILED, set())
    ran = list(shell.user_ns.get("In", []))  # In[N] is cell N; In[0] is empty
    cells = [
        nbformat.v4.new_code_cell("" if number in failed else source)
        for number, source in enumerate(ran[1:], start=1)
    ]
    notebook = nbformat.v4.new_notebook(cells=cells)
    return str(nbformat.writes(notebook))


def remember_failures(shell: Any) -> None:
    """From now on, note the cells that raised: check() leaves them out (a cell that was
    then fixed and run again would otherwise be graded twice, the broken one first)."""
    if shell is None or hasattr(shell, FAILED):
        return
    failed: set[int] = set()
    setattr(shell, FAILED, failed)

    def record(result: Any) -> None:
        if not result.success and result.execution_count:
            failed.add(result.execution_count)

    shell.events.register("post_run_cell", record)


def load_ipython_extension(shell: Any) -> None:
    """`%load_ext grader.notebook`, then `%grade tensors` in any cell."""

    def grade(line: str) -> Feedback:
        return check(line.strip())

    shell.register_magic_function(grade, magic_kind="line", magic_name="grade")


try:  # imported in a kernel: from then on, cells that raise are remembered
    from IPython import get_ipython

    remember_failures(get_ipython())
except ImportError:  # pragma: no cover - no IPython: check() says it needs Jupyter
    pass
