"""Gauges refreshed at scrape time: outbox backlog and age, dead letters, running hire sagas, database
pool usage."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from rolecall.config import Settings
from rolecall.offers import service as offers
from rolecall.platform.db import transaction
from rolecall.platform.events.broker import BrokerConfig
from rolecall.platform.events.dead_letters import DeadLetterProbe, exhausted_outbox_events
from rolecall.platform.events.outbox import backlog
from rolecall.platform.events.registry import HandlerRegistry, registry

OUTBOX_BACKLOG = Gauge("rolecall_outbox_backlog", "Outbox events not yet dispatched")
OUTBOX_OLDEST_AGE = Gauge("rolecall_outbox_oldest_age_seconds", "Age of the oldest undispatched outbox event")
HIRE_SAGAS_RUNNING = Gauge(
    "rolecall_hire_sagas_running", "Hire sagas started and not yet completed or compensated"
)
HIRE_SAGA_OLDEST_AGE = Gauge(
    "rolecall_hire_saga_oldest_running_seconds", "Age of the oldest hire saga still running"
)
DB_POOL_SIZE = Gauge("rolecall_db_pool_size", "Configured connections in the database pool")
DB_POOL_CHECKED_OUT = Gauge("rolecall_db_pool_checked_out", "Database connections in use")
DB_POOL_OVERFLOW = Gauge("rolecall_db_pool_overflow", "Connections open beyond the pool size")
OUTBOX_DEAD_LETTERS = Gauge(
    "rolecall_outbox_dead_letters",
    "Events given up on: outbox rows at the attempt limit, messages in the broker's dead-letter queues",
    ["where"],
)
_dead_letter_probe: DeadLetterProbe | None = None


async def refresh_dead_letters(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, handlers: HandlerRegistry = registry
) -> None:
    """``where="outbox"`` always; ``where="broker"`` with a broker (left as it was when the broker does
    not answer, so a flapping broker does not make the alert flap)."""
    global _dead_letter_probe
    async with transaction(sessionmaker) as session:
        stuck = await exhausted_outbox_events(session, max_attempts=settings.outbox_max_attempts)
    OUTBOX_DEAD_LETTERS.labels(where="outbox").set(stuck)
    config = BrokerConfig.from_settings(settings)
    if config is None:
        return
    if _dead_letter_probe is None or _dead_letter_probe.config != config:
        _dead_letter_probe = DeadLetterProbe(config)
    dead = await _dead_letter_probe.total(handlers)
    if dead is not None:
        OUTBOX_DEAD_LETTERS.labels(where="broker").set(dead)


async def refresh(engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessionmaker) as session:
        count, age = await backlog(session)
        sagas, saga_age = await offers.saga_health(session)
    OUTBOX_BACKLOG.set(count)
    OUTBOX_OLDEST_AGE.set(age)
    HIRE_SAGAS_RUNNING.set(sagas)
    HIRE_SAGA_OLDEST_AGE.set(saga_age)
    pool = engine.sync_engine.pool
    if isinstance(pool, QueuePool):
        DB_POOL_SIZE.set(pool.size())
        DB_POOL_CHECKED_OUT.set(pool.checkedout())
        DB_POOL_OVERFLOW.set(max(0, pool.overflow()))
    else:
        # SQLite opens a connection per unit of work (NullPool): there is no pool to report.
        DB_POOL_SIZE.set(0)
        DB_POOL_CHECKED_OUT.set(pool.checkedout() if hasattr(pool, "checkedout") else 0)
        DB_POOL_OVERFLOW.set(0)
