"""The checker's results file, read incrementally as the checker writes it: one signed
JSON line per event (grader/engine/events.py); unsigned or oversized lines are counted
as forged, never trusted, and never held whole."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from grader.engine import events
from grader.engine.events import Ended, Event

FINISHED = (0, 1, 5)  # pytest's exit statuses: all passed, some failed, none collected

# A result line is a few KB (messages and output are capped in the checker).
READ_CAP = 4 * 2**20


class Channel:
    """The results file, read incrementally; unsigned lines are counted, not trusted."""

    def __init__(self, path: Path, key: bytes, on_event: Callable[[Event], None]) -> None:
        self.path, self.key, self.on_event = path, key, on_event
        self.offset, self.forged, self.skipping = 0, 0, False
        self.events: list[Event] = []

    def drain(self) -> None:
        """Hand every complete new line to on_event, one at a time: an interrupt raised
        inside on_event loses no line, since the offset moves past a line only once read.
        At most READ_CAP bytes are read at a time; a line longer than that is refused
        (counted as forged) without ever being held whole."""
        while (data := self.read()) is not None:
            *complete, rest = data.split(b"\n")
            if not complete:
                if len(rest) < READ_CAP:
                    return
                self.offset += len(rest)  # part of an oversized line: drop it
                self.skipping = True
                continue
            for raw in complete:
                self.offset += len(raw) + 1
                if self.skipping:
                    self.skipping, self.forged = False, self.forged + 1
                    continue
                self.take(raw)

    def read(self) -> bytes | None:
        try:
            with self.path.open("rb") as handle:
                handle.seek(self.offset)
                data = handle.read(READ_CAP)
        except FileNotFoundError:
            return None
        return data or None

    def take(self, raw: bytes) -> None:
        line = raw.decode("utf-8", errors="replace").strip()
        event = events.decode(self.key, line) if line else None
        if event is None:
            self.forged += bool(line)
            return
        self.events.append(event)
        self.on_event(event)

    @property
    def finished(self) -> int | None:
        """pytest's exit status once the session ended normally (checks passed, failed or
        none collected), else None. After an error the checker is left to exit by itself, so
        that pytest's own summary reaches the log."""
        ends = (event.status for event in self.events if isinstance(event, Ended))
        status = next(ends, None)
        return status if status in FINISHED else None
