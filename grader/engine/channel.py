"""The results channel: one JSON event per line, each signed with a per-run key.

The parent makes a random key and hands it to the child through an inherited pipe that
the plugin reads once at start-up, before any student code runs. Lines without a valid
signature (student code writing fake results into the file) are ignored and counted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from typing import Any

Event = dict[str, Any]


def new_key() -> bytes:
    return secrets.token_hex(32).encode("ascii")


def encode(key: bytes, event: Event) -> str:
    body = json.dumps(event, default=str)
    digest = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{digest} {body}\n"


def decode(key: bytes, line: str) -> Event | None:
    """The event, or None when the line is not signed with `key`."""
    digest, _, body = line.rstrip("\n").partition(" ")
    expected = hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(digest, expected):
        return None
    try:
        event = json.loads(body)
    except json.JSONDecodeError:
        return None
    return event if isinstance(event, dict) else None
