"""grader.cohort.similarity on the course's own files: copies found, independent work not."""

from __future__ import annotations

import ast
import html
import io
import random
import re
import tokenize
from itertools import combinations
from pathlib import Path

import pytest

from grader.cohort.similarity import Pair, _filtered, find_pairs, normalised

ROOT = Path(__file__).resolve().parents[1]
CORRECT = ROOT / "tests" / "students" / "correct"
EXERCISES = ("tensors", "autograd", "mlp", "lenet")
# These "correct" files are the reference solution with one line changed (see `diff`):
# derived from it, so they must be flagged, not counted as independent work.
DERIVED = {
    "tensors": {"determinant_item", "element_item"},
    "autograd": {"backward_twice_clears_first"},
    "mlp": {"make_loaders_drop_last", "mlp_forward_view_784"},
    "lenet": set(),
}
TAG = re.compile(r"<[^>]*>")
MARKED = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def starter(exercise: str) -> str:
    return (ROOT / "exercises" / f"{exercise}.py").read_text(encoding="utf-8")


def solution(exercise: str) -> str:
    return (ROOT / "solutions" / f"{exercise}.py").read_text(encoding="utf-8")


def correct_files(exercise: str) -> dict[str, str]:
    """Style name -> code of the independent correct implementations of `exercise`."""
    return {
        path.stem.split("__", 1)[1]: path.read_text(encoding="utf-8")
        for path in sorted(CORRECT.glob(f"{exercise}__*.py"))
    }


