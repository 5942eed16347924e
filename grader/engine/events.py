"""What the checker tells the parent, as typed events on a signed channel.

One event per line: the class name and fields as JSON, signed with a per-run key. The
parent makes the key and hands it to the checker through an inherited pipe that the plugin
reads once at start-up, before any student code runs. A line without a valid signature
(student code writing fake results into the file) or of no known kind is not an event:
the parent counts it and trusts nothing in it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any, get_args

from grader.report import CheckResult, Status


@dataclass(frozen=True)
class CheckerEnv:
    """Where the checks run: the checker's torch, the device, the worker's box."""

    torch: str
    cuda: bool
    device: str
    isolation: str


@dataclass(frozen=True)
class CheckSpec:
    """A check as collected, before it has run."""

    nodeid: str
    id: str
    name: str
    points: float
    visibility: str = "visible"

    @property
    def exercise(self) -> str:
        return self.id.split(".", 1)[0]

    def result(self, status: Status, message: str) -> CheckResult:
        return CheckResult(
            self.id, self.name, status, 0.0, self.points, message, visibility=self.visibility
        )


@dataclass(frozen=True)
class Imported:
    """The exercise's module was asked for: `ok` None before, then True or False."""

    exercise: str
    ok: bool | None
    problem: str = ""


@dataclass(frozen=True)
class CheckStarted:
    nodeid: str


@dataclass(frozen=True)
class CheckProgress:
    """A long check's note (an epoch done), shown while the parent waits."""

    nodeid: str
    text: str


@dataclass(frozen=True)
class CheckFinished:
    """A check's result as the checker built it; the parent holds it to what it collected."""

    nodeid: str
    result: dict[str, Any]


@dataclass(frozen=True)
class Ended:
    """pytest's session ended with this exit status."""

    status: int


Event = CheckerEnv | CheckSpec | Imported | CheckStarted | CheckProgress | CheckFinished | Ended
KINDS: dict[str, type[Event]] = {kind.__name__: kind for kind in get_args(Event)}


def new_key() -> bytes:
    return secrets.token_hex(32).encode("ascii")


def encode(key: bytes, event: Event) -> str:
    body = json.dumps({"kind": type(event).__name__, **dataclasses.asdict(event)}, default=str)
    digest = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{digest} {body}\n"


def decode(key: bytes, line: str) -> Event | None:
    """The event, or None when the line is not signed with `key` or is no known event."""
    digest, _, body = line.rstrip("\n").partition(" ")
    expected = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(digest, expected):
        return None
    try:
        fields = json.loads(body)
        return KINDS[fields.pop("kind")](**fields)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None
