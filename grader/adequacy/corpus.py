"""Grade a corpus of hand-written student files: correct ones must keep every point, wrong
ones must lose some, and the log shows each wrong file's messages beside its known mistake.

A corpus folder holds `correct/` and `wrong/`, each with `<exercise>__<slug>.py` files
whose first line is a docstring naming the style ("Correct: ...") or the mistake ("Wrong:
<function>: ..."). Each file is graded as that exercise's file of a copy of the solutions,
with the real `grade` command (grader.adequacy.run), as the mutants are.
"""

from __future__ import annotations

import ast
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import click

from grader.adequacy.run import Graded, grade

KINDS = ("correct", "wrong")

# Every check family except the trained-accuracy ones, which train on MNIST for a minute:
# `--untrained` grades these only (the tests grade their corpus sample the same way).
UNTRAINED: dict[str, tuple[str, ...]] = {
    "tensors": (),
    "autograd": (),
    "mlp": ("mlp.data", "mlp.log_regression", "mlp.mlp", "mlp.train_epoch", "mlp.evaluate"),
    "lenet": ("lenet.forward", "lenet.architecture", "lenet.questions"),
}


@dataclass(frozen=True)
class Student:
    """One corpus file: its exercise, whether it is right, and what its docstring says."""

    path: Path
    exercise: str
    correct: bool
    says: str


@dataclass(frozen=True)
class Judged:
    student: Student
    graded: Graded

    @property
    def as_expected(self) -> bool:
        full = self.graded.score >= self.graded.max_score
        return full if self.student.correct else not full


def students(corpus: Path, only: tuple[str, ...] = ()) -> list[Student]:
    """Every corpus file, correct ones first, in name order."""
    found = []
    for kind in KINDS:
        for path in sorted((corpus / kind).glob("*__*.py")):
            exercise = path.name.split("__", 1)[0]
            if not only or exercise in only:
                text = path.read_text(encoding="utf-8")
                says = ast.get_docstring(ast.parse(text)) or ""
                found.append(Student(path, exercise, kind == "correct", says.splitlines()[0]))
    return found


def judge_corpus(
    chosen: list[Student], solutions: Path, jobs: int, untrained: bool = False
) -> list[Judged]:
    """Grade every file (without the trained-accuracy checks when `untrained`), `jobs` at
    a time, printing each verdict as it comes."""

    def one(student: Student) -> Judged:
        text = student.path.read_text(encoding="utf-8")
        checks = UNTRAINED[student.exercise] if untrained else ()
        judged = Judged(student, grade(solutions, student.exercise, text, checks))
        mark = "ok  " if judged.as_expected else "MISS"
        score = f"{judged.graded.score:g}/{judged.graded.max_score:g}"
        click.echo(f"  {mark} {score:>7}  {student.path.name}", err=True)
        return judged

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, chosen))


def render_corpus(results: list[Judged]) -> str:
    """Per exercise and kind: how many were judged as expected; then every miss, and each
    wrong file's first lost message (to read whether it names the cause)."""
    lines = ["exercise   correct kept full   wrong lost points"]
    for exercise in sorted({r.student.exercise for r in results}):
        mine = [r for r in results if r.student.exercise == exercise]
        right = [r for r in mine if r.student.correct]
        wrong = [r for r in mine if not r.student.correct]
        lines.append(
            f"{exercise:<10} {sum(r.as_expected for r in right):>3} of {len(right):<3}"
            f"          {sum(r.as_expected for r in wrong):>3} of {len(wrong):<3}"
        )
    misses = [r for r in results if not r.as_expected]
    lines += ["", f"misses: {len(misses)}"]
    lines += [f"  {r.student.path.name}: {r.student.says}" for r in misses]
    lines += [f"    {lost}" for r in misses for lost in r.graded.lost[:3]]
    lines += ["", "wrong files and the first message each got:"]
    for r in results:
        if not r.student.correct and r.as_expected:
            lines += [f"  {r.student.path.name}: {r.student.says}"]
            lines += [f"    {lost}" for lost in r.graded.lost[:1]]
    return "\n".join(lines) + "\n"
