"""A notebook submission as a module: the code cells in order, what grading needs kept.

Read with nbformat. Kept: imports (of modules this Python has), function and class
definitions, and assignments that neither train, plot nor download, nor use a name left
out. Left out, each with the cell and why: shell lines (`!pip`), magics (`%matplotlib`),
and top-level statements (loops, calls, plots, downloads), so grading stays fast. A cell
that does not parse is kept whole, so the student sees the SyntaxError at its place. Each
line of the module remembers its cell and line, so messages point into the notebook.
"""

from __future__ import annotations

import ast
import importlib.util
import json
from dataclasses import dataclass, field
from pathlib import Path

TRAINING = {"backward", "step", "fit", "zero_grad", "train_epoch"}
PLOTTING = {"plt", "pyplot", "matplotlib", "display", "imshow", "show", "seaborn", "sns", "plotly"}
DOWNLOADING = {"urlretrieve", "wget", "requests", "download"}
KEPT = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
MAP_SUFFIX = ".notebook.json"
MAX_BYTES = 20 * 2**20  # a notebook's outputs (images) count; its code is a small part


@dataclass(frozen=True)
class Module:
    """The module made from a notebook: its source, where each line came from (cell and
    line, both from 1), and what was left out (one note per cell)."""

    source: str
    lines: tuple[tuple[int, int], ...]
    notes: tuple[str, ...]


@dataclass
class Builder:
    lines: list[str] = field(default_factory=list)
    origin: list[tuple[int, int]] = field(default_factory=list)
    left: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    dropped: set[str] = field(default_factory=set)

    def keep(self, cell: int, code: list[str], first: int, last: int) -> None:
        for number in range(first, last + 1):
            self.lines.append(code[number - 1])
            self.origin.append((cell, number))

    def leave(self, cell: int, line: int, why: str) -> None:
        self.left.setdefault(cell, []).append((line, why))

    def notes(self) -> tuple[str, ...]:
        """One note per cell: the whole cell, or its first line left out, and why."""
        kept = {cell for cell, _ in self.origin}
        return tuple(
            f"cell {cell} was not run: {left[0][1]}"
            if cell not in kept
            else f"cell {cell}, line {left[0][0]} was not run: {left[0][1]}"
            for cell, left in self.left.items()
        )


def convert(text: str) -> Module:
    """The module a notebook's JSON text makes (nbformat validates it)."""
    import nbformat

    if len(text) > MAX_BYTES:
        raise ValueError(f"it is over {MAX_BYTES // 2**20} MB; clear its outputs")
    notebook = nbformat.reads(text, as_version=4)
    built = Builder()
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code":
            add_cell(built, number, str(cell.source))
    return Module("\n".join(built.lines) + "\n", tuple(built.origin), built.notes())


def add_cell(built: Builder, cell: int, source: str) -> None:
    if source.lstrip().startswith("%%"):
        built.leave(cell, 1, "a cell magic")
        return
    code = source.splitlines()
    for index, line in enumerate(code):
        if line.lstrip().startswith(("!", "%")):
            built.leave(cell, index + 1, "a shell command or magic")
            code[index] = ""
    try:
        tree = ast.parse("\n".join(code))
    except SyntaxError:
        built.keep(cell, code, 1, len(code))  # the import shows the error at its place
        return
    for statement in tree.body:
        why = reason(statement, built.dropped)
        if why is None:  # asking the grader for feedback: not part of the answer
            continue
        if why:
            built.leave(cell, statement.lineno, why)
            built.dropped.update(bound_names(statement))
        else:
            first = min([statement.lineno, *(d.lineno for d in decorators(statement))])
            built.keep(cell, code, first, statement.end_lineno or statement.lineno)


def decorators(statement: ast.stmt) -> list[ast.expr]:
    return list(getattr(statement, "decorator_list", []))


