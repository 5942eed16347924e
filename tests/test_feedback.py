"""Feedback files: what a student is told, and that nothing in a report can attack them.

Reports are built here as dicts and validated against grader/report.schema.json, so each
is shaped as `grade` writes it; nothing is graded. Every string a student controls
(messages, output, names, the id) is tried with markup in it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from grader.cohort.feedback import Feedback, file_stem, html, markdown, write_all
from tests.conftest import validate_data

SCRIPT = "<script>document.title='pwned'</script>"
ESCAPE_FENCE = f"````\n{SCRIPT}\n````\n[click](https://evil.example) <img src=x onerror=alert(1)>"
LENET_CURVE = [[10000, 0.9512], [20000, 0.9731], [30000, 0.9802], [40000, 0.9855]]


def check(
    cid: str,
    status: str = "passed",
    max_score: float = 1.0,
    score: float | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """A check as the report holds it; full points when passed unless `score` says."""
    got = score if score is not None else (max_score if status == "passed" else 0.0)
    return {
        "id": cid,
        "name": fields.pop("name", f"the check {cid}"),
        "status": status,
        "score": got,
        "max_score": max_score,
        "message": "",
        "duration_s": 0.01,
        "output": "",
        "details": {},
        "visibility": "visible",
        **fields,
    }


def exercise(name: str, checks: list[dict[str, Any]], problem: str = "") -> dict[str, Any]:
    return {
        "name": name,
        "checks": checks,
        "duration_s": 1.0,
        "problem": problem,
        "score": sum(c["score"] for c in checks),
        "max_score": sum(c["max_score"] for c in checks if c["status"] != "skipped"),
    }


def report(*exercises: dict[str, Any]) -> dict[str, Any]:
    """A whole report, validated against the schema in the repository."""
    data = {
        "schema_version": "1",
        "grader_version": "0.1.0",
        "submission": "sub",
        "started_at": "2026-12-01T00:00:00+00:00",
        "duration_s": 3.0,
        "environment": {
            "device": "cpu",
            "torch_version": "2.6.0",
            "python_version": "3.11.7",
            "seed": 0,
            "threads": 1,
            "platform": "Linux",
            "isolation": "sealed+user",
        },
        "score": sum(e["score"] for e in exercises),
        "max_score": sum(e["max_score"] for e in exercises),
        "exercises": list(exercises),
    }
    validate_data(data)
    return data


def trained(cid: str, curve: Any, status: str = "passed", **fields: Any) -> dict[str, Any]:
    training = {
        "accuracy": 0.9855,
        "samples": 40000,
        "seconds": 12.5,
        "device": "cpu",
        "reached": status == "passed",
        "curve": curve,
        "recipe": "one-cycle SGD",
        "threshold": 0.98,
        "floor": 0.9,
    }
    return check(cid, status, 4.0, details={"training": training}, **fields)


def hidden() -> list[dict[str, Any]]:
    """Three hidden checks, worth 4 points, 2 of them earned; each says a secret."""
    secret: dict[str, Any] = {
        "name": "SECRET-NAME",
        "output": "SECRET-OUTPUT",
        "visibility": "hidden",
    }
    return [
        check("tensors.secret.one", "failed", 2.0, 1.0, message="SECRET-MESSAGE", **secret),
        check("tensors.secret.two", "passed", 1.0, message="SECRET-PASSED", **secret),
        check("tensors.secret.three", "not_attempted", message="x: tensors: SECRET", **secret),
    ]


def mixed() -> dict[str, Any]:
    """Passed, failed, errored (with output), not attempted and hidden checks."""
    tensors = [
        *(check(f"tensors.basics.c{i}", message=f"passed-detail-{i}") for i in range(30)),
        check("tensors.slicing.column", "failed", message="column(A, 1): expected (5,), got (4,)"),
        check(
            "tensors.slicing.row",
            "error",
            2.0,
            message="ValueError: boom (sub/tensors.py, line 3, in row)",
            output="debug: row called\n",
            details={"traceback": 'File "sub/tensors.py", line 3\nTRACEBACK-LINE'},
        ),
        *(
            check(f"tensors.todo.t{i}", "not_attempted", 2.0 + i, message=f"x: tensors: stub{i}")
            for i in range(3)
        ),
        *hidden(),
    ]
    return report(exercise("tensors", tensors))


def both(feedback: Feedback) -> tuple[str, str]:
    return markdown(feedback), html(feedback)


def test_a_lost_check_says_its_message_and_the_rest_take_one_line() -> None:
    for page in both(Feedback("alice", mixed())):
        assert "What to fix" in page
        assert "tensors.slicing.column" in page
        assert "column(A, 1): expected (5,), got (4,)" in page
        assert "ValueError: boom (sub/tensors.py, line 3, in row)" in page
        assert "debug: row called" in page
        assert "passed: 30 checks, 30 points" in page
        assert "not attempted: 3 checks, 9 points" in page
        assert page.count("not attempted") == 1
        assert "passed-detail" not in page and "tensors.basics.c" not in page
        assert "TRACEBACK-LINE" not in page  # never a stack dump


def test_hidden_checks_give_only_a_count_and_points() -> None:
    for page in both(Feedback("alice", mixed())):
        assert "3 hidden checks: 2/4 points" in page
        assert "SECRET" not in page and "tensors.secret" not in page


def test_markup_from_a_report_is_shown_as_text() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    bad = check(
        "tensors.slicing.column",
        "failed",
        name=f"name {SCRIPT}",
        message=ESCAPE_FENCE,
        output=ESCAPE_FENCE,
    )
    todo = check("tensors.todo.t", "not_attempted", message=f"x: tensors: `{SCRIPT}`")
    data = report(exercise("tensors", [bad, todo], problem=f"problem {SCRIPT}"))
    feedback = Feedback(f"eve{SCRIPT}", data, notes=(f"note {SCRIPT} [a](https://evil.example)",))
    text, page = both(feedback)
    assert "<script" not in page.lower() and "<img" not in page and "<a " not in page
    assert "&lt;script&gt;document.title" in page
    rendered = markdown_it.MarkdownIt("commonmark").render(text)  # raw HTML allowed
    assert "<script" not in rendered.lower() and "<img" not in rendered and "<a " not in rendered
    assert "&lt;script&gt;document.title" in rendered


def test_a_message_cannot_close_its_code_block() -> None:
    markdown_it = pytest.importorskip("markdown_it")
    bad = check("tensors.slicing.column", "failed", message=ESCAPE_FENCE)
    text = markdown(Feedback("eve", report(exercise("tensors", [bad]))))
    blocks = [t for t in markdown_it.MarkdownIt("commonmark").parse(text) if t.type == "fence"]
    assert any(SCRIPT in block.content for block in blocks)


def test_the_accuracy_curve_is_a_plot_in_html_and_a_table_in_markdown() -> None:
    lenet = trained("lenet.trained_accuracy.lenet", LENET_CURVE)
    hidden = trained("lenet.trained_accuracy.secret", LENET_CURVE, visibility="hidden")
    text, page = both(Feedback("alice", report(exercise("lenet", [lenet, hidden]))))
    assert page.count("<svg") == 1 and "</svg>" in page
    assert "epochs" in page and "threshold 98 %" in page  # svg.fonttype none: text stays text
    assert "| epochs | test accuracy (%) |" in text
    assert "| 0.17 | 95.12 |" in text and "| 0.67 | 98.55 |" in text
    assert "Threshold: 98 % earns full marks; 90 % or less earns none." in text
    assert text.count("| epochs |") == 1


def test_a_malformed_curve_is_left_out() -> None:
    bad = trained("lenet.trained_accuracy.lenet", [["x", "<svg>"], [1]])
    text, page = both(Feedback("alice", report(exercise("lenet", [bad]))))
    assert "<svg" not in page and "| epochs |" not in text


def test_many_checks_lost_for_one_reason_say_it_once() -> None:
    cause = "SyntaxError: invalid syntax (sub/tensors.py, line 9)"
    lost = [check(f"tensors.a.c{i}", "error", message=f"not run: {cause}") for i in range(6)]
    other = [check(f"tensors.b.c{i}", "error", message="same reason") for i in range(5)]
    first = report(exercise("tensors", lost, problem=cause), exercise("autograd", other))
    for page in both(Feedback("alice", first)):
        assert page.count(cause) == 1
        assert "lost to the problem above: 6 checks, 6 points" in page
        assert page.index(cause) < page.index("lost to the problem above")
        assert page.count("same reason") == 1
        assert "5 checks lost their points for one reason" in page


def test_long_output_is_cut_and_folded_away_in_html() -> None:
    printed = "".join(f"line {i}\n" for i in range(500))
    lost = check("tensors.slicing.row", "failed", message="wrong", output=printed)
    text, page = both(Feedback("alice", report(exercise("tensors", [lost]))))
    for shown in (text, page):
        assert "line 14" in shown and "line 15" not in shown and "(cut)" in shown
    assert re.search(r"<details><summary>[^<]*</summary><pre>line 0\n", page)


def test_an_ungradable_submission_says_why_and_what_to_do() -> None:
    problem = "erin.zip: none of tensors.py, tensors.ipynb found (has notes.txt)"
    for page in both(Feedback("erin", None, problem)):
        assert "Not graded" in page and problem in page
        assert "check the file names" in page and "tensors.py" in page and "README" in page
        assert "Score" not in page


def test_a_report_that_cannot_be_read_is_ungradable() -> None:
    for page in both(Feedback("erin", {"exercises": "nonsense"})):
        assert "Not graded" in page and "could not be read" in page


def test_a_late_penalty_shows_the_final_and_the_raw_score() -> None:
    data = mixed()
    raw, top = data["score"], data["max_score"]
    assert (raw, top) == (32, 46)
    note = f"Submitted 1.5 days late: 15 % off (raw 32/46, final {32 * 0.85:g}/46)"
    for page in both(Feedback("bob", data, notes=(note,), final_score=32 * 0.85)):
        assert f"Final score: {32 * 0.85:g}/46 points (59.1 %)" in page
        assert "raw score 32/46 points (69.6 %)" in page
        assert "1.5 days late" in page
    for page in both(Feedback("bob", data)):
        assert "Score: 32/46 points (69.6 %)" in page and "Final" not in page


IDS = ["../../etc/passwd", "alice", "ALICE", "a+b", "a_b", "", ".hidden", "..", "con", "x" * 300]


def test_file_names_are_safe_distinct_and_stable() -> None:
    stems = [file_stem(s) for s in IDS]
    assert len({s.casefold() for s in stems}) == len(IDS), stems
    for stem in stems:
        assert stem and "/" not in stem and "\\" not in stem and ".." not in stem
        assert not stem.startswith((".", "-")) and len(stem) <= 80
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", stem) and stem.casefold() != "con"
    assert file_stem("alice") == "alice" and file_stem("a_b") == "a_b"
    assert stems == [file_stem(s) for s in IDS]


def test_write_all_writes_both_files_inside_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "feedback"
    paths = write_all([Feedback(s, mixed()) for s in IDS], folder)
    assert len(paths) == 2 * len(IDS) == len(set(paths))
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert all(p.resolve().parent == folder.resolve() for p in paths)
    assert {p.suffix for p in paths} == {".md", ".html"}
    alice = (folder / "alice.md").read_text(encoding="utf-8")
    assert alice.startswith("# Feedback for `alice`")
    with pytest.raises(ValueError, match="alice"):
        write_all([Feedback("alice", None, "x"), Feedback("alice", None, "y")], folder)


def test_the_page_loads_nothing_from_outside() -> None:
    attack = check(
        "tensors.slicing.column",
        "failed",
        message='<img src="http://evil.example/x.png"> <a href="https://evil.example">x</a>',
    )
    lenet = trained("lenet.trained_accuracy.lenet", LENET_CURVE)
    page = html(
        Feedback("alice", report(exercise("tensors", [attack]), exercise("lenet", [lenet])))
    )
    assert "<svg" in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:[a-z]+:)?//""", page, re.IGNORECASE)
    assert not re.search(r"url\(\s*['\"]?(?!#)", page)  # the plot's clip paths: url(#id)
    assert "<link" not in page and "@import" not in page
    assert "evil.example" in page  # shown, escaped, as text


def test_a_browser_shows_the_page(tmp_path: Path) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed")
    lost = check("tensors.slicing.column", "failed", message=f"expected (5,) {SCRIPT}")
    lenet = trained("lenet.trained_accuracy.lenet", LENET_CURVE)
    data = report(exercise("tensors", [lost]), exercise("lenet", [lenet]))
    [_, page] = write_all([Feedback("alice", data)], tmp_path)
    done = subprocess.run(
        [browser, "--headless", "--disable-gpu", "--no-sandbox", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    dom = done.stdout
    assert "Feedback for alice" in dom, done.stderr[-2000:]
    assert "expected (5,) &lt;script&gt;" in dom and "tensors.slicing.column" in dom
    assert "<title>Feedback for alice</title>" in dom and "pwned" not in dom.split("</title>")[0]
    assert "<svg" in dom and "test accuracy (%)" in dom
