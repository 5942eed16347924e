"""Output formats: each is a pure function Report -> str, registered under a Format."""

from __future__ import annotations

import enum
from collections.abc import Callable

from grader.formats import json_format, text
from grader.report import Report


class Format(str, enum.Enum):
    """The formats `grade --format` can print."""

    TEXT = "text"
    JSON = "json"


Writer = Callable[[Report], str]

WRITERS: dict[Format, Writer] = {
    Format.TEXT: text.render,
    Format.JSON: json_format.render,
}


def render(report: Report, fmt: Format) -> str:
    return WRITERS[fmt](report)
