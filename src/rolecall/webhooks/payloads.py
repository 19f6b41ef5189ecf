"""What a receiver outside the process gets of an event: public types only, data redacted.

Receivers get the event's declared fields minus those marked internal, and minus those marked
personal unless they hold ``candidates:read`` (an endpoint's explicit grant, or the feed caller's
scope). Type patterns (``application.*``, ``*``) are resolved against the public catalogue here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from rolecall.platform.events.base import catalogue, event_class, redact
from rolecall.platform.events.envelope import CloudEvent

PATTERN = re.compile(r"\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*\.\*")


def public_types() -> list[str]:
    return [name for name, cls in catalogue().items() if cls.public]


def matches(patterns: Iterable[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def types_matching(patterns: Sequence[str]) -> list[str]:
    """The public types any of the patterns selects, as known to this process."""
    return [name for name in public_types() if matches(patterns, name)]


def invalid_patterns(patterns: Iterable[str]) -> list[str]:
    """Patterns that are neither a public event type nor a well-formed wildcard."""
    known = set(public_types())
    return [p for p in patterns if p not in known and ("*" not in p or not PATTERN.fullmatch(p))]


def data_for_receiver(envelope: CloudEvent, *, personal: bool) -> dict[str, Any] | None:
    """The event's data as a receiver may see it; ``None`` for unknown or non-public types."""
    cls = event_class(envelope.type)
    if cls is None or not cls.public:
        return None
    data = redact(cls.from_envelope(envelope), personal=personal)
    return {"schema_version": (envelope.data or {}).get("schema_version", cls.schema_version), **data}


def webhook_body(envelope: CloudEvent, data: dict[str, Any]) -> bytes:
    """The Standard Webhooks style body; its bytes are what is signed."""
    body = {
        "id": str(envelope.id),
        "type": envelope.type,
        "timestamp": envelope.time.isoformat().replace("+00:00", "Z"),
        "subject": envelope.subject,
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def cloud_event(envelope: CloudEvent, data: dict[str, Any]) -> dict[str, Any]:
    """The structured-mode CloudEvent a feed reader gets, with the redacted data."""
    return {**envelope.model_dump(mode="json", exclude={"data"}), "data": data}
