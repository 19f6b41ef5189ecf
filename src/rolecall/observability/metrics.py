"""Gauges refreshed at scrape time: outbox backlog and age, running hire sagas, database pool usage."""

from __future__ import annotations

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from rolecall.offers import service as offers
from rolecall.platform.db import transaction
from rolecall.platform.events.outbox import backlog

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
