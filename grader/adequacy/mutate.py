"""Mutants of one solution file: every operator's changes inside the SOLUTION regions.

Generation is deterministic (operators walk the tree in a fixed order, mutants are sorted
by line), two changes that yield the same text are one mutant, and `sample` draws a subset
from a seed, so `--limit` bounds a run and `--seed` reproduces it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from grader.adequacy.operators import OPERATORS, equivalent
from grader.adequacy.source import Change, Source


@dataclass(frozen=True)
class Mutant:
    """One mutated solution file and where it differs from the original."""

    exercise: str
    file: str
    change: Change
    before: str
    text: str
    equivalent: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.change.line}"

    def describe(self) -> str:
        """`file:line [operator] before -> after`, one line for logs and survivor lists."""
        return f"{self.where} [{self.change.operator}] {self.before} -> {self.change.shown}"


def changes(source: Source) -> list[Change]:
    """Every operator's changes that stay within a SOLUTION region, sorted by line."""
    found = [
        change
        for operator in OPERATORS
        for change in operator(source)
        if source.inside(change.start + 1, change.stop)
    ]
    return sorted(found, key=lambda c: (c.line, c.operator, c.shown, c.start, c.stop))


def mutants_of(exercise: str, source: Source) -> list[Mutant]:
    """The distinct mutants of one file: a change that alters nothing or repeats is dropped."""
    seen, result = {source.text}, []
    for change in changes(source):
        text = source.apply(change)
        if text in seen:
            continue
        seen.add(text)
        before = " | ".join(line.strip() for line in source.lines[change.start : change.stop])
        if change.note:
            before = source.lines[change.line - 1].strip()
        reason = equivalent(source.name, change)
        result.append(Mutant(exercise, source.name, change, before, text, reason))
    return result


def generate(solutions: Path, exercise: str) -> list[Mutant]:
    """The mutants of `solutions/<exercise>.py`."""
    path = solutions / f"{exercise}.py"
    return mutants_of(exercise, Source(path.name, path.read_text(encoding="utf-8")))


def sample(mutants: list[Mutant], limit: int | None, seed: int) -> list[Mutant]:
    """`limit` mutants drawn with a seed of their own per exercise, kept in line order."""
    if limit is None or limit >= len(mutants):
        return list(mutants)
    exercise = mutants[0].exercise if mutants else ""
    rng = random.Random(f"{seed}:{exercise}")
    return [mutants[i] for i in sorted(rng.sample(range(len(mutants)), limit))]
