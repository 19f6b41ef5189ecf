"""Moving committed outbox rows to consumers, at least once.

The loop leases a batch, hands each event to an :class:`EventRelay`, and marks it dispatched. A
crash between hand-off and mark means redelivery after the lease runs out, which is why consumers
record processed ids. The in-process relay runs the registered handlers directly (embedded mode and
``rolecall worker`` in embedded mode); the broker relay (RabbitMQ, :mod:`.broker`) implements the
same interface, plus a batch form the loop uses when present.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Protocol

import structlog
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.models import OutboxEvent, ProcessedEvent
from rolecall.platform.events.outbox import on_commit_wakeup, to_envelope
from rolecall.platform.events.registry import HandlerRegistry, Registration
from rolecall.platform.tenancy import all_tenants, bind_organisation

log = structlog.get_logger("rolecall.events")
LEASE = timedelta(seconds=60)


class EventRelay(Protocol):
    async def publish(self, event: CloudEvent) -> None:
        """Deliver one event or raise; raising leaves it in the outbox for a later retry."""


#: Optional batch form of :meth:`EventRelay.publish` a relay may offer (``publish_many``): one result
#: per event, ``None`` for delivered; raising means the whole batch could not be attempted.
PublishMany = Callable[[Sequence[CloudEvent]], Awaitable[list[BaseException | None]]]


class InProcessRelay:
    """Runs each registered handler in its own transaction, skipping those that already ran."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], registry: HandlerRegistry) -> None:
        self._sessionmaker = sessionmaker
        self._registry = registry

    async def publish(self, event: CloudEvent) -> None:
        for registration in self._registry.for_type(event.type):
            await run_handler(self._sessionmaker, registration, event)


async def run_handler(
    sessionmaker: async_sessionmaker[AsyncSession], registration: Registration, event: CloudEvent
) -> bool:
    """Run one handler for one event in its own transaction, once: the receipt is written in the same
    transaction as the handler's changes. Returns False when it had already run (a redelivery).

    Both the in-process relay and the broker's consumers deliver through here, so a handler behaves
    the same in embedded mode and behind RabbitMQ. The registration's ``prepare`` step, if any,
    runs first, outside the transaction (it only warms caches, so running it for a redelivery is
    harmless).
    """
    if registration.prepare is not None:
        await registration.prepare(sessionmaker, event)
    async with transaction(sessionmaker) as session:
        bind_organisation(session, event.organisationid)
        done = await session.get(ProcessedEvent, (registration.name, event.id))
        if done is not None:
            return False
        await registration.fn(session, event)
        session.add(ProcessedEvent(handler=registration.name, event_id=event.id))
    return True


async def run_handler_batch(
    sessionmaker: async_sessionmaker[AsyncSession], registration: Registration, events: list[CloudEvent]
) -> int:
    """Run one handler for several events: one transaction per organisation, each event once.

    The receipts already written are read in one query, and the handler's changes and the new
    receipts commit together, so the batch is all or nothing (the caller falls back to
    :func:`run_handler` per event when it fails). Returns how many events the handler ran for.
    """
    by_organisation: dict[uuid.UUID, list[CloudEvent]] = {}
    for event in events:
        by_organisation.setdefault(event.organisationid, []).append(event)
    ran = 0
    for organisation_id, group in by_organisation.items():
        if registration.prepare is not None:
            for event in group:
                await registration.prepare(sessionmaker, event)
        async with transaction(sessionmaker) as session:
            bind_organisation(session, organisation_id)
            receipts = select(ProcessedEvent.event_id).where(
                ProcessedEvent.handler == registration.name,
                ProcessedEvent.event_id.in_([event.id for event in group]),
            )
            done = set((await session.scalars(receipts)).all())
            for event in group:
                if event.id in done:
                    continue  # a redelivery, or the same event twice in one batch
                await registration.fn(session, event)
                session.add(ProcessedEvent(handler=registration.name, event_id=event.id))
                done.add(event.id)
                ran += 1
    return ran


