"""A solution file as the operators see it: its lines, its syntax tree, its SOLUTION regions.

Operators edit text, not the tree, so a mutant keeps the author's formatting and line
numbers and a survivor can be shown as the one line that changed. The tree only says where
things are; its column offsets count UTF-8 bytes, hence the byte-aware helpers.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import cached_property

BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"


@dataclass(frozen=True)
class Change:
    """One mutation: replace lines[start:stop] (0-based) with `new`; `line` is 1-based."""

    operator: str
    line: int
    start: int
    stop: int
    new: tuple[str, ...]
    note: str = ""

    @property
    def shown(self) -> str:
        """The changed line as a survivor list shows it, or the note for a larger change."""
        return self.note or " | ".join(s.strip() for s in self.new)


@dataclass(frozen=True)
class Source:
    """The text of one solution file, split into lines without their line endings."""

    name: str
    text: str

    @cached_property
    def lines(self) -> tuple[str, ...]:
        return tuple(self.text.splitlines())

    @cached_property
    def tree(self) -> ast.Module:
        return ast.parse(self.text)

    @cached_property
    def regions(self) -> tuple[tuple[int, int], ...]:
        """1-based (first, last) lines strictly between each BEGIN and its END marker."""
        found, start = [], 0
        for number, line in enumerate(self.lines, 1):
            if line.strip() == BEGIN:
                start = number
            elif line.strip() == END and start:
                found.append((start + 1, number - 1))
                start = 0
        return tuple(found)

    def inside(self, first: int, last: int) -> bool:
        """Whether lines first..last (1-based) lie within one SOLUTION region."""
        return any(lo <= first and last <= hi for lo, hi in self.regions)

    def binds(self, name: str) -> bool:
        """Whether the module binds `name` at top level by an import (`import torch`)."""
        imports = [n for n in self.tree.body if isinstance(n, ast.Import | ast.ImportFrom)]
        return any((a.asname or a.name.split(".")[0]) == name for n in imports for a in n.names)

    def segment(self, line: int, start: int, stop: int | None) -> str:
        """The text of 1-based `line` between byte columns start and stop."""
        data = self.lines[line - 1].encode()
        return data[start:stop].decode()

    def splice(self, operator: str, line: int, start: int, stop: int, text: str) -> Change:
        """A change that replaces bytes start..stop of 1-based `line` with `text`."""
        data = self.lines[line - 1].encode()
        new = (data[:start] + text.encode() + data[stop:]).decode()
        return Change(operator, line, line - 1, line, (new,))

    def replace_line(self, operator: str, line: int, new: str) -> Change:
        return Change(operator, line, line - 1, line, (new,))

    def apply(self, change: Change) -> str:
        """The whole file's text with `change` made."""
        lines = [*self.lines[: change.start], *change.new, *self.lines[change.stop :]]
        return "\n".join(lines) + ("\n" if self.text.endswith("\n") else "")


def one_line(node: ast.AST) -> bool:
    """Whether the node starts and ends on the same line (the operators edit one line)."""
    return getattr(node, "lineno", None) == getattr(node, "end_lineno", 0)


def indent_of(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]
