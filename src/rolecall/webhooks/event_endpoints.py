"""``GET /v1/events`` (the organisation's events, for pull-based sync) and ``GET /v1/events/types``
(the public catalogue: the contract webhook and feed readers code against, so it needs no token)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.http import no_store
from rolecall.platform.pagination import MAX_LIMIT
from rolecall.webhooks import event_feed
from rolecall.webhooks.auth import EventsRead
from rolecall.webhooks.schemas import EventPage, EventTypeOut

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.get(
    "",
    response_model=EventPage,
    summary="The organisation's public events in order, after a cursor (pull-based sync)",
)
async def list_events(
    request: Request,
    principal: EventsRead,
    session: DbSession,
    response: Response,
    after: Annotated[uuid.UUID | None, Query(description="The id of the last event you processed")] = None,
    type_filter: Annotated[
        str | None, Query(alias="type", max_length=120, description="An event type, application.* or *")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
) -> EventPage:
    settings = request.app.state.settings
    items, cursor = await event_feed.read(
        session,
        principal,
        after=after,
        type_filter=type_filter,
        limit=limit,
        retention_days=settings.outbox_retention_days,
        settle_seconds=settings.event_feed_settle_seconds,
    )
    no_store(response)
    return EventPage(items=items, next_cursor=cursor)


@router.get(
    "/types",
    response_model=list[EventTypeOut],
    dependencies=[PUBLIC],
    summary="The public event catalogue: every type with its JSON Schema",
)
async def event_types() -> list[EventTypeOut]:
    return [EventTypeOut.model_validate(t) for t in event_feed.types()]
