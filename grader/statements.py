"""Which top-level statements of a notebook are part of the answer, and why the others are not.

Kept: imports (of modules this Python or the submission has), function and class
definitions, assignments that build no dataset, train, plot or download, and `if`/`try`
blocks made only of such statements. Left out, with a reason a student can act on:
loops, calls, plots, downloads, training, and whatever uses a name they would have bound.
Left out without a word: the notebook asking the grader for feedback (`check("tensors")`)
and `print` calls.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass, field

TRAINING = {"backward", "step", "fit", "zero_grad", "train_epoch"}
PLOTTING = {"plt", "pyplot", "matplotlib", "display", "imshow", "show", "seaborn", "sns", "plotly"}
DOWNLOADING = {"urlretrieve", "wget", "requests"}
DATA = {"MNIST", "FashionMNIST", "CIFAR10", "ImageFolder", "DataLoader", "random_split"}
EVALUATING = {"evaluate", "accuracy", "predict"}
SILENT = {"print", "get_ipython"}
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
STATEMENT = "a top-level statement (only definitions, imports and assignments are run)"


@dataclass
class Scope:
    """What the statements seen so far left out: names not bound, names of the grader."""

    local: frozenset[str] = frozenset()  # modules the submission itself has
    dropped: set[str] = field(default_factory=set)
    grader: set[str] = field(default_factory=set)

    def judge(self, statement: ast.stmt) -> str | None:
        """'' to keep the statement, a reason to leave it out, None to leave it out
        silently; what it would have bound is remembered either way."""
        why = self.reason(statement)
        if why != "":
            names = bound_names(statement)
            (self.grader if why is None else self.dropped).update(names)
        return why

    def reason(self, statement: ast.stmt) -> str | None:
        loaded = loaded_names(statement)
        if asks_the_grader(statement) or loaded & self.grader:
            return None
        if isinstance(statement, ast.Import | ast.ImportFrom):
            return self.import_reason(statement)
        if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
            return ""
        if isinstance(statement, DEFINITIONS):
            return self.uses_dropped(signature_names(statement))
        calls = called(statement)
        if isinstance(statement, ast.Expr) and calls[:1] and calls[0] in SILENT:
            return None
        work = work_reason(statement, calls)
        if work:
            return work
        if isinstance(statement, ast.Assign | ast.AnnAssign | ast.AugAssign):
            return self.uses_dropped(loaded)
        if isinstance(statement, ast.If | ast.Try):
            return self.block_reason(statement, loaded)
        if isinstance(statement, ast.For | ast.While | ast.AsyncFor):
            return "a top-level loop"
        return STATEMENT

    def import_reason(self, statement: ast.Import | ast.ImportFrom) -> str:
        tops = {name.split(".", 1)[0] for name in imported(statement)}
        if tops & PLOTTING:
            return "plotting (not graded)"
        missing = [t for t in sorted(tops) if t not in self.local and not available(t)]
        return f"imports {missing[0]}, which the grader does not have" if missing else ""

    def uses_dropped(self, names: set[str]) -> str:
        uses = names & self.dropped
        return f"it uses {sorted(uses)[0]}, from a statement not run" if uses else ""

    def block_reason(self, block: ast.If | ast.Try, loaded: set[str]) -> str:
        """An `if` or `try` runs when it only defines, imports and assigns (a device, a
        flag), unless it is the main guard."""
        if isinstance(block, ast.If) and "__name__" in loaded_names(block.test):
            return "the main guard (if __name__ == ...)"
        inner = Scope(self.local | guarded_imports(block), set(self.dropped), set(self.grader))
        reasons = [inner.reason(s) for s in nested(block)]
        if any(r for r in reasons) or None in reasons:
            return "a top-level block that does more than define, import and assign"
        return self.uses_dropped(loaded)


def work_reason(statement: ast.stmt, calls: list[str]) -> str:
    """Why a statement is work that grading skips, or ''."""
    names = attribute_and_names(statement)
    if names & PLOTTING:
        return "top-level plotting"
    downloads = any(k.arg == "download" and is_true(k.value) for k in keywords(statement))
    if names & DOWNLOADING or downloads:
        return "a top-level download"
    if set(calls) & (DATA | EVALUATING) or "datasets" in names:
        return "a dataset, loader or evaluation built at the top level"
    if set(calls) & TRAINING or any(n.startswith(("train", "fit")) for n in calls):
        return "top-level training"
    return ""


def nested(block: ast.If | ast.Try) -> list[ast.stmt]:
    if isinstance(block, ast.If):
        return [*block.body, *block.orelse]
    handlers = [s for h in block.handlers for s in h.body]
    return [*block.body, *handlers, *block.orelse, *block.finalbody]


def guarded_imports(block: ast.If | ast.Try) -> frozenset[str]:
    """Modules a `try ... except ImportError` may fail to import: they need not exist."""
    if not isinstance(block, ast.Try) or not block.handlers:
        return frozenset()
    found = [s for s in block.body if isinstance(s, ast.Import | ast.ImportFrom)]
    return frozenset(name.split(".", 1)[0] for s in found for name in imported(s))


def asks_the_grader(statement: ast.stmt) -> bool:
    if isinstance(statement, ast.Import | ast.ImportFrom):
        return any(name.split(".", 1)[0] == "grader" for name in imported(statement))
    return isinstance(statement, ast.Expr) and called(statement)[:1] == ["check"]


def imported(statement: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(statement, ast.ImportFrom):
        return [] if statement.level else [statement.module or ""]
    return [alias.name for alias in statement.names]


def available(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def is_true(node: ast.expr) -> bool:
    return not (isinstance(node, ast.Constant) and not node.value)


def loaded_names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def attribute_and_names(node: ast.AST) -> set[str]:
    found = loaded_names(node)
    found |= {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)}
    return found


def signature_names(definition: ast.stmt) -> set[str]:
    """Names a definition uses when it is defined: decorators, defaults, bases."""
    parts: list[ast.AST] = list(getattr(definition, "decorator_list", []))
    if isinstance(definition, ast.ClassDef):
        parts += [*definition.bases, *(k.value for k in definition.keywords)]
    else:
        arguments = getattr(definition, "args", None)
        if arguments is not None:
            parts += [*arguments.defaults, *(d for d in arguments.kw_defaults if d)]
    return {name for part in parts for name in loaded_names(part)}


def called(node: ast.AST) -> list[str]:
    calls = [c.func for c in ast.walk(node) if isinstance(c, ast.Call)]
    return [f.id if isinstance(f, ast.Name) else getattr(f, "attr", "") for f in calls]


def keywords(node: ast.AST) -> list[ast.keyword]:
    return [k for c in ast.walk(node) if isinstance(c, ast.Call) for k in c.keywords]


def bound_names(statement: ast.stmt) -> set[str]:
    """Every name a statement binds, at any depth (an `if` that sets `device`)."""
    names = {
        n.id
        for n in ast.walk(statement)
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }
    for node in ast.walk(statement):
        if isinstance(node, DEFINITIONS):
            names.add(node.name)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return names
