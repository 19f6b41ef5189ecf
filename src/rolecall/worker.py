"""The worker process: delivers outbox events and runs periodic housekeeping.

In production it runs beside API replicas started with ``ROLECALL_EMBEDDED_WORKER=false``; any number
of workers may run, since the outbox lease (and ``SKIP LOCKED`` on PostgreSQL) hands each event to one.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity.housekeeping import purge_expired_credentials
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.events.registry import registry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.idempotency import purge_expired

log = structlog.get_logger("rolecall.worker")
HOUSEKEEPING_SECONDS = 300.0


async def housekeeping(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    """Drop rows whose only purpose has expired: idempotency records, revoked token ids, old throttles."""
    async with transaction(sessionmaker) as session:
        counts = {"idempotency_keys": await purge_expired(session)}
        counts.update(await purge_expired_credentials(session))
    return counts


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    sessionmaker = create_sessionmaker(engine)
    dispatcher = OutboxDispatcher(
        sessionmaker,
        InProcessRelay(sessionmaker, registry),
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
    )
    stop = stop or asyncio.Event()
    relay_task = asyncio.create_task(dispatcher.run_forever(), name="rolecall-outbox")
    log.info("worker_started")
    try:
        while not stop.is_set():
            try:
                counts = await housekeeping(sessionmaker)
                log.info("housekeeping_done", **counts)
            except Exception:
                log.exception("housekeeping_failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_SECONDS)
    finally:
        relay_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await relay_task
        await engine.dispose()
        log.info("worker_stopped")
