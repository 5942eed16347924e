"""What the submitted source says, parsed in the checker and never run.

Some requirements leave no trace in values: "without autograd", "with save_for_backward",
"under torch.no_grad", "on float64 inputs". What a probe in the worker reports about them
is a claim that student code could rewrite; the source file, parsed here with `ast`, is a
fact the checker reads itself. A requirement earns its point only when both agree.

A function is read together with the functions and methods of the same file it calls
(helpers), so splitting the work into helpers is never a false failure.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from grader.engine.remote import Remote, module_worker

MAX_SOURCE = 2 * 2**20


@dataclass(frozen=True)
class Source:
    """One submitted file's syntax tree; an unreadable file has none (every fact is False)."""

    tree: ast.Module | None
    defs: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = field(default_factory=dict)

    @staticmethod
    def read(path: Path) -> Source:
        try:
            text = path.read_bytes()[:MAX_SOURCE].decode("utf-8", errors="replace")
            tree = ast.parse(text)
        except (OSError, SyntaxError, ValueError, RecursionError):
            return Source(None)
        return Source(tree, definitions(tree))

    def reach(self, qualname: str) -> list[ast.AST]:
        """The definition of `qualname` ("evaluate", "LinearFunction.forward") and every
        function of this file it calls, directly or through others."""
        todo, seen = [qualname], set()
        while todo:
            name = todo.pop()
            if name in seen or name not in self.defs:
                continue
            seen.add(name)
            owner = name.rsplit(".", 1)[0] if "." in name else ""
            for called in called_names(self.defs[name]):
                todo += [called, f"{owner}.{called}" if owner else called]
        return [self.defs[name] for name in seen]

    def calls(self, qualname: str, *names: str) -> bool:
        """Whether `qualname` (or a helper it calls) calls any of `names`, as a function
        (`no_grad()`) or a method (`torch.no_grad()`, `x.backward()`), decorators included."""
        return any(called & set(names) for called in map(called_names, self.reach(qualname)))

    def mentions(self, qualname: str, *names: str) -> bool:
        """Whether `qualname` (or a helper it calls) names any of `names` (`torch.float64`,
        `.double()`, a keyword argument such as `dtype`)."""
        return any(used & set(names) for used in map(used_names, self.reach(qualname)))


def definitions(tree: ast.Module) -> dict[str, ast.FunctionDef | ast.AsyncFunctionDef]:
    """Module-level functions by name, and methods as "Class.method"."""
    found: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found[node.name] = node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    found[f"{node.name}.{item.name}"] = item
    return found


def called_names(node: ast.AST) -> set[str]:
    """The last name of everything called in `node`: `torch.no_grad()` gives "no_grad"."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Call):
            if isinstance(child.func, ast.Name):
                names.add(child.func.id)
            elif isinstance(child.func, ast.Attribute):
                names.add(child.func.attr)
    return names


def used_names(node: ast.AST) -> set[str]:
    """Every name, attribute and keyword argument used in `node`."""
    names = set()
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            names.add(child.id)
        elif isinstance(child, ast.Attribute):
            names.add(child.attr)
        elif isinstance(child, ast.keyword) and child.arg:
            names.add(child.arg)
    return names


def source_of(module: Remote) -> Source:
    """The submitted file behind the student's module, from the checker's own copy."""
    spec = module_worker(module).spec
    return Source.read(spec.folder / f"{spec.exercise}.py")


AUTOGRAD_CALLS = ("backward", "grad", "requires_grad_", "jacobian", "vjp", "hessian")
NO_GRAD_CALLS = ("no_grad", "inference_mode", "set_grad_enabled")
