"""The worker process: delivers outbox events and runs periodic housekeeping.

In production it runs beside API replicas started with ``ROLECALL_EMBEDDED_WORKER=false``; any number
of workers may run, since the outbox lease (and ``SKIP LOCKED`` on PostgreSQL) hands each event to one.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from functools import partial

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity.housekeeping import purge_expired_credentials
from rolecall.identity.tokens import KeyRing
from rolecall.platform.clock import utcnow
from rolecall.platform.contexts import JobScope, ScheduledJob, discover
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.events.broker import BrokerConfig
from rolecall.platform.events.consumer import BrokerRuntime, start_broker
from rolecall.platform.events.outbox import purge_dispatched
from rolecall.platform.events.registry import registry
from rolecall.platform.events.relay import LEASE, InProcessRelay, OutboxDispatcher
from rolecall.platform.idempotency import purge_expired

log = structlog.get_logger("rolecall.worker")
HOUSEKEEPING_SECONDS = 300.0
STOP_GRACE_SECONDS = 20.0
BROKER_LEASE = timedelta(seconds=5)


async def housekeeping(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings | None = None
) -> dict[str, int]:
    """Drop rows whose only purpose has expired, and rotate the signing key once it is too old.

    Rotation lives here rather than only at API start-up because an API process may run for longer
    than the rotation period; running replicas pick the new key up on their next key-table reload.
    """
    async with transaction(sessionmaker) as session:
        counts = {"idempotency_keys": await purge_expired(session)}
        counts.update(await purge_expired_credentials(session))
        days = (
            settings.outbox_retention_days
            if settings
            else Settings.model_fields["outbox_retention_days"].default
        )
        retention = timedelta(days=days)
        counts["outbox_events"] = await purge_dispatched(session, older_than=utcnow() - retention)
        if settings is not None:
            await KeyRing(settings).ensure_active(session)
    return counts


async def _run(name: str, job: Callable[[], Awaitable[dict[str, int] | int]]) -> dict[str, int] | None:
    """One scheduled job, its failure logged and contained, so it never holds the others back."""
    try:
        result = await job()
    except Exception:
        log.exception("scheduled_job_failed", job=name)
        return None
    return result if isinstance(result, dict) else {name: result}


def scheduled_jobs() -> list[ScheduledJob]:
    """Every context's declared periodic work, in context order."""
    return [job for context in discover() for job in context.jobs]


async def run_scheduled_jobs(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    last_runs: dict[str, datetime] | None = None,
) -> dict[str, int]:
    """Run the contexts' scheduled jobs that are due: offer expiry, stalled sagas, overdue assessments,
    partner callbacks, retention (hourly)...

    Each job runs on its own (in its own transactions, per organisation where it matters), so one
    failing does not hold the others back; the next round tries again. A job with ``every`` runs at
    most that often, counted from its last *successful* run, which ``last_runs`` records (a failed
    run is retried next round, not a whole period later). Returns the counts for the log.
    """
    counts: dict[str, int] = {}
    scope = JobScope(sessionmaker, settings)
    last_runs = {} if last_runs is None else last_runs
    for job in scheduled_jobs():
        previous = last_runs.get(job.name)
        if job.every is not None and previous is not None and utcnow() - previous < job.every:
            continue
        result = await _run(job.name, partial(job.run, scope))
        if result is not None:
            last_runs[job.name] = utcnow()
        counts.update(result or {})
    return counts


class BackgroundJobs:
    """Outbox relay plus periodic housekeeping: run by ``rolecall worker``, or inside the API process
    when ``ROLECALL_EMBEDDED_WORKER`` is on (the zero-set-up SQLite mode)."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._settings = settings
        self._sessionmaker = sessionmaker
        discover()  # imports every context's handlers modules, which subscribes them
        # With a broker, the relay publishes to RabbitMQ and this process also consumes there;
        # without one, handlers run in process (embedded mode). The same handlers run in both.
        broker = BrokerConfig.from_settings(settings)
        self.broker: BrokerRuntime | None = start_broker(broker, sessionmaker, registry) if broker else None
        self.dispatcher = OutboxDispatcher(
            sessionmaker,
            self.broker.relay if self.broker is not None else InProcessRelay(sessionmaker, registry),
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_attempts=settings.outbox_max_attempts,
            # Publishing a batch to the broker takes milliseconds: a killed worker's leased rows are
            # taken over after seconds, not the minute in-process handlers may need.
            lease=BROKER_LEASE if self.broker is not None else LEASE,
        )

    async def run(self, stop: asyncio.Event) -> None:
        if self.broker is not None:
            await self.broker.start()  # declares the topology and starts consuming
        relay_task = asyncio.create_task(self.dispatcher.run_forever(), name="rolecall-outbox")
        # Contexts' long-running loops (webhook delivery), stopped by the same event as this one.
        loops = [
            asyncio.create_task(
                loop(self._sessionmaker, self._settings, stop), name=f"rolecall-{context.name}"
            )
            for context in discover()
            for loop in context.loops
        ]
        last_runs: dict[str, datetime] = {}
        try:
            while not stop.is_set():
                try:
                    counts = await housekeeping(self._sessionmaker, self._settings)
                    log.info("housekeeping_done", **counts)
                except Exception:
                    log.exception("housekeeping_failed")
                counts = await run_scheduled_jobs(self._sessionmaker, self._settings, last_runs)
                log.info("scheduled_jobs_done", **counts)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_SECONDS)
        finally:
            self.dispatcher.stop()
            try:
                # wait_for cancels the relay if its round overruns the grace period.
                await asyncio.wait_for(relay_task, timeout=STOP_GRACE_SECONDS)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("outbox_relay_cancelled")
            if loops:
                stop.set()  # also when this ends by an error: the loops must not outlive it
                _, pending = await asyncio.wait(loops, timeout=STOP_GRACE_SECONDS)
                for task in pending:
                    task.cancel()
                    log.warning("background_loop_cancelled", task=task.get_name())
            if self.broker is not None:
                await self.broker.close()


def _stop_on_signals(stop: asyncio.Event) -> list[signal.Signals]:
    """SIGTERM (what container runtimes send) and SIGINT end the worker gracefully."""
    loop = asyncio.get_running_loop()
    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, stop.set)
            installed.append(signum)
    return installed


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Run until ``stop`` is set; without one, until the process receives SIGTERM or SIGINT."""
    signals: list[signal.Signals] = []
    if stop is None:
        stop = asyncio.Event()
        signals = _stop_on_signals(stop)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    log.info("worker_started")
    try:
        await BackgroundJobs(settings, create_sessionmaker(engine)).run(stop)
    finally:
        loop = asyncio.get_running_loop()
        for signum in signals:
            loop.remove_signal_handler(signum)
        await engine.dispose()
        log.info("worker_stopped")
