"""Mutation operators: small, plausible mistakes, each a text edit of one solution line.

Why our own and not cosmic-ray or mutmut: those mutate whole files and run one test command
per mutant, knowing nothing of the `# BEGIN SOLUTION` regions. Here only what a student
writes is mutated (the signatures, docstrings and imports around it are the course's), and
the "test command" is the grader itself, judged by its score. Dropping a `return` value is
left out on purpose: every check that calls the function kills it, so it measures nothing.

Generic operators (found with `ast`): arithmetic and comparison swaps, integer constants
+1/-1. Course operators: the mistakes of this course (a dropped `dtype=`, the wrong `dim=`,
a missing `zero_grad()`, `no_grad()` or `.clone()`, max for average pooling, in-place for
out-of-place, sigmoid for ReLU, off-by-one slices).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator

from grader.adequacy.source import Change, Source, indent_of, one_line

Operator = Callable[[Source], Iterator[Change]]

ARITHMETIC = {ast.Add: ("+", "-"), ast.Sub: ("-", "+"), ast.Mult: ("*", "/"), ast.Div: ("/", "*")}
COMPARISON = {
    ast.Lt: ("<", "<="),
    ast.LtE: ("<=", "<"),
    ast.Gt: (">", ">="),
    ast.GtE: (">=", ">"),
    ast.Eq: ("==", "!="),
    ast.NotEq: ("!=", "=="),
}
DROPPED_KEYWORDS = frozenset({"dtype", "keepdim", "generator"})
OUT_OF_PLACE = frozenset({"add", "mul", "sub", "div", "clamp"})
MODULES = frozenset({"torch", "F", "nn", "np", "numpy", "math"})
DIMS = {0: 1, 1: 0, -1: 0}  # dim=n for other n becomes n - 1
TIGHT = (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Call)

# Mutants checked by reading the solution and the checks: no submission written this way can
# score less, so they are reported as equivalent, not as survivors. The key is (file,
# operator, the changed line stripped); the value says why.
_UINT8_COPY = (
    "MnistDataset gets uint8 images (its docstring, the checks' fake_images): .float() "
    "returns a new float32 tensor, so an in-place op after it changes only that copy"
)
_ITEM = "image = self.images[index].float(){}.unsqueeze(0)"
_RESTORED = (
    "without the clone, x itself is perturbed and each element restored before the next: "
    "a correct style (the docstring promises nothing about x while f runs, and x is checked "
    "unchanged afterwards)"
)
_SHAPES = (
    "other small input shapes that LinearFunction accepts (b broadcasting included) give "
    "gradcheck the same verdict; the docstring's shapes are an example, not a requirement "
    "worth the check's points"
)
_GRADCHECK_LINE = "for shape in [{}]"
EQUIVALENT: dict[tuple[str, str, str], str] = {
    ("autograd.py", "integer", _GRADCHECK_LINE.format("(3, 3), (2, 3), (2,)")): _SHAPES,
    ("autograd.py", "integer", _GRADCHECK_LINE.format("(5, 3), (2, 3), (2,)")): _SHAPES,
    ("autograd.py", "integer", _GRADCHECK_LINE.format("(4, 3), (2, 3), (1,)")): _SHAPES,
    (
        "autograd.py",
        "drop-clone",
        "flat, out = x.detach().reshape(-1), grad.view(-1)",
    ): _RESTORED,
    ("mlp.py", "in-place", _ITEM.format(".div_(255).sub(MEAN).div(STD)")): _UINT8_COPY,
    ("mlp.py", "in-place", _ITEM.format(".div(255).sub_(MEAN).div(STD)")): _UINT8_COPY,
    ("mlp.py", "in-place", _ITEM.format(".div(255).sub(MEAN).div_(STD)")): _UINT8_COPY,
}


def nodes(source: Source) -> Iterator[ast.AST]:
    """Every node of the file in a fixed order (ast.walk is breadth-first and deterministic)."""
    return ast.walk(source.tree)


def between(
    source: Source, operator: str, left: ast.AST, right: ast.AST, old: str, new: str
) -> Iterator[Change]:
    """Replace the `old` token that lies between two nodes on one line (a binary operator)."""
    line, start = getattr(left, "end_lineno", 0), getattr(left, "end_col_offset", 0)
    if line != getattr(right, "lineno", -1):
        return
    gap = source.segment(line, start, getattr(right, "col_offset", 0))
    at = gap.find(old)
    if at >= 0:
        offset = start + len(gap[:at].encode())
        yield source.splice(operator, line, offset, offset + len(old.encode()), new)


def swap_arithmetic(source: Source) -> Iterator[Change]:
    """+ for -, * for / and back, also in augmented assignments (`-=` for `+=`)."""
    for node in nodes(source):
        if isinstance(node, ast.BinOp) and type(node.op) in ARITHMETIC:
            old, new = ARITHMETIC[type(node.op)]
            yield from between(source, "arithmetic", node.left, node.right, old, new)
        elif isinstance(node, ast.AugAssign) and type(node.op) in ARITHMETIC:
            old, new = ARITHMETIC[type(node.op)]
            yield from between(source, "arithmetic", node.target, node.value, old + "=", new + "=")


def swap_comparison(source: Source) -> Iterator[Change]:
    """< for <=, > for >=, == for != and back: the boundary and the negation mistakes."""
    for node in nodes(source):
        if isinstance(node, ast.Compare):
            lefts = [node.left, *node.comparators[:-1]]
            for op, left, right in zip(node.ops, lefts, node.comparators, strict=True):
                if type(op) in COMPARISON:
                    old, new = COMPARISON[type(op)]
                    yield from between(source, "comparison", left, right, old, new)


def integer_literal(node: ast.AST) -> int | None:
    """The value of an int literal, `-3` included; None for anything else (bools too)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = integer_literal(node.operand)
        return None if inner is None or inner < 0 else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def shift_integers(source: Source) -> Iterator[Change]:
    """Every integer literal +1 and -1: sizes, indices, counts, shapes."""
    inner = {id(n.operand) for n in nodes(source) if isinstance(n, ast.UnaryOp)}
    for node in nodes(source):
        value = integer_literal(node)
        if value is None or id(node) in inner or not one_line(node):
            continue
        line, start, stop = node.lineno, node.col_offset, node.end_col_offset  # type: ignore[attr-defined]
        for delta in (1, -1):
            yield source.splice("integer", line, start, stop, str(value + delta))


