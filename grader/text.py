"""Untrusted text made safe to show and short enough to read: one cleaning, one cut.

Messages, output and tracebacks come from processes that run student code or report on
it, so they may hold lone surrogates (which no UTF-8 writer accepts), terminal control
sequences (colours, titles, bells), NUL, and any length. Every writer gets them through
`cap`, which keeps the first and last parts and says how much was cut between them.
"""

from __future__ import annotations

import re

MESSAGE_CAP = 2000
TRACEBACK_CAP = 16_000
# ANSI escape sequences (CSI and OSC, such as colours and window titles), then every other
# control character but newline and tab.
ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(text: str) -> str:
    """Printable text: lone surrogates become '?', escapes and control characters go."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return CONTROLS.sub("", ESCAPES.sub("", text.replace("\r\n", "\n")))


def cut_marker(count: int) -> str:
    return f"\n[... {count:,} characters cut ...]\n"


def cap(text: str, limit: int) -> str:
    """`text` cleaned; over `limit` characters, its first and last halves with the cut said."""
    text = clean(text)
    if len(text) <= limit:
        return text
    if limit < 2:
        return cut_marker(len(text)).strip()
    half = limit // 2
    return f"{text[:half]}{cut_marker(len(text) - 2 * half)}{text[-half:]}"
