"""Reading the outbox as an ordered feed: the pull-based event API and webhook replay read here.

Outbox ids are UUIDv7, so "after this id" is creation order and a cursor is just the last id seen.
Ids are taken when a row is written, not when its transaction commits, so a reader must not look
at the newest rows: :func:`after` only returns rows older than ``settled_before``, giving slower
transactions time to commit before anyone can page past their ids.

Rows are purged some days after dispatch (``ROLECALL_OUTBOX_RETENTION_DAYS``); :func:`id_time`
tells a caller how old a cursor is, so it can tell "nothing new" from "gone".
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.tenancy import all_tenants


def id_time(event_id: uuid.UUID) -> datetime:
    """When a UUIDv7 was minted (its first 48 bits are Unix milliseconds)."""
    return datetime.fromtimestamp((event_id.int >> 80) / 1000, UTC)


async def after(
    session: AsyncSession,
    *,
    after_id: uuid.UUID | None,
    types: Collection[str],
    limit: int,
    settled_before: datetime,
) -> list[OutboxEvent]:
    """The next events of the session's organisation of the given types, in id order."""
    if not types:
        return []
    stmt = select(OutboxEvent).where(OutboxEvent.type.in_(sorted(types)), OutboxEvent.time <= settled_before)
    if after_id is not None:
        stmt = stmt.where(OutboxEvent.id > after_id)
    return list((await session.scalars(stmt.order_by(OutboxEvent.id).limit(limit))).all())


async def between(
    session: AsyncSession, *, since: datetime, until: datetime, types: Collection[str], limit: int
) -> list[OutboxEvent]:
    """The session's organisation's events with ``since <= time < until``, in id order."""
    if not types:
        return []
    stmt = (
        select(OutboxEvent)
        .where(OutboxEvent.type.in_(sorted(types)), OutboxEvent.time >= since, OutboxEvent.time < until)
        .order_by(OutboxEvent.id)
        .limit(limit)
    )
    return list((await session.scalars(stmt)).all())


async def by_ids(
    session: AsyncSession, ids: Collection[uuid.UUID], *, across_tenants: bool = False
) -> dict[uuid.UUID, OutboxEvent]:
    """Events by id (those still retained); ``across_tenants`` for workers serving every tenant."""
    if not ids:
        return {}
    stmt = select(OutboxEvent).where(OutboxEvent.id.in_(list(ids)))
    if across_tenants:
        stmt = stmt.execution_options(**all_tenants())
    return {row.id: row for row in (await session.scalars(stmt)).all()}
