"""Writing events: called by services inside the caller's transaction, never committing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import delete, event, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.clock import utcnow
from rolecall.platform.db import RolecallSession
from rolecall.platform.events.base import DomainEvent
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.models import OutboxEvent, ProcessedEvent
from rolecall.platform.tenancy import all_tenants

_DIRTY = "rolecall_outbox_dirty"
_wakeups: list[Callable[[], None]] = []


def emit(session: AsyncSession, event: DomainEvent) -> OutboxEvent:
    """Queue an event; it becomes visible to the relay only if the surrounding transaction commits.

    Members the model does not declare are refused here rather than published: receivers may only
    see what the catalogue describes (events keep unknown members only when *read*).
    """
    if event.model_extra:
        raise TypeError(f"{event.event_type} has undeclared members: {sorted(event.model_extra)}")
    return record_event(
        session, type=event.event_type, source=event.source, subject=event.subject, data=event.to_data()
    )


def record_event(
    session: AsyncSession, *, type: str, source: str, subject: str, data: dict[str, Any]
) -> OutboxEvent:
    """Queue an untyped event: the relay's own tests and tools only. Contexts :func:`emit` models, so
    every published type is in the catalogue (a test keeps ``record_event`` out of the contexts)."""
    row = OutboxEvent(type=type, source=source, subject=subject, data=data)
    session.add(row)
    session.info[_DIRTY] = True
    return row


def to_envelope(row: OutboxEvent) -> CloudEvent:
    return CloudEvent(
        id=row.id,
        source=row.source,
        type=row.type,
        time=row.time,
        subject=row.subject,
        organisationid=row.organisation_id,
        data=row.data,
    )


def on_commit_wakeup(callback: Callable[[], None]) -> Callable[[], None]:
    """Register a callback run after any commit that wrote events (lets the relay skip its poll wait)."""
    _wakeups.append(callback)
    return lambda: _wakeups.remove(callback)


@event.listens_for(RolecallSession, "after_commit")
def _after_commit(session: RolecallSession) -> None:
    if session.info.pop(_DIRTY, False):
        for callback in list(_wakeups):
            callback()


@event.listens_for(RolecallSession, "after_rollback")
def _after_rollback(session: RolecallSession) -> None:
    session.info.pop(_DIRTY, None)


async def backlog(session: AsyncSession) -> tuple[int, float]:
    """Pending events and the age in seconds of the oldest one (for metrics and readiness)."""
    stmt = (
        select(func.count(OutboxEvent.id), func.min(OutboxEvent.time))
        .where(OutboxEvent.dispatched_at.is_(None))
        .execution_options(**all_tenants())
    )
    count, oldest = (await session.execute(stmt)).one()
    age = 0.0
    if isinstance(oldest, datetime):
        age = max(0.0, (utcnow() - oldest).total_seconds())
    return int(count), age


async def undelivered(session: AsyncSession, event_class: type[DomainEvent], subject: str) -> bool:
    """Whether an event of this class about this subject is still waiting for its consumers."""
    stmt = (
        select(OutboxEvent.id)
        .where(
            OutboxEvent.type == event_class.event_type,
            OutboxEvent.subject == subject,
            OutboxEvent.dispatched_at.is_(None),
        )
        .limit(1)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first() is not None


async def purge_dispatched(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete events delivered before ``older_than``, with their handlers' receipts.

    Receipts only guard against redelivery, and a dispatched event is never delivered again, so they
    can go with it. Undispatched events are kept whatever their age: they are work still to do.
    """
    delivered = select(OutboxEvent.id).where(
        OutboxEvent.dispatched_at.is_not(None), OutboxEvent.dispatched_at < older_than
    )
    await session.execute(
        delete(ProcessedEvent)
        .where(ProcessedEvent.event_id.in_(delivered))
        .execution_options(synchronize_session=False, **all_tenants())
    )
    result = await session.execute(
        delete(OutboxEvent)
        .where(OutboxEvent.dispatched_at.is_not(None), OutboxEvent.dispatched_at < older_than)
        .execution_options(synchronize_session=False, **all_tenants())
    )
    return int(getattr(result, "rowcount", 0) or 0)
