"""Counts per exercise and the list of survivors, as text for the terminal and the log.

The kill rate leaves out equivalent and stillborn mutants: an equivalent mutant cannot be
killed by any check and a stillborn one is killed by the import alone, so neither says
anything about how well the checks generalise.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from grader.adequacy.run import Outcome, Verdict

COLUMNS = ("mutants", "killed", "survived", "equivalent", "stillborn")


@dataclass(frozen=True)
class Tally:
    """How the mutants of one exercise (or of all) fared."""

    exercise: str
    mutants: int
    killed: int
    survived: int
    equivalent: int
    stillborn: int

    @property
    def rate(self) -> float | None:
        """Killed among the mutants that could and should be killed; None when there are none."""
        judged = self.killed + self.survived
        return self.killed / judged if judged else None


def tally(exercise: str, outcomes: Sequence[Outcome]) -> Tally:
    def count(verdict: Verdict) -> int:
        return sum(o.verdict is verdict for o in outcomes)

    return Tally(
        exercise,
        len(outcomes),
        count(Verdict.KILLED),
        count(Verdict.SURVIVED),
        count(Verdict.EQUIVALENT),
        count(Verdict.STILLBORN),
    )


def table(tallies: Iterable[Tally]) -> list[str]:
    """One row per exercise and a total row."""
    rows = list(tallies)
    total = Tally("total", *(sum(getattr(t, c) for t in rows) for c in COLUMNS))
    lines = [f"{'exercise':<10} " + " ".join(f"{c:>10}" for c in COLUMNS) + "  kill rate"]
    for t in [*rows, total]:
        rate = "n/a" if t.rate is None else f"{100 * t.rate:.1f} %"
        counts = " ".join(f"{getattr(t, c):>10}" for c in COLUMNS)
        lines.append(f"{t.exercise:<10} {counts}  {rate:>9}")
    return lines


def listing(title: str, outcomes: Sequence[Outcome], notes: bool) -> list[str]:
    """A titled list of mutants, one per line, each with its note when `notes`."""
    if not outcomes:
        return []
    lines = ["", f"{title} ({len(outcomes)}):"]
    for o in outcomes:
        lines.append(f"  {o.mutant.describe()}")
        if notes and o.note:
            lines.append(f"      {o.note}")
    return lines


def render(outcomes: dict[str, list[Outcome]]) -> str:
    """The summary table, then survivors, wrongly listed equivalents, equivalents, stillborn."""
    flat = [o for group in outcomes.values() for o in group]
    lines = table(tally(name, group) for name, group in outcomes.items())

    def having(verdict: Verdict) -> list[Outcome]:
        return [o for o in flat if o.verdict is verdict]

    wrong = [o for o in having(Verdict.KILLED) if o.note]
    lines += listing("Survivors", having(Verdict.SURVIVED), notes=False)
    lines += listing("Killed although listed as equivalent", wrong, notes=True)
    lines += listing("Equivalent", having(Verdict.EQUIVALENT), notes=True)
    lines += listing("Stillborn", having(Verdict.STILLBORN), notes=True)
    return "\n".join(lines) + "\n"
