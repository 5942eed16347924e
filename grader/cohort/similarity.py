"""Pairs of submissions whose code is suspiciously alike, for the instructor's class report.

A high similarity is a reason for a person to look at two submissions side by side, never
evidence and never part of a grade: short exercises have few ways to be written, and
students may legitimately share snippets from the course.

Each submission is first normalised: parsed, its docstrings left out and printed back by
`ast.unparse`, so that deleting the starter's docstrings or relaying the code out does not
hide a copy (the side-by-side view shows this normalised code). The comparison is then
copydetect's (the MOSS approach): its `filter_code` tokenizes Python with
pygments, replaces identifiers by placeholders and drops comments and whitespace, so renaming
variables or reformatting does not hide a copy; k-grams of that text are winnowed by its
`winnow`, the k-grams of the starter code handed out are subtracted (as its boilerplate), and
`compare_files` and `highlight_overlap` locate and mark the shared spans. Two things differ
from copydetect's `CodeFingerprint`: the k-gram hash is BLAKE2b instead of Python's `hash()`,
which is salted per process, so the same class gives the same report on every run; and the
offset that copydetect 0.5.0 records for class names is repaired, so marks land on the code
that was copied.
"""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np
from copydetect import compare_files
from copydetect.defaults import GUARANTEE_THRESHOLD, NOISE_THRESHOLD
from copydetect.utils import filter_code, get_token_coverage, highlight_overlap, winnow
from markupsafe import escape
from numpy.typing import NDArray

LANGUAGE = "py"
K = NOISE_THRESHOLD  # characters of filtered code per k-gram: shorter matches are noise
WINDOW = GUARANTEE_THRESHOLD - NOISE_THRESHOLD + 1  # copydetect's own window size
# With a window of 1 every k-gram is a fingerprint, about one per filtered character: a stub
# with one `raise` replaced by `return None` keeps 33. Fewer than this after the starter is
# subtracted is too little of a student's own code to call two submissions alike.
MIN_FINGERPRINTS = 50
MARK, END_MARK = "<mark>", "</mark>"


@dataclass(frozen=True)
class Pair:
    """Two students' submissions to one exercise that share much of their own code."""

    exercise: str
    first: str
    second: str
    similarity: float
    first_html: str
    second_html: str


@dataclass(frozen=True)
class _Fingerprint:
    """What copydetect's `compare_files` reads from a `CodeFingerprint`, built from text."""

    raw_code: str
    filtered_code: str
    offsets: NDArray[np.int64]
    hashes: frozenset[int]
    hash_idx: dict[int, list[int]]
    k: int
    token_coverage: float


def find_pairs(
    sources: Mapping[str, Mapping[str, str]],
    starters: Mapping[str, str],
    threshold: float = 0.6,
) -> list[Pair]:
    """Pairs at or above `threshold`, most similar first, then by exercise and students.

    `sources` maps exercise -> student id -> code; `starters` maps exercise -> the stub
    handed out, whose code never counts. Empty, unreadable or mostly-starter submissions
    are left out.
    """
    pairs: list[Pair] = []
    for exercise in sorted(sources):
        starter = normalised(starters.get(exercise, ""))
        codes = {student: normalised(code) for student, code in sources[exercise].items()}
        pairs.extend(_exercise_pairs(exercise, codes, starter, threshold))
    return sorted(pairs, key=lambda p: (-p.similarity, p.exercise, p.first, p.second))


def normalised(code: str) -> str:
    """The code as Python prints its syntax tree, docstrings left out: deleting or editing
    the starter's docstrings, or relaying the code out, changes nothing. Code that does
    not parse is compared as it is."""
    try:
        tree = ast.parse(code)
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and is_docstring(body[0]):
                node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
        return ast.unparse(tree)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return code