def keyword_span(items: list[ast.expr | ast.keyword], i: int) -> tuple[int, int] | None:
    """Byte columns of items[i] with one joining comma; None when it spans several lines."""
    kw = items[i]
    if i:
        ends = (items[i - 1].end_col_offset, kw.end_col_offset)
        involved = [items[i - 1], kw]
    elif len(items) > 1:
        ends, involved = (kw.col_offset, items[1].col_offset), [kw, items[1]]
    else:
        ends, involved = (kw.col_offset, kw.end_col_offset), [kw]
    lines = {n.lineno for n in involved} | {n.end_lineno for n in involved}
    start, stop = ends
    return (start, stop) if len(lines) == 1 and start is not None and stop is not None else None


def drop_keywords(source: Source) -> Iterator[Change]:
    """Drop `dtype=`, `keepdim=` or `generator=` with the comma that joins it to its call."""
    for node in nodes(source):
        if not isinstance(node, ast.Call):
            continue
        items: list[ast.expr | ast.keyword] = [*node.args, *node.keywords]
        items.sort(key=lambda n: (n.lineno, n.col_offset))
        for i, kw in enumerate(items):
            if isinstance(kw, ast.keyword) and kw.arg in DROPPED_KEYWORDS:
                span = keyword_span(items, i)
                if span:
                    yield source.splice(f"drop-{kw.arg}", kw.lineno, *span, "")


def text_operator(name: str, pattern: str, replace: Callable[[re.Match[str]], str]) -> Operator:
    """An operator that rewrites one regex match at a time, on every line of the file."""
    compiled = re.compile(pattern)

    def operator(source: Source) -> Iterator[Change]:
        for number, line in enumerate(source.lines, 1):
            for match in compiled.finditer(line):
                new = line[: match.start()] + replace(match) + line[match.end() :]
                if new != line:
                    yield source.replace_line(name, number, new)

    operator.__doc__ = f"{name}: rewrite each match of {pattern!r}."
    return operator


def other_dim(match: re.Match[str]) -> str:
    value = int(match.group(1))
    return f"dim={DIMS.get(value, value - 1)}"


def smaller_kernel(match: re.Match[str]) -> str:
    return f"kernel_size={max(int(match.group(1)) - 2, 1)}"


shift_dims = text_operator("dim", r"\bdim=(-?\d+)\b", other_dim)
drop_clone = text_operator("drop-clone", r"\.clone\(\)", lambda m: "")
average_pool = text_operator(
    "avg-pool",
    r"\b(?:max_pool(\dd)|MaxPool(\dd))\b",
    lambda m: f"avg_pool{m.group(1)}" if m.group(1) else f"AvgPool{m.group(2)}",
)
smaller_kernels = text_operator("kernel-size", r"\bkernel_size=(\d+)\b", smaller_kernel)