def reason(statement: ast.stmt, dropped: set[str]) -> str | None:
    """Why a top-level statement is left out, '' to keep it, None to leave it out without
    a word (the notebook asking the grader for feedback: `check("tensors")`)."""
    if asks_the_grader(statement):
        return None
    if isinstance(statement, ast.Import | ast.ImportFrom):
        if {name.split(".", 1)[0] for name in imported(statement)} & PLOTTING:
            return "plotting (not graded)"
        missing = [name for name in imported(statement) if not available(name)]
        return f"imports {missing[0]}, which the grader does not have" if missing else ""
    if isinstance(statement, KEPT):
        return ""
    if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
        return ""
    names = used_names(statement)
    if names & PLOTTING:
        return "top-level plotting"
    if names & DOWNLOADING or any(k.arg == "download" for k in keywords(statement)):
        return "a top-level download"
    calls = called(statement)
    if set(calls) & TRAINING or any(n.startswith(("train", "fit")) for n in calls):
        return "top-level training"
    if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
        uses = names & dropped
        return f"it uses {sorted(uses)[0]}, from a statement not run" if uses else ""
    if isinstance(statement, ast.For | ast.While | ast.AsyncFor):
        return "a top-level loop"
    return "a top-level statement (only definitions, imports and assignments are run)"


def asks_the_grader(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return any(name.split(".", 1)[0] == "grader" for name in imported(statement))
    first = called(statement)[:1]
    return isinstance(statement, ast.Expr) and first in (["check"], ["run_line_magic"])


def imported(statement: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(statement, ast.ImportFrom):
        return [] if statement.level else [statement.module or ""]
    return [alias.name for alias in statement.names]


def available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module.split(".", 1)[0]) is not None
    except (ImportError, ValueError):
        return False


def used_names(node: ast.AST) -> set[str]:
    found = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            found.add(child.id)
        elif isinstance(child, ast.Attribute):
            found.add(child.attr)
    return found


def called(node: ast.AST) -> list[str]:
    calls = [c.func for c in ast.walk(node) if isinstance(c, ast.Call)]
    return [f.id if isinstance(f, ast.Name) else getattr(f, "attr", "") for f in calls]


def keywords(node: ast.AST) -> list[ast.keyword]:
    return [k for c in ast.walk(node) if isinstance(c, ast.Call) for k in c.keywords]


def bound_names(statement: ast.stmt) -> set[str]:
    """The names a left-out statement would have bound: later uses are left out too."""
    targets: list[ast.expr] = []
    if isinstance(statement, ast.Assign):
        targets = statement.targets
    elif isinstance(statement, ast.AnnAssign | ast.AugAssign | ast.For | ast.AsyncFor):
        targets = [statement.target]
    elif isinstance(statement, ast.With | ast.AsyncWith):
        targets = [i.optional_vars for i in statement.items if i.optional_vars is not None]
    names = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    if isinstance(statement, ast.Import | ast.ImportFrom):
        names |= {(a.asname or a.name).split(".")[0] for a in statement.names}
    return names


def write_module(notebook: Path, target: Path) -> Module:
    """Write the module made from `notebook` to `target` (NAME.py) and, beside it, where
    each line came from (.NAME.notebook.json), which the worker reads to name places."""
    module = convert(notebook.read_text(encoding="utf-8"))
    target.write_text(module.source, encoding="utf-8")
    sidecar = map_file(target)
    sidecar.write_text(
        json.dumps({"notebook": notebook.name, "lines": module.lines, "notes": module.notes}),
        encoding="utf-8",
    )
    return module


def map_file(module: Path) -> Path:
    return module.with_name(f".{module.stem}{MAP_SUFFIX}")


def modules_from_notebooks(folder: Path, names: tuple[str, ...]) -> dict[str, str]:
    """In a submission's copy, make NAME.py from NAME.ipynb for each exercise that has a
    notebook and no .py; return NAME.py -> problem for a notebook that cannot be read."""
    problems = {}
    for name in names:
        notebook, module = folder / f"{name}.ipynb", folder / f"{name}.py"
        if module.exists() or not notebook.is_file():
            continue
        try:
            write_module(notebook, module)
        except Exception as exc:  # any malformed notebook is that exercise's problem
            problems[module.name] = f"cannot be made from {notebook.name}: {describe(exc)}"
    return problems


def notes(folder: Path, names: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """What each exercise's notebook left out, for the report (read, never run)."""
    found = {}
    for name in names:
        notebook = folder / f"{name}.ipynb"
        if (folder / f"{name}.py").exists() or not notebook.is_file():
            continue
        try:
            made = convert(notebook.read_text(encoding="utf-8"))
        except Exception:  # the copy step reports it as the exercise's problem
            continue
        found[name] = (f"graded {notebook.name}", *made.notes)
    return found


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