class OutboxDispatcher:
    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        relay: EventRelay,
        *,
        batch_size: int = 100,
        poll_seconds: float = 0.5,
        max_attempts: int = 10,
        lease: timedelta = LEASE,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._relay = relay
        # How long a leased batch is this dispatcher's: long enough to deliver it (in process that
        # includes running every handler; to a broker only a confirmed publish), short enough that
        # a dispatcher killed mid-batch does not delay its events for long.
        self._lease = lease
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._max_attempts = max_attempts
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Let :meth:`run_forever` finish the round in progress and return.

        Cancelling instead would abandon leased events until their lease runs out, and could cut a
        handler's transaction short.
        """
        self._stopping = True
        self._wake.set()

    async def _lease_batch(self) -> list[OutboxEvent]:
        now = utcnow()
        async with transaction(self._sessionmaker) as session:
            stmt = (
                select(OutboxEvent)
                .where(
                    OutboxEvent.dispatched_at.is_(None),
                    OutboxEvent.available_at <= now,
                    OutboxEvent.attempts < self._max_attempts,
                    or_(OutboxEvent.leased_until.is_(None), OutboxEvent.leased_until < now),
                )
                .order_by(OutboxEvent.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
                .execution_options(**all_tenants())
            )
            rows = list((await session.scalars(stmt)).all())
            for row in rows:
                row.leased_until = now + self._lease
            return rows

    async def dispatch_once(self) -> int:
        """Deliver one batch; returns how many events were delivered."""
        rows = await self._lease_batch()
        publish_many = getattr(self._relay, "publish_many", None)
        if publish_many is not None and rows:
            return await self._dispatch_batch(rows, publish_many)
        delivered = 0
        for row in rows:
            try:
                await self._relay.publish(to_envelope(row))
            except Exception as exc:
                await self._record_failure(row, exc)
                log.warning(
                    "event_delivery_failed",
                    event_id=str(row.id),
                    event_type=row.type,
                    error=type(exc).__name__,
                )
                continue
            await self._mark(row, dispatched=True)
            delivered += 1
        return delivered

    async def _dispatch_batch(self, rows: list[OutboxEvent], publish_many: PublishMany) -> int:
        """Hand the whole batch over at once (a broker pipelines the confirms), then mark it in one
        statement. ``publish_many`` raising means no event is at fault (the broker is unreachable):
        the leases are released without counting an attempt, and the round fails."""
        try:
            results = await publish_many([to_envelope(row) for row in rows])
        except Exception:
            await self._release([row.id for row in rows])
            raise
        sent = [row.id for row, error in zip(rows, results, strict=True) if error is None]
        if sent:
            async with transaction(self._sessionmaker) as session:
                await session.execute(
                    update(OutboxEvent)
                    .where(OutboxEvent.id.in_(sent))
                    .values(dispatched_at=utcnow(), leased_until=None)
                    .execution_options(**all_tenants())
                )
        for row, error in zip(rows, results, strict=True):
            if error is not None:
                exc = error if isinstance(error, Exception) else RuntimeError(repr(error))
                await self._record_failure(row, exc)
                log.warning(
                    "event_delivery_failed",
                    event_id=str(row.id),
                    event_type=row.type,
                    error=type(exc).__name__,
                )
        return len(sent)

    async def _release(self, ids: list[uuid.UUID]) -> None:
        async with transaction(self._sessionmaker) as session:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id.in_(ids))
                .values(leased_until=None)
                .execution_options(**all_tenants())
            )

    async def _mark(self, row: OutboxEvent, *, dispatched: bool) -> None:
        async with transaction(self._sessionmaker) as session:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == row.id)
                .values(dispatched_at=utcnow() if dispatched else None, leased_until=None)
                .execution_options(**all_tenants())
            )

    async def _record_failure(self, row: OutboxEvent, exc: Exception) -> None:
        attempts = row.attempts + 1
        backoff = timedelta(seconds=min(300, 2**attempts))
        async with transaction(self._sessionmaker) as session:
            await session.execute(
                update(OutboxEvent)
                .where(OutboxEvent.id == row.id)
                .values(
                    attempts=attempts,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    available_at=utcnow() + backoff,
                    leased_until=None,
                )
                .execution_options(**all_tenants())
            )

    async def drain(self, max_rounds: int = 100) -> int:
        """Deliver until nothing is ready (tests, CLI one-shot)."""
        total = 0
        for _ in range(max_rounds):
            delivered = await self.dispatch_once()
            total += delivered
            if delivered == 0:
                break
        return total

    async def run_forever(self) -> None:
        unsubscribe = on_commit_wakeup(self.wake)
        try:
            while not self._stopping:
                # Cleared before the round, not after it: a commit that lands while this round runs
                # must still wake the next one instead of waiting out the poll interval.
                self._wake.clear()
                try:
                    delivered = await self.dispatch_once()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("outbox_dispatch_round_failed")
                    delivered = 0
                if delivered:
                    continue
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll_seconds)
        finally:
            unsubscribe()