def drop_no_grad(source: Source) -> Iterator[Change]:
    """Run a `with torch.no_grad():` body with gradients on: the `with` goes, the body dedents."""
    for node in nodes(source):
        if not isinstance(node, ast.With) or len(node.items) != 1 or node.items[0].optional_vars:
            continue
        if ast.unparse(node.items[0].context_expr) != "torch.no_grad()":
            continue
        if node.body[0].lineno == node.lineno or node.end_lineno is None:
            continue
        body = source.lines[node.lineno : node.end_lineno]
        outer = len(indent_of(source.lines[node.lineno - 1]))
        extra = indent_of(source.lines[node.body[0].lineno - 1])[outer:]
        new = tuple(line.removeprefix(extra) for line in body)
        note = "with torch.no_grad(): removed, its body dedented"
        yield Change("drop-no-grad", node.lineno, node.lineno - 1, node.end_lineno, new, note)


def drop_calls(source: Source) -> Iterator[Change]:
    """`optimizer.zero_grad()`, `model.train()` and `model.eval()` statements become `pass`."""
    for node in nodes(source):
        if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
            continue
        func, args = node.value.func, node.value.args or node.value.keywords
        if not isinstance(func, ast.Attribute) or node.end_lineno is None:
            continue
        if func.attr == "zero_grad" or (func.attr in {"train", "eval"} and not args):
            name = "drop-zero-grad" if func.attr == "zero_grad" else "drop-mode"
            new = indent_of(source.lines[node.lineno - 1]) + "pass"
            yield Change(name, node.lineno, node.lineno - 1, node.end_lineno, (new,))


def bound_plus_one(source: Source, bound: ast.expr) -> Change:
    """`bound` -> `bound + 1`, in parentheses unless it binds tighter than `+`."""
    text = source.segment(bound.lineno, bound.col_offset, bound.end_col_offset)
    tight = isinstance(bound, TIGHT) or (
        isinstance(bound, ast.UnaryOp) and not isinstance(bound.op, ast.Not)
    )
    shifted = f"{text} + 1" if tight else f"({text}) + 1"
    return source.splice(
        "slice", bound.lineno, bound.col_offset, bound.end_col_offset or 0, shifted
    )


def off_by_one_slices(source: Source) -> Iterator[Change]:
    """`a:b` -> `a:b + 1` and `a + 1:b`: the fence-post mistakes."""
    for node in nodes(source):
        if isinstance(node, ast.Slice):
            for bound in (node.upper, node.lower):
                if bound is not None and one_line(bound):
                    yield bound_plus_one(source, bound)


def in_place(source: Source) -> Iterator[Change]:
    """`x.add(` -> `x.add_(` (add, mul, sub, div, clamp): changing the caller's tensor."""
    for node in nodes(source):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        receiver = func.value.id if isinstance(func.value, ast.Name) else ""
        if func.attr in OUT_OF_PLACE and receiver not in MODULES and one_line(func):
            end = func.end_col_offset or 0
            yield source.splice("in-place", func.lineno, end, end, "_")


def relu_to_sigmoid(source: Source) -> Iterator[Change]:
    """`F.relu(`/`torch.relu(` -> sigmoid: the wrong activation (`F.sigmoid` without torch)."""
    sigmoid = "torch.sigmoid" if source.binds("torch") else "F.sigmoid"
    for node in nodes(source):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        func = node.func
        module = func.value.id if isinstance(func.value, ast.Name) else ""
        if func.attr == "relu" and module in {"F", "torch"} and one_line(func):
            start, stop = func.col_offset, func.end_col_offset or 0
            yield source.splice("relu-sigmoid", func.lineno, start, stop, sigmoid)


OPERATORS: tuple[Operator, ...] = (
    swap_arithmetic,
    swap_comparison,
    shift_integers,
    drop_keywords,
    shift_dims,
    drop_clone,
    drop_no_grad,
    drop_calls,
    average_pool,
    smaller_kernels,
    off_by_one_slices,
    in_place,
    relu_to_sigmoid,
)


NAMES = (
    "arithmetic",
    "comparison",
    "integer",
    *sorted(f"drop-{k}" for k in DROPPED_KEYWORDS),
    "dim",
    "drop-clone",
    "drop-no-grad",
    "drop-zero-grad",
    "drop-mode",
    "avg-pool",
    "kernel-size",
    "slice",
    "in-place",
    "relu-sigmoid",
)


def equivalent(file: str, change: Change) -> str:
    """Why this mutant cannot lose points, from the table; empty when it is not listed."""
    return EQUIVALENT.get((file, change.operator, change.shown.strip()), "")
