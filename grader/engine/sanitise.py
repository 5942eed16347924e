"""What the parent does to every string a child sends before any writer sees it.

The child runs student code, so its messages are untrusted text: lone surrogates (which no
UTF-8 writer accepts), terminal control sequences (colours, titles, bells), NUL, and any
length. Each string is cleaned and capped here, once, with the cut marked.
"""

from __future__ import annotations

import dataclasses
import re

from grader.engine.report import CheckResult

MESSAGE_CAP = 2000
TRACEBACK_CAP = 16_000
# ANSI escape sequences (CSI and OSC, such as colours and window titles), then every other
# control character but newline and tab.
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(text: str, cap: int) -> str:
    """Printable text of at most `cap` characters (plus the marker), the cut said in it."""
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates become '?'
    text = CONTROLS.sub("", ESCAPES.sub("", text.replace("\r\n", "\n")))
    if len(text) <= cap:
        return text
    return f"{text[:cap]} [... {len(text) - cap:,} more characters cut]"


def clean_check(check: CheckResult, output_cap: int) -> CheckResult:
    """The check with its message, output and traceback cleaned and capped."""
    details = dict(check.details)
    if isinstance(details.get("traceback"), str):
        details["traceback"] = clean_text(details["traceback"], TRACEBACK_CAP)
    return dataclasses.replace(
        check,
        message=clean_text(check.message, MESSAGE_CAP),
        output=clean_text(check.output, max(output_cap, 1) + 200),
        details=details,
    )
