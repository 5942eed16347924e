"""Output formats: each is a pure function Report -> str, registered under a Format."""

from __future__ import annotations

import enum
from collections.abc import Callable

from grader.formats import classroom, gradescope, json_format, junit, markdown, text
from grader.report import Report


class Format(str, enum.Enum):
    """The formats `grade --format` prints and `grade --output FORMAT=PATH` writes."""

    TEXT = "text"
    JSON = "json"
    CLASSROOM = "classroom"
    GRADESCOPE = "gradescope"
    JUNIT = "junit"
    MARKDOWN = "markdown"


Writer = Callable[[Report], str]

WRITERS: dict[Format, Writer] = {
    Format.TEXT: text.render,
    Format.JSON: json_format.render,
    Format.CLASSROOM: classroom.render,
    Format.GRADESCOPE: gradescope.render,
    Format.JUNIT: junit.render,
    Format.MARKDOWN: markdown.render,
}


def render(report: Report, fmt: Format) -> str:
    return WRITERS[fmt](report)
