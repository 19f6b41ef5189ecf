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

import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import handlers as assessment_handlers  # noqa: F401 - registers its consumers
from rolecall.assessments import vendor_handlers  # noqa: F401 - registers the vendor invitation
from rolecall.assessments.outbound import outbound_policy
from rolecall.assessments.partner import base_url, deliver_callbacks
from rolecall.assessments.service import finish_overdue, refresh_flags
from rolecall.assessments.vendor_polling import poll_vendor_sessions
from rolecall.board import handlers as board_handlers  # noqa: F401 - registers the board's consumers
from rolecall.config import Settings
from rolecall.identity.housekeeping import purge_expired_credentials
from rolecall.identity.tokens import KeyRing
from rolecall.interviews import handlers as interview_handlers  # noqa: F401 - registers its consumers
from rolecall.jobs import handlers as job_handlers  # noqa: F401 - registers the jobs context's consumers
from rolecall.offers import handlers as offer_handlers  # noqa: F401 - registers the hire saga
from rolecall.offers.saga import resume_sagas
from rolecall.offers.service import expire_offers
from rolecall.pipeline import handlers as pipeline_handlers  # noqa: F401 - registers the pipeline's consumers
from rolecall.platform.clock import utcnow
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.events.outbox import purge_dispatched
from rolecall.platform.events.registry import registry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.idempotency import purge_expired
from rolecall.privacy.retention import apply_retention

log = structlog.get_logger("rolecall.worker")
HOUSEKEEPING_SECONDS = 300.0
RETENTION_INTERVAL = timedelta(hours=1)
STOP_GRACE_SECONDS = 20.0


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


async def hiring_jobs(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, retention: bool
) -> tuple[dict[str, int], bool]:
    """The pipeline's scheduled work: expire sent offers, finish stalled hire sagas, apply retention.

    Each job runs on its own (in its own transactions, per organisation where it matters), so one
    failing does not hold the others back; the next round tries again. Returns the counts and
    whether retention ran to the end.
    """
    counts: dict[str, int] = {}
    keyring, index = settings.pii_keyring(), settings.blind_index()
    policy = outbound_policy(settings.assessment_partner_allowed_hosts)
    public = base_url(settings.public_base_url, settings.issuer)
    for name, job in (
        ("offers_expired", lambda: expire_offers(sessionmaker)),
        ("sagas_resumed", lambda: resume_sagas(sessionmaker)),
        ("assessments_finished", lambda: finish_overdue(sessionmaker, keyring)),
        ("assessment_items_reflagged", lambda: refresh_flags(sessionmaker)),
        ("partner_callbacks", lambda: deliver_callbacks(sessionmaker, keyring, policy)),
        ("vendor_polls", lambda: poll_vendor_sessions(sessionmaker, keyring, index, policy, base=public)),
    ):
        counts.update(await _run(name, job) or {})
    retained = False
    if retention:
        keyring, store = settings.pii_keyring(), settings.file_store()
        done = await _run("retention", lambda: apply_retention(sessionmaker, keyring=keyring, store=store))
        retained = done is not None
        counts.update(done or {})
    return counts, retained


class BackgroundJobs:
    """Outbox relay plus periodic housekeeping: run by ``rolecall worker``, or inside the API process
    when ``ROLECALL_EMBEDDED_WORKER`` is on (the zero-set-up SQLite mode)."""

    def __init__(self, settings: Settings, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
        self._settings = settings
        self._sessionmaker = sessionmaker
        self.dispatcher = OutboxDispatcher(
            sessionmaker,
            InProcessRelay(sessionmaker, registry),
            batch_size=settings.outbox_batch_size,
            poll_seconds=settings.outbox_poll_seconds,
            max_attempts=settings.outbox_max_attempts,
        )

    async def run(self, stop: asyncio.Event) -> None:
        relay_task = asyncio.create_task(self.dispatcher.run_forever(), name="rolecall-outbox")
        last_retention: datetime | None = None
        try:
            while not stop.is_set():
                try:
                    counts = await housekeeping(self._sessionmaker, self._settings)
                    log.info("housekeeping_done", **counts)
                except Exception:
                    log.exception("housekeeping_failed")
                # Retention runs about hourly, counted from its last complete run (a failed run is
                # retried next round, not an hour later).
                due = last_retention is None or utcnow() - last_retention >= RETENTION_INTERVAL
                counts, retained = await hiring_jobs(self._sessionmaker, self._settings, retention=due)
                log.info("hiring_jobs_done", **counts)
                if retained:
                    last_retention = utcnow()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=HOUSEKEEPING_SECONDS)
        finally:
            self.dispatcher.stop()
            try:
                # wait_for cancels the relay if its round overruns the grace period.
                await asyncio.wait_for(relay_task, timeout=STOP_GRACE_SECONDS)
            except (TimeoutError, asyncio.CancelledError):
                log.warning("outbox_relay_cancelled")


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
