"""The pull-based event feed: an organisation's public events in outbox order, resumable by id.

A client keeps the id of the last event it processed and asks for what came after it. Events stay
readable as long as the outbox keeps them: ``ROLECALL_OUTBOX_RETENTION_DAYS`` after dispatch. A
cursor older than that answers 410, since events after it may already be gone; the client then
resynchronises from the collections (``updated_since``) and starts a fresh cursor.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.platform import access
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Forbidden, Unprocessable
from rolecall.platform.events import feed
from rolecall.platform.events.base import catalogue
from rolecall.platform.events.outbox import to_envelope
from rolecall.webhooks import payloads
from rolecall.webhooks.service import PERSONAL_SCOPE, Gone


async def read(
    session: AsyncSession,
    principal: Principal,
    *,
    after: uuid.UUID | None,
    type_filter: str | None,
    limit: int,
    retention_days: int,
    settle_seconds: float,
) -> tuple[list[dict[str, Any]], str | None]:
    if access.is_restricted(session):
        # The feed is the whole organisation's history, for integrations; filtering it per hiring
        # team would hand a team member cursors over events they cannot see. Ask for the whole.
        raise Forbidden(
            "The event feed covers the whole organisation: it needs an organisation-wide account "
            "or an API client."
        )
    if type_filter is not None and payloads.invalid_patterns([type_filter]):
        message = "Unknown or non-public event type; see GET /v1/events/types."
        raise Unprocessable(message, extra={"errors": [{"field": "type", "message": message}]})
    now = utcnow()
    if after is not None and feed.id_time(after) < now - timedelta(days=retention_days):
        raise Gone(
            f"The cursor is older than the outbox retention ({retention_days} days): events after it may "
            "be gone. Resynchronise from the collections and start again without after=."
        )
    types = payloads.types_matching([type_filter]) if type_filter else payloads.public_types()
    rows = await feed.after(
        session,
        after_id=after,
        types=types,
        limit=limit,
        settled_before=now - timedelta(seconds=settle_seconds),
    )
    personal = PERSONAL_SCOPE in principal.scopes
    items = []
    for row in rows:
        envelope = to_envelope(row)
        data = payloads.data_for_receiver(envelope, personal=personal)
        if data is not None:
            items.append(payloads.cloud_event(envelope, data))
    if personal and items:
        audit.record(
            session,
            actor=principal.actor,
            action="events.feed_read",
            target_type="event_feed",
            events=len(items),
        )
    cursor = str(rows[-1].id) if rows else (str(after) if after is not None else None)
    return items, cursor


def types() -> list[dict[str, Any]]:
    """The published contract: every public type with its JSON Schema."""
    return [
        {
            "type": name,
            "schema_version": cls.schema_version,
            "description": " ".join((cls.__doc__ or "").split()),
            "public": cls.public,
            "source": cls.source,
            "schema": cls.json_schema(),
        }
        for name, cls in catalogue().items()
        if cls.public
    ]
