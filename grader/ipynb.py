"""A notebook submission as a module: the code cells in order, what grading needs kept.

Read with nbformat. Which statements are kept is grader.statements' rule; shell lines
(`!pip`), magics (`%matplotlib`, `%%bash`) and help (`x?`) are left out, the bodies of
`%%time` and `%%capture` cells kept, `from __future__` imports moved to the top. Each cell
left out, wholly or in part, gets a note with its first such line and why. A cell that
does not parse is kept whole, so the student sees the SyntaxError at its place. Each line
of the module remembers its cell and line, so messages point into the notebook (cells
counted from its top, markdown ones included).
"""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from grader.statements import Scope

MAP_SUFFIX = ".notebook.json"
MAX_BYTES = 20 * 2**20  # a notebook's outputs (images) count; its code is a small part
MAX_CODE = 2**20  # characters of code: parsing costs the parent memory
PYTHON_CELL_MAGICS = ("%%time", "%%timeit", "%%capture")
IPYTHON_LINE = re.compile(r"^\s*([!%]|\w+\s*=\s*[!%])|\?\s*$")


@dataclass(frozen=True)
class Module:
    """The module made from a notebook: its source, where each line came from (cell and
    line, both from 1), and what was left out (one note per cell)."""

    source: str
    lines: tuple[tuple[int, int], ...]
    notes: tuple[str, ...]


@dataclass
class Builder:
    scope: Scope
    lines: list[str] = field(default_factory=list)
    origin: list[tuple[int, int]] = field(default_factory=list)
    future: list[tuple[str, tuple[int, int]]] = field(default_factory=list)
    left: dict[int, list[tuple[int, str]]] = field(default_factory=dict)

    def keep(self, cell: int, code: list[str], first: int, last: int) -> None:
        for number in range(first, last + 1):
            self.lines.append(code[number - 1])
            self.origin.append((cell, number))

    def leave(self, cell: int, line: int, why: str) -> None:
        self.left.setdefault(cell, []).append((line, why))

    def module(self) -> Module:
        lines = [text for text, _ in self.future] + self.lines
        origin = [place for _, place in self.future] + self.origin
        return Module("\n".join(lines) + "\n", tuple(origin), self.notes())

    def notes(self) -> tuple[str, ...]:
        """One note per cell: the whole cell, or its first line left out, and why."""
        kept = {cell for cell, _ in self.origin}
        return tuple(
            f"cell {cell} was not run: {left[0][1]}"
            if cell not in kept
            else f"cell {cell}, line {left[0][0]} was not run: {left[0][1]}"
            for cell, left in self.left.items()
        )


@functools.lru_cache(maxsize=4)
def convert(text: str, local: frozenset[str] = frozenset(), history: bool = False) -> Module:
    """The module a notebook's JSON text makes (nbformat validates it). `local`: modules
    beside the notebook; `history`: cells a kernel ran, where one that does not parse was
    not run either. Cached: `grade` converts each notebook for the copy and the report."""
    import nbformat

    if len(text) > MAX_BYTES:
        raise ValueError(f"it is over {MAX_BYTES // 2**20} MB; clear its outputs")
    notebook = nbformat.reads(text, as_version=4)
    code = sum(len(str(c.source)) for c in notebook.cells if c.cell_type == "code")
    if code > MAX_CODE:
        raise ValueError(f"its code cells hold over {MAX_CODE:,} characters")
    built = Builder(Scope(local))
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code":
            add_cell(built, number, str(cell.source), history)
    return built.module()


def add_cell(built: Builder, cell: int, source: str, history: bool) -> None:
    code = source.split("\n")
    if source.lstrip().startswith("%%"):
        first = next(i for i, line in enumerate(code) if line.strip())
        if code[first].split()[0] not in PYTHON_CELL_MAGICS:
            built.leave(cell, first + 1, "a cell magic")
            return
        code[first] = ""
    tree = parse("\n".join(code))
    if tree is None:
        for index, line in enumerate(code):
            if IPYTHON_LINE.search(line):
                built.leave(cell, index + 1, "a shell command, magic or help")
                code[index] = ""
        tree = parse("\n".join(code))
    if tree is None:
        if history:
            built.leave(cell, 1, "it does not parse")
        else:
            built.keep(cell, code, 1, len(code))  # the import shows the error at its place
        return
    add_statements(built, cell, code, tree)


def parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except (SyntaxError, ValueError):
        return None


def add_statements(built: Builder, cell: int, code: list[str], tree: ast.Module) -> None:
    starts = [statement.lineno for statement in tree.body]
    for statement in tree.body:
        why = built.scope.judge(statement)
        if why:
            built.leave(cell, statement.lineno, why)
        if why != "":
            continue
        first = min([statement.lineno, *(d.lineno for d in decorators(statement))])
        last = statement.end_lineno or statement.lineno
        if isinstance(statement, ast.ImportFrom) and statement.module == "__future__":
            text = ast.get_source_segment("\n".join(code), statement) or ""
            built.future.append((text, (cell, statement.lineno)))
        elif first == last and starts.count(first) > 1:  # a; b on one line: this one only
            built.lines.append(ast.get_source_segment("\n".join(code), statement) or "")
            built.origin.append((cell, first))
        else:
            built.keep(cell, code, first, last)


def decorators(statement: ast.stmt) -> list[ast.expr]:
    return list(getattr(statement, "decorator_list", []))


def local_modules(folder: Path) -> frozenset[str]:
    """The modules a submission brings along (helpers.py beside the notebook)."""
    return frozenset(p.stem for p in folder.glob("*.py"))


def write_module(notebook: Path, target: Path) -> Module:
    """Write the module made from `notebook` to `target` (NAME.py) and, beside it, where
    each line came from (.NAME.notebook.json), which the worker reads to name places."""
    module = convert(notebook.read_text(encoding="utf-8"), local_modules(notebook.parent))
    target.write_text(module.source, encoding="utf-8")
    sidecar = map_file(target)
    sidecar.write_text(
        json.dumps({"notebook": notebook.name, "lines": module.lines, "notes": module.notes}),
        encoding="utf-8",
    )
    return module


def map_file(module: Path) -> Path:
    return module.with_name(f".{module.stem}{MAP_SUFFIX}")


def notebooks(folder: Path, names: tuple[str, ...]) -> dict[str, Path]:
    """The exercises graded from a notebook: NAME.ipynb and no NAME.py beside it."""
    found = {name: folder / f"{name}.ipynb" for name in names}
    return {
        name: notebook
        for name, notebook in found.items()
        if notebook.is_file() and not (folder / f"{name}.py").exists()
    }


def modules_from_notebooks(folder: Path, names: tuple[str, ...]) -> dict[str, str]:
    """In a submission's copy, make NAME.py from NAME.ipynb for each exercise that has a
    notebook and no .py; return NAME.py -> problem for a notebook that cannot be read."""
    problems = {}
    for name, notebook in notebooks(folder, names).items():
        module = folder / f"{name}.py"
        try:
            write_module(notebook, module)
        except Exception as exc:  # any malformed notebook is that exercise's problem
            problems[module.name] = f"cannot be made from {notebook.name}: {describe(exc)}"
    return problems


def notes(found_notebooks: dict[str, Path]) -> dict[str, tuple[str, ...]]:
    """What each exercise's notebook (exercise -> path) left out, for the report (read,
    never run)."""
    found = {}
    for name, notebook in found_notebooks.items():
        if notebook.is_symlink():
            continue  # the copy step decides whether a link is graded
        try:
            if notebook.stat().st_size > MAX_BYTES:
                continue  # the copy step says why it is not graded
            made = convert(notebook.read_text(encoding="utf-8"), local_modules(notebook.parent))
        except Exception:  # the copy step reports it as the exercise's problem
            continue
        found[name] = made.notes
    return found


def describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
