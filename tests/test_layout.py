"""The package layout shows the trust boundary, and keeps it: read from the source itself.

- grader/worker/ runs beside student code: it imports nothing of the grader outside it.
- grader/engine/ and grader/checks/ (with grader/kit/) never import each other.
- No import circles among the grader's modules (module-level and function-level imports).
- A running worker has loaded no module of the grader outside grader/worker/.
"""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from grader.engine.box import Spec
from grader.engine.workers import Worker
from grader.kit.remote import Remote, ask, probe
from grader.worker.wire import GetModule, Job
from tests.conftest import ROOT, SOLUTIONS

PACKAGE = ROOT / "grader"


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The grader modules `path` imports, anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("grader")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("grader"):
            module = str(node.module)
            for alias in node.names:
                candidate = f"{module}.{alias.name}"
                is_module = (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                found.add(candidate if is_module else module)
    return found


def graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    # a module may import itself under its own name (checker.py's `python -m` entry point)
    return {name: {i for i in imports(p) if i in modules} - {name} for name, p in modules.items()}


def test_the_worker_imports_nothing_of_the_grader_outside_it() -> None:
    outside = {
        name: sorted(i for i in deps if not i.startswith("grader.worker"))
        for name, deps in graph().items()
        if name.startswith("grader.worker")
    }
    assert {k: v for k, v in outside.items() if v} == {}


def test_the_engine_and_the_checks_meet_only_through_the_kit() -> None:
    """Checks and their kit never import the engine, and the engine never imports a check:
    a check module needs only `grader.kit` (its fixtures come by name), and the engine runs
    check modules by path."""
    crossing = {
        name: sorted(i for i in deps if i.startswith("grader.engine"))
        for name, deps in graph().items()
        if name.startswith(("grader.checks", "grader.kit"))
    }
    backwards = {
        name: sorted(i for i in deps if i.startswith("grader.checks"))
        for name, deps in graph().items()
        if name.startswith("grader.engine")
    }
    assert {k: v for k, v in crossing.items() if v} == {}
    assert {k: v for k, v in backwards.items() if v} == {}


def test_no_import_circles() -> None:
    edges = graph()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    assert cycles == []


@pytest.mark.slow
def test_a_running_worker_loads_only_the_worker_package() -> None:
    spec = Spec(Job(str(SOLUTIONS.resolve()), "tensors"), dict(os.environ), None)
    worker = Worker(spec)
    try:
        module = ask(worker, GetModule())
        assert isinstance(module, Remote)
        loaded = [k for k in probe(module, "loaded_modules") if k.startswith("grader")]
    finally:
        worker.close()
    assert loaded and all(k == "grader" or k.startswith("grader.worker") for k in loaded), loaded
