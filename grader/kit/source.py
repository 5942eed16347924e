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

from grader.kit.remote import Remote, source_path

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
    return Source.read(source_path(module))


AUTOGRAD_CALLS = ("backward", "grad", "requires_grad_", "jacobian", "vjp", "hessian")
NO_GRAD_CALLS = ("no_grad", "inference_mode", "set_grad_enabled")


def stub_body(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """A function whose body (past its docstring) only raises NotImplementedError."""
    body = [n for n in node.body if not docstring_or_super(n)]
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"


def docstring_or_super(node: ast.stmt) -> bool:
    """A docstring, or the `super().__init__()` a stub's constructor keeps."""
    if not isinstance(node, ast.Expr):
        return False
    if isinstance(node.value, ast.Constant):
        return True
    call = node.value
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "__init__"
        and isinstance(call.func.value, ast.Call)
        and isinstance(call.func.value.func, ast.Name)
        and call.func.value.func.id == "super"
    )


def still_stub(node: ast.stmt) -> bool:
    """A def whose body is a stub's, or a class all of whose methods are."""
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        return stub_body(node)
    if isinstance(node, ast.ClassDef):
        methods = [n for n in node.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        return bool(methods) and all(stub_body(m) for m in methods)
    return False


def bindings(tree: ast.Module) -> dict[str, ast.stmt]:
    """The last module-level statement (inside module-level if, try, with and for too)
    that binds each name: a def or class, an assignment, an import."""
    found: dict[str, ast.stmt] = {}
    for node in top_level(tree.body):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found[node.name] = node
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            for alias in node.names:
                found[(alias.asname or alias.name).split(".")[0]] = node
            continue
        targets = [node] if isinstance(node, ast.NamedExpr) else []
        for part in ("targets", "target", "items"):
            value = getattr(node, part, None)
            targets += value if isinstance(value, list) else [value] if value else []
        for target in targets:
            for name in ast.walk(target):
                if isinstance(name, ast.Name) and isinstance(name.ctx, ast.Store):
                    found[name.id] = node
    return found


def top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """Module-level statements in source order, those inside if, try, with and for included."""
    found: list[ast.stmt] = []
    for node in body:
        found.append(node)
        if isinstance(node, ast.If | ast.Try | ast.With | ast.For | ast.While):
            for part in ("body", "orelse", "finalbody"):
                found += top_level(getattr(node, part, []))
            for handler in getattr(node, "handlers", []):
                found += top_level(handler.body)
    return found


def stubbed(path: Path, names: set[str]) -> list[str]:
    """Those of `names` that the file at `path` still binds, last, to an untouched stub."""
    source = Source.read(path)
    if source.tree is None:
        return []
    last = bindings(source.tree)
    return sorted(name for name in names if name in last and still_stub(last[name]))