def renamed(code: str) -> str:
    """The code with every parameter and local variable of every function renamed v0, v1, ..."""
    tree = ast.parse(code)
    spots: set[tuple[int, int, str]] = set()
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        nodes = list(ast.walk(function))
        every = function.args.posonlyargs + function.args.args + function.args.kwonlyargs
        local = {a.arg for a in every} - {"self"}
        local |= {n.id for n in nodes if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in nodes:
            name = node.arg if isinstance(node, ast.arg) else getattr(node, "id", None)
            if isinstance(node, ast.arg | ast.Name) and name in local:
                spots.add((node.lineno, node.col_offset, str(name)))
    names = {name: f"v{i}" for i, name in enumerate(sorted({s[2] for s in spots}))}
    lines = [line.encode() for line in code.splitlines(keepends=True)]
    for line, col, name in sorted(spots, reverse=True):
        raw = lines[line - 1]
        lines[line - 1] = raw[:col] + names[name].encode() + raw[col + len(name.encode()) :]
    return b"".join(lines).decode()


def relaid(code: str) -> str:
    """The code with comments replaced, indented by 2, and blank lines after each `def`."""
    comments = {
        t.start
        for t in tokenize.generate_tokens(io.StringIO(code).readline)
        if t.type == tokenize.COMMENT
    }
    lines = []
    for number, line in enumerate(code.splitlines(), start=1):
        cut = min((col for row, col in comments if row == number), default=len(line))
        body = line[:cut].rstrip()
        indent = (len(body) - len(body.lstrip())) // 4 * 2
        if body or cut == len(line):
            lines.append(" " * indent + body.lstrip())
        if body.lstrip().startswith("def "):
            lines += ["", " " * (indent + 2) + "# worked this out myself", ""]
    return "\n".join(lines) + "\n"


def unparsed(code: str) -> str:
    """The code as `ast.unparse` writes it: comments gone, tuples parenthesised, commas moved."""
    lines = []
    for line in ast.unparse(ast.parse(code)).splitlines():
        lines.append(line)
        if line.lstrip().startswith("return "):
            lines += ["", "    # done", ""]
    return "\n".join(lines) + "\n"


def disguised(code: str, heavy: bool = False) -> str:
    """A copy with locals and parameters renamed and comments and layout changed; it compiles."""
    copy = (unparsed if heavy else relaid)(renamed(code))
    compile(copy, "disguised.py", "exec")
    return copy


def plain(marked_html: str) -> str:
    """The code back from its HTML: tags removed, entities decoded."""
    return html.unescape(TAG.sub("", marked_html))


def marked(marked_html: str) -> str:
    """The text inside the marks, decoded."""
    return html.unescape("".join(MARKED.findall(marked_html)))


@pytest.mark.parametrize("exercise", EXERCISES)
@pytest.mark.parametrize(("heavy", "least"), [(False, 0.95), (True, 0.6)])
def test_disguised_copy_is_paired_and_marked(exercise: str, heavy: bool, least: float) -> None:
    original, copy = solution(exercise), disguised(solution(exercise), heavy)
    assert "v0" in copy and "# BEGIN SOLUTION" not in copy
    pairs = find_pairs({exercise: {"ann": original, "bob": copy}}, {exercise: starter(exercise)})
    assert [(p.exercise, p.first, p.second) for p in pairs] == [(exercise, "ann", "bob")]
    pair: Pair = pairs[0]
    assert pair.similarity >= least
    assert plain(pair.first_html) == normalised(original)
    assert plain(pair.second_html) == normalised(copy)
    assert set(TAG.findall(pair.first_html + pair.second_html)) == {"<mark>", "</mark>"}
    assert len(marked(pair.first_html)) > len(original) / 3


def test_marks_cover_the_copied_code() -> None:
    original = solution("mlp")
    pair = find_pairs({"mlp": {"a": original, "b": disguised(original)}}, {"mlp": starter("mlp")})
    copied = marked(pair[0].first_html)
    assert "wrong += int((outputs.argmax(dim=1) != labels).sum())" in copied
    assert "self.output = nn.Linear(300, 10)" in copied
    assert "MEAN, STD = 0.1307, 0.3081" not in copied  # starter code


@pytest.mark.parametrize("exercise", EXERCISES)
def test_independent_implementations_are_not_paired(exercise: str) -> None:
    codes = {"solution": solution(exercise)}
    codes |= {s: c for s, c in correct_files(exercise).items() if s not in DERIVED[exercise]}
    assert len(codes) >= 6
    assert find_pairs({exercise: codes}, {exercise: starter(exercise)}) == []
    everything = find_pairs({exercise: codes}, {exercise: starter(exercise)}, threshold=0.0)
    assert len(everything) == len(list(combinations(codes, 2)))
    assert max(p.similarity for p in everything) < 0.4


@pytest.mark.parametrize("exercise", EXERCISES)
def test_solution_with_one_line_changed_is_paired(exercise: str) -> None:
    codes = {"solution": solution(exercise)} | correct_files(exercise)
    pairs = find_pairs({exercise: codes}, {exercise: starter(exercise)})
    flagged = {p.first if p.second == "solution" else p.second for p in pairs}
    assert flagged - {"solution"} == DERIVED[exercise]
    assert all(p.similarity > 0.9 for p in pairs)


@pytest.mark.parametrize("exercise", EXERCISES)
def test_stubs_are_never_paired(exercise: str) -> None:
    stub = starter(exercise)
    edited = stub.replace("# TODO(student): write your code here", "# I will do it later")
    one_line = re.sub(r"raise NotImplementedError\(.*\)", "return None", stub, count=1)
    assert one_line != stub
    codes = {"a": stub, "b": stub, "c": edited, "d": solution(exercise), "e": one_line}
    codes["f"] = one_line
    assert find_pairs({exercise: codes}, {exercise: stub}, threshold=0.0) == []


def test_hostile_code_is_escaped() -> None:
    attack = "</pre><script>alert(1)</script>"
    code = solution("mlp").replace(
        "        seen += len(labels)\n    return total_loss",
        f"        seen += len(labels)  # {attack}\n    note = '{attack}'\n    return total_loss",
    )
    pairs = find_pairs({"mlp": {"x": code, "y": disguised(code)}}, {"mlp": starter("mlp")})
    assert len(pairs) == 1
    for side, text in ((pairs[0].first_html, code), (pairs[0].second_html, disguised(code))):
        assert "<script>" not in side and "</pre>" not in side
        assert "&lt;script&gt;" in side
        assert set(TAG.findall(side)) == {"<mark>", "</mark>"}
        assert plain(side) == normalised(text)


def test_odd_input_does_not_raise() -> None:
    broken = solution("lenet").replace("def forward(self, x", "def forward(self, x,,", 1)
    binary = random.Random(0).randbytes(4000).decode("latin-1")
    escaped = (b"\x89PNG\r\n\x1a\n\x00\xff" * 50).decode("utf-8", "surrogateescape")
    codes = {
        "broken": broken,
        "broken2": broken,
        "empty": "",
        "blank": "\n\n   \n",
        "binary": binary,
        "escaped": escaped,
        "nul": "\x00" * 1000,
    }
    pairs = find_pairs({"lenet": codes, "nothing": {}}, {"lenet": starter("lenet")})
    assert [(p.first, p.second, p.similarity) for p in pairs] == [("broken", "broken2", 1.0)]
    garbage = find_pairs({"mlp": {"a": binary, "b": binary}}, {})
    assert [(p.first, p.second, p.similarity) for p in garbage] == [("a", "b", 1.0)]
    assert set(TAG.findall(garbage[0].first_html)) <= {"<mark>", "</mark>"}
    assert plain(garbage[0].first_html) == binary


def test_most_similar_first_then_exercise_and_students() -> None:
    derived = correct_files("mlp")["make_loaders_drop_last"]
    sources = {
        "mlp": {"zed": solution("mlp"), "amy": derived},
        "tensors": {"y": solution("tensors"), "x": solution("tensors")},
        "lenet": {"kim": solution("lenet"), "joe": solution("lenet")},
        "autograd": {"bo": solution("autograd"), "al": correct_files("autograd")["einsum_manual"]},
    }
    pairs = find_pairs(sources, {e: starter(e) for e in EXERCISES})
    assert [(p.exercise, p.first, p.second) for p in pairs] == [
        ("lenet", "joe", "kim"),
        ("tensors", "x", "y"),
        ("mlp", "amy", "zed"),
    ]
    assert [p.similarity for p in pairs][:2] == [1.0, 1.0]
    assert 0.9 < pairs[2].similarity < 1.0
    assert pairs[0].first_html == pairs[0].second_html


def test_class_name_offsets_point_at_the_class_name() -> None:
    code = solution("mlp")
    filtered, offsets = _filtered(code)
    names = [code[i + o :].split("(")[0] for i, o in offsets.tolist() if filtered[i] == "O"]
    assert names == ["MnistDataset", "LogRegression", "MLP"]
