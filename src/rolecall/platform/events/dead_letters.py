"""Events nobody managed to process, in either mode, for the gauge and ``rolecall events requeue``.

* Embedded mode (and the publishing side of broker mode): outbox rows whose delivery failed
  ``outbox_max_attempts`` times. The dispatcher no longer leases them; they wait for an operator.
* Broker mode: messages in the handlers' dead-letter queues (``<prefix>.<handler>.dead``).
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field

import aio_pika
import structlog
from aio_pika.abc import AbstractConnection
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.events.broker import BrokerConfig, dead_letter_counts, requeue_dead_letters
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.registry import HandlerRegistry
from rolecall.platform.tenancy import all_tenants

log = structlog.get_logger("rolecall.events.dead_letters")


def _exhausted(max_attempts: int) -> list[ColumnElement[bool]]:
    return [OutboxEvent.dispatched_at.is_(None), OutboxEvent.attempts >= max_attempts]


async def exhausted_outbox_events(session: AsyncSession, *, max_attempts: int) -> int:
    stmt = (
        select(func.count(OutboxEvent.id)).where(*_exhausted(max_attempts)).execution_options(**all_tenants())
    )
    return int((await session.execute(stmt)).scalar_one())


async def requeue_outbox_events(session: AsyncSession, *, max_attempts: int, limit: int | None = None) -> int:
    """Give exhausted outbox rows a fresh set of attempts, oldest first; returns how many."""
    ids = select(OutboxEvent.id).where(*_exhausted(max_attempts)).order_by(OutboxEvent.id)
    if limit is not None:
        ids = ids.limit(limit)
    chosen = list((await session.scalars(ids.execution_options(**all_tenants()))).all())
    if not chosen:
        return 0
    await session.execute(
        update(OutboxEvent)
        .where(OutboxEvent.id.in_(chosen))
        .values(attempts=0, available_at=utcnow(), leased_until=None)
        .execution_options(synchronize_session=False, **all_tenants())
    )
    return len(chosen)


@dataclass
class DeadLetterProbe:
    """Reads the dead-letter queues' depths for the metrics scrape.

    Keeps one connection between scrapes (opening one per scrape would cost more than the scrape)
    and gives up quickly when the broker does not answer, so ``/metrics`` never hangs on it.
    """

    config: BrokerConfig
    timeout: float = 2.0
    _connection: AbstractConnection | None = field(default=None, init=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False)

    async def total(self, registry: HandlerRegistry) -> int | None:
        """Messages in all dead-letter queues, or None when the broker could not be asked."""
        async with self._lock:
            try:
                if self._connection is None or self._connection.is_closed:
                    self._connection = await asyncio.wait_for(
                        aio_pika.connect(self.config.url), timeout=self.timeout
                    )
                counts = await asyncio.wait_for(
                    dead_letter_counts(self._connection, self.config, registry), timeout=self.timeout
                )
            except (TimeoutError, OSError, aio_pika.exceptions.AMQPError) as exc:
                log.warning("dead_letter_probe_failed", error=type(exc).__name__)
                await self.close()
                return None
            return sum(counts.values())

    async def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None


@dataclass(frozen=True)
class Requeued:
    outbox: int
    broker: dict[str, int]


async def requeue(
    sessionmaker: async_sessionmaker[AsyncSession],
    registry: HandlerRegistry,
    *,
    max_attempts: int,
    broker: BrokerConfig | None,
    handler: str | None = None,
    limit: int | None = None,
) -> Requeued:
    """What ``rolecall events requeue`` does: exhausted outbox rows get fresh attempts (not with
    ``handler``: a row is not tied to one handler), then dead letters go back to their queues."""
    outbox = 0
    if handler is None:
        async with transaction(sessionmaker) as session:
            outbox = await requeue_outbox_events(session, max_attempts=max_attempts, limit=limit)
    moved: dict[str, int] = {}
    if broker is not None:
        remaining = None if limit is None else max(0, limit - outbox)
        if remaining != 0:
            connection = await aio_pika.connect(broker.url)
            try:
                moved = await requeue_dead_letters(
                    connection, broker, registry, handler=handler, limit=remaining
                )
            finally:
                await connection.close()
    return Requeued(outbox=outbox, broker=moved)
