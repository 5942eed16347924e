"""Which file is which exercise, in every layout a submission arrives in.

One rule for `grade`, `grade-class` and the Gradescope bundle, so that one upload gets one
grade everywhere: the project's own template (files under `exercises/`), a whole
repository, a Gradescope upload with subfolders or miscased names, or a zip of any of
these. Per exercise NAME, the candidates are the files named NAME.py or NAME.ipynb,
letter case aside, anywhere below the top. The best is the one nearest the top (so a file
at the top is graded as it always was), then one in the template's `exercises/` folder
(not a backup/ beside it), then the exact name before a miscased one, then a .py before a
notebook, then the first in alphabetical order.
Hidden files and folders (.git, .venv, ._tensors.py from macOS), __pycache__, __MACOSX,
.ipynb_checkpoints, venv, node_modules and site-packages are never candidates. Each choice
the student might not expect (a file in a subfolder, a miscased name, a notebook, several
candidates) is a note in the report.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

# Besides hidden ones: caches, macOS archive litter, installed packages.
SKIPPED_FOLDERS = frozenset(
    {"__pycache__", "__MACOSX", ".ipynb_checkpoints", "venv", "node_modules", "site-packages"}
)
SUFFIXES = (".py", ".ipynb")
TEMPLATE_FOLDER = "exercises"  # where the student template puts the files


@dataclass(frozen=True)
class Choice:
    """The file graded for one exercise, and the candidates left out."""

    exercise: str
    path: str  # relative to the submission, with '/'
    others: tuple[str, ...] = ()

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.path).suffix.lower()

    @property
    def canonical(self) -> str:
        """Where the checker looks for it: NAME.py (a notebook is made into one)."""
        return f"{self.exercise}{self.suffix}"

    @property
    def moved(self) -> bool:
        return self.path != self.canonical

    def note(self) -> str:
        """What the report says of this choice, or '' when it is the plain NAME.py."""
        if self.others:
            return f"graded {self.path}; also found {', '.join(self.others)} (not graded)"
        if self.moved and PurePosixPath(self.path).name != self.canonical:
            return f"graded {self.path} (the name differs in letter case)"
        if self.moved or self.suffix == ".ipynb":
            return f"graded {self.path}"
        return ""


def skipped(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    return any(p.startswith(".") or p in SKIPPED_FOLDERS for p in parts)


def rank(exercise: str, relative: str) -> tuple[int, bool, bool, bool, str]:
    path = PurePosixPath(relative)
    return (
        len(path.parts),
        path.parent.name != TEMPLATE_FOLDER,
        path.name not in {f"{exercise}{s}" for s in SUFFIXES},
        path.suffix.lower() != ".py",
        relative,
    )


def candidate(relative: str, names: Iterable[str]) -> bool:
    """Whether the file could be one of these exercises' (NAME.py or NAME.ipynb, any case)."""
    wanted = {f"{name}{suffix}".lower() for name in names for suffix in SUFFIXES}
    return PurePosixPath(relative).name.lower() in wanted


def choose(files: Iterable[str], names: Iterable[str]) -> dict[str, Choice]:
    """Each exercise's file among `files` (relative paths with '/'); an exercise with no
    candidate is absent."""
    kept = [f for f in files if not skipped(f)]
    chosen = {}
    for name in names:
        found = sorted(
            (f for f in kept if candidate(f, (name,))),
            key=lambda f, name=name: rank(name, f),  # type: ignore[misc]
        )
        if found:
            chosen[name] = Choice(name, found[0], tuple(found[1:]))
    return chosen


def files_of(folder: Path) -> list[str]:
    """The files under `folder` (relative, with '/'), links to files included, never
    descending into a linked folder or a skipped one."""
    found = []
    for top, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not skipped(d))
        here = Path(top)
        found += [
            (here / n).relative_to(folder).as_posix()
            for n in sorted(names)
            if not skipped(n) and (here / n).is_file()
        ]
    return found


def helpers(choice: Choice, files: Iterable[str]) -> list[str]:
    """The .py files beside a chosen file (modules the student imports by name), which go
    to the top with it."""
    folder = PurePosixPath(choice.path).parent
    return [
        f
        for f in files
        if PurePosixPath(f).parent == folder and f.endswith(".py") and f != choice.path
    ]


def arrange(folder: Path, names: Iterable[str], problems: dict[str, str]) -> dict[str, str]:
    """In a submission's copy, put each chosen file at the top under its exercise's name,
    with the .py files beside it (never over a file already at the top). `problems` are the
    files the copy step refused, still candidates: one chosen is the exercise's problem,
    returned under the top-level name."""
    files = files_of(folder)
    moved: dict[str, str] = {}
    for choice in choose([*files, *problems], names).values():
        if not choice.moved:
            continue
        if choice.path in problems:
            moved[choice.canonical] = problems[choice.path]
            continue
        for relative in [choice.path, *helpers(choice, files)]:
            top = choice.canonical if relative == choice.path else PurePosixPath(relative).name
            target = folder / top
            if relative == choice.path or not target.exists():
                target.write_bytes((folder / relative).read_bytes())
    return moved
