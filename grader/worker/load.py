"""Import the student's exercise file in the worker, and describe what it raises.

Every failure becomes a plain dict (`Failure`) that crosses to the checker as data;
the checker decides the status from it.
"""

from __future__ import annotations

import importlib.util
import json
import re
import sys
import traceback
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any

STUB_MESSAGE = re.compile(r"^[\w.]+: ")
MAX_TEXT = 4000


@dataclass(frozen=True)
class Failure:
    """What went wrong in the worker, as the checker receives it."""

    kind: str  # "stub", "raised", "missing", "import", "internal"
    type: str
    message: str
    where: str = ""
    traceback: str = ""

    def data(self) -> dict[str, Any]:
        return {k: str(v)[:MAX_TEXT] for k, v in asdict(self).items()}


@dataclass(frozen=True)
class Folder:
    """The submission folder in the worker, and how to name its files to a student."""

    path: Path

    def owns(self, filename: str) -> bool:
        try:
            return Path(filename).resolve().is_relative_to(self.path)
        except (OSError, ValueError):
            return False

    def label(self, filename: str) -> str:
        """The file as the student knows it: theirs, or the notebook a module was made of."""
        notebook = notebook_lines(Path(filename))[1]
        return f"{self.path.name}/{notebook or Path(filename).name}"

    def place(self, filename: str, line: int | None) -> tuple[str, int | None]:
        """How a student finds a line: their file and line, or for a module made from a
        notebook (grader.ipynb wrote where each line came from) its cell and line there."""
        lines, notebook = notebook_lines(Path(filename))
        if line is None or not 0 < line <= len(lines):
            return self.label(filename), line
        cell, within = lines[line - 1]
        return f"{self.path.name}/{notebook}, cell {cell}", within

    def frames(self, tb: TracebackType | None) -> list[traceback.FrameSummary]:
        return [self.placed(f) for f in traceback.extract_tb(tb) if self.owns(f.filename)]

    def placed(self, frame: traceback.FrameSummary) -> traceback.FrameSummary:
        label, line = self.place(frame.filename, frame.lineno)
        return traceback.FrameSummary(label, line, frame.name, line=frame.line)

    def where(self, tb: TracebackType | None) -> str:
        frames = self.frames(tb)
        if not frames:
            return ""
        frame = frames[-1]
        return f"{frame.filename}, line {frame.lineno}, in {frame.name}"


def notebook_lines(module: Path) -> tuple[list[tuple[int, int]], str]:
    """(cell, line) of each line of a module made from a notebook, and its name."""
    sidecar = module.with_name(f".{module.stem}.notebook.json")
    try:
        data = json.loads(sidecar.read_text(encoding="utf-8"))
        return [(int(c), int(n)) for c, n in data["lines"]], str(data["notebook"])
    except (OSError, ValueError, KeyError, TypeError):
        return [], ""


def describe(exc: BaseException) -> str:
    if isinstance(exc, SystemExit):
        return f"SystemExit: sys.exit({exc.code!r}) was called"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def innermost_file(tb: TracebackType | None) -> str:
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def student_text(folder: Folder, exc: BaseException) -> str:
    """The traceback, student frames only, as a student reads it."""
    lines = traceback.format_list(folder.frames(exc.__traceback__))
    return "".join(lines) + describe(exc)


def failure(folder: Folder, exc: BaseException) -> Failure:
    """A student exception: a stub's NotImplementedError, or anything else raised."""
    where, tb = folder.where(exc.__traceback__), exc.__traceback__
    text = str(exc)
    stub = isinstance(exc, NotImplementedError) and folder.owns(innermost_file(tb))
    if stub and (not text or STUB_MESSAGE.match(text)):
        return Failure("stub", "NotImplementedError", text or where, where)
    if where:
        return Failure(
            "raised", type(exc).__name__, describe(exc), where, student_text(folder, exc)
        )
    if isinstance(exc, AttributeError) and isinstance(getattr(exc, "obj", None), ModuleType):
        file = str(getattr(exc.obj, "__file__", "") or "")
        if folder.owns(file):
            return Failure("missing", "AttributeError", str(exc.name), folder.label(file))
    return Failure("raised", type(exc).__name__, describe(exc), "", student_text(folder, exc))


def import_failure(folder: Folder, label: str, exc: BaseException) -> Failure:
    if isinstance(exc, SyntaxError):
        file, line = folder.place(exc.filename, exc.lineno) if exc.filename else (label, None)
        exc.lineno = line or exc.lineno
        message = f"{type(exc).__name__} in {file}, line {exc.lineno}: {exc.msg}"
        return Failure("import", type(exc).__name__, message, "", syntax_text(exc, file))
    place = folder.where(exc.__traceback__) or label
    message = f"{describe(exc)} while importing {label} ({place})"
    return Failure("import", type(exc).__name__, message, place, student_text(folder, exc))


def syntax_text(exc: SyntaxError, file: str) -> str:
    """The offending line with a caret under it, as Python shows a SyntaxError."""
    lines = [f'  File "{file}", line {exc.lineno}']
    if exc.text:
        code = exc.text.rstrip("\n")
        indent = len(code) - len(code.lstrip())
        lines.append(f"    {code.strip()}")
        if exc.offset:
            lines.append("    " + " " * max(exc.offset - 1 - indent, 0) + "^")
    return "\n".join([*lines, f"{type(exc).__name__}: {exc.msg}"])


def import_exercise(folder: Folder, name: str, problem: str) -> ModuleType | Failure:
    """The student's module, or why it cannot be imported."""
    path = folder.path / f"{name}.py"
    notebook = notebook_lines(path)[1]
    label = f"{folder.path.name}/{notebook or f'{name}.py'}"
    if problem:
        return Failure("import", "CopyProblem", f"{label} {problem}")
    if not path.is_file():
        return Failure("import", "Missing", f"{label} is missing: restore it from the starter code")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return Failure("import", "ImportError", f"{label} cannot be imported")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        sys.modules.pop(name, None)
        return import_failure(folder, label, exc)
    return module