def is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _exercise_pairs(
    exercise: str, codes: Mapping[str, str], starter: str, threshold: float
) -> Iterator[Pair]:
    """One exercise's pairs at or above the threshold; each distinct text fingerprinted once."""
    boilerplate = _starter_hashes(starter)
    by_text = {code: _fingerprint(code, boilerplate) for code in set(codes.values())}
    prints = {sid: fp for sid in sorted(codes) if (fp := by_text[codes[sid]]) is not None}
    for first, second in combinations(sorted(prints), 2):
        a, b = prints[first], prints[second]
        similarity = len(a.hashes & b.hashes) / min(len(a.hashes), len(b.hashes))
        if similarity >= threshold:
            first_html, second_html = _highlight(a, b)
            yield Pair(exercise, first, second, similarity, first_html, second_html)


def _kgram_hashes(filtered: str) -> NDArray[np.int64]:
    """A stable 64-bit hash of every k-gram (copydetect's `hash()` changes between runs)."""
    hashes = [
        int.from_bytes(
            hashlib.blake2b(
                filtered[i : i + K].encode("utf-8", "surrogatepass"), digest_size=8
            ).digest(),
            "little",
            signed=True,
        )
        for i in range(len(filtered) - K + 1)
    ]
    return np.array(hashes, dtype=np.int64)


def _filtered(code: str) -> tuple[str, NDArray[np.int64]]:
    """copydetect's filtered code and offsets (filtered index -> characters removed before it)."""
    filtered, offsets = filter_code(code, "submission.py", LANGUAGE)
    return str(filtered), _repair_offsets(str(filtered), np.asarray(offsets, np.int64), code)


def _repair_offsets(filtered: str, offsets: NDArray[np.int64], code: str) -> NDArray[np.int64]:
    """Fix the rows copydetect 0.5.0 writes for class names (`O`).

    It stores the name's length - 1 there instead of the running offset; the next row (or
    the total removed) holds the running offset plus that length - 1, which gives it back.
    """
    fixed = offsets.copy()
    for row in range(1, len(fixed)):
        index, stored = fixed[row]
        if 0 <= index < len(filtered) and filtered[index] == "O" and fixed[row - 1, 0] < index:
            after = fixed[row + 1, 1] if row + 1 < len(fixed) else len(code) - len(filtered)
            fixed[row, 1] = after - stored
    return fixed


def _starter_hashes(starter: str) -> frozenset[int]:
    """Every k-gram hash of the starter code: boilerplate, as copydetect's Detector takes it."""
    return frozenset(int(h) for h in _kgram_hashes(_filtered(starter)[0]))


def _fingerprint(code: str, boilerplate: frozenset[int]) -> _Fingerprint | None:
    """The submission's winnowed fingerprints minus the starter's; None if too few are left."""
    filtered, offsets = _filtered(code)
    hashes, indexes = winnow(_kgram_hashes(filtered), WINDOW, remove_duplicates=False)
    hash_idx: dict[int, list[int]] = {}
    for value, index in zip(hashes.tolist(), indexes.tolist(), strict=True):
        if value not in boilerplate:
            hash_idx.setdefault(value, []).append(index)
    if len(hash_idx) < MIN_FINGERPRINTS:
        return None
    coverage = float(get_token_coverage(hash_idx, K, len(filtered)))
    return _Fingerprint(code, filtered, offsets, frozenset(hash_idx), hash_idx, K, coverage)


def _highlight(a: _Fingerprint, b: _Fingerprint) -> tuple[str, str]:
    """Both codes, HTML-escaped, with the spans they share wrapped in <mark>."""
    compared: Any = compare_files(a, b)
    slices_a, slices_b = compared[2]
    return _marked(a.raw_code, slices_a), _marked(b.raw_code, slices_b)


def _marked(code: str, slices: NDArray[np.int64]) -> str:
    """The code escaped by copydetect's `highlight_overlap`, spans made ordered and disjoint."""
    spans: list[list[int]] = []
    if slices.ndim == 2:
        for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist(), strict=True)):
            start, end = max(0, int(start)), min(len(code), int(end))
            if spans and start <= spans[-1][1]:
                spans[-1][1] = max(spans[-1][1], end)
            elif start < end:
                spans.append([start, end])
    if not spans:
        return str(escape(code))
    marked, _ = highlight_overlap(code, np.array(spans).T, MARK, END_MARK, escape_html=True)
    return str(marked)
