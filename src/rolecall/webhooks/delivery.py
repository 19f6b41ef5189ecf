"""Sending due deliveries: lease, sign, POST, record, retry with backoff, disable after sustained failure.

Schedule (``SCHEDULE``): the first attempt goes out as soon as the event is fanned out; after a failed
attempt the next waits 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, then 6 h, each stretched or shrunk by up
to 20 % at random (jitter, so receivers recovering from an outage are not hit by every retry at
once). That is 8 attempts over about 24 hours; then the delivery is ``failed`` (an administrator can
still redeliver it). Any 2xx answer is success; anything else (another status, a redirect, which is
never followed, a timeout, a refused address) is a failed attempt.

Sustained failure disables the endpoint, checked whenever a delivery has used up its attempts: once
``ROLECALL_WEBHOOK_DISABLE_AFTER_FAILED_EVENTS`` events in a row have, or once the endpoint has had
no successful delivery since its first failure ``ROLECALL_WEBHOOK_DISABLE_AFTER_HOURS`` ago. A
``webhook.endpoint_disabled`` event tells the organisation's administrators.

No transaction is held during a call: a round leases its rows (``SKIP LOCKED`` on PostgreSQL, so
several workers share the work), closes the transaction, sends concurrently, and records the
outcomes in new transactions, one per organisation.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit import service as audit
from rolecall.platform.clock import utcnow
from rolecall.platform.contexts import JobScope
from rolecall.platform.db import transaction
from rolecall.platform.events import feed
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.outbox import emit, to_envelope
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants, bind_organisation
from rolecall.webhooks import payloads, signing, ssrf, wakeup
from rolecall.webhooks.events import WebhookEndpointDisabled
from rolecall.webhooks.models import (
    FAILED,
    PENDING,
    SUCCEEDED,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from rolecall.webhooks.service import secrets_in_use

log = structlog.get_logger("rolecall.webhooks")

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=6),
)
JITTER = 0.2
EXCERPT_BYTES = 1024
USER_AGENT = "Rolecall-Webhooks/1.0"
TOO_LONG, TOO_MANY = "failing_since_too_long", "too_many_failed_events"


def outbound_for(settings: Any) -> ssrf.Outbound:
    return ssrf.outbound_policy(
        settings.webhook_allowed_hosts, timeout_seconds=settings.webhook_timeout_seconds
    )


@dataclass(frozen=True)
class _Leased:
    delivery_id: uuid.UUID
    organisation_id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    url: str
    attempts: int
    secrets: list[str]
    body: bytes | None  # None: nothing can be sent, for the reason in ``unsendable``
    unsendable: str | None = None


@dataclass(frozen=True)
class _Outcome:
    leased: _Leased
    attempted_at: datetime
    status_code: int | None = None
    latency_ms: int = 0
    excerpt: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status_code is not None and 200 <= self.status_code < 300


async def deliver_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Any,
    *,
    outbound: ssrf.Outbound | None = None,
    keyring: KeyRing | None = None,
    schedule: Sequence[timedelta] = SCHEDULE,
    jitter: float = JITTER,
    batch_size: int | None = None,
) -> int:
    """One round: send every due delivery (up to the batch size); returns how many were attempted."""
    policy = outbound or outbound_for(settings)
    keys = keyring or settings.pii_keyring()
    size = batch_size or settings.webhook_batch_size
    # Long enough for the whole round at the worst (every call timing out), so another worker does
    # not send a delivery again while this one is still on it; a crashed worker's rows come back
    # after it.
    waves = -(-size // settings.webhook_concurrency)
    lease = timedelta(seconds=policy.timeout_seconds * waves + 15)
    leased = await _lease(sessionmaker, keys, size, lease)
    if not leased:
        return 0
    limit = asyncio.Semaphore(settings.webhook_concurrency)
    # One client (connection pool) per host name: connections go to checked addresses, and one
    # opened with another name's TLS server name must never carry this name's deliveries (several
    # receivers can share an address behind a CDN).
    clients: dict[str, httpx.AsyncClient] = {}

    def client_for(url: str) -> httpx.AsyncClient:
        host = (urlsplit(url).hostname or "").lower()
        if host not in clients:
            clients[host] = httpx.AsyncClient(
                transport=policy.transport, timeout=policy.timeout_seconds, follow_redirects=False
            )
        return clients[host]

    async def send(item: _Leased) -> _Outcome:
        async with limit:
            return await _send(client_for(item.url), policy, item)

    try:
        outcomes = await asyncio.gather(*(send(item) for item in leased))
    finally:
        for client in clients.values():
            await client.aclose()
    by_organisation: dict[uuid.UUID, list[_Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_organisation[outcome.leased.organisation_id].append(outcome)
    for organisation_id, batch in by_organisation.items():
        await _record(sessionmaker, settings, organisation_id, batch, schedule, jitter)
    return len(leased)


async def _lease(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, batch_size: int, lease: timedelta
) -> list[_Leased]:
    now = utcnow()
    async with transaction(sessionmaker) as session:
        stmt = (
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(
                WebhookDelivery.status == PENDING,
                WebhookDelivery.next_attempt_at <= now,
                or_(WebhookDelivery.leased_until.is_(None), WebhookDelivery.leased_until < now),
                WebhookEndpoint.enabled.is_(True),
            )
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True, of=WebhookDelivery)
            .execution_options(**all_tenants())
        )
        rows = [(d, e) for d, e in (await session.execute(stmt)).all()]
        if not rows:
            return []
        events = await feed.by_ids(session, {d.event_id for d, _ in rows}, across_tenants=True)
        leased = []
        # An event going to many endpoints is redacted once per grant; an endpoint's secrets are
        # opened once per round.
        bodies: dict[tuple[uuid.UUID, bool], tuple[bytes | None, str | None]] = {}
        secrets: dict[uuid.UUID, list[str]] = {}
        for delivery, endpoint in rows:
            delivery.leased_until = now + lease
            key = (delivery.event_id, endpoint.grants_candidates_read)
            if key not in bodies:
                bodies[key] = _body(events.get(delivery.event_id), personal=endpoint.grants_candidates_read)
            if endpoint.id not in secrets:
                secrets[endpoint.id] = secrets_in_use(endpoint, keyring, now)
            leased.append(
                _Leased(
                    delivery_id=delivery.id,
                    organisation_id=delivery.organisation_id,
                    endpoint_id=endpoint.id,
                    event_id=delivery.event_id,
                    url=endpoint.url,
                    attempts=delivery.attempts,
                    secrets=secrets[endpoint.id],
                    body=bodies[key][0],
                    unsendable=bodies[key][1],
                )
            )
        return leased


def _body(row: OutboxEvent | None, *, personal: bool) -> tuple[bytes | None, str | None]:
    """The signed body, or why there is none (such a delivery fails at once, without a call)."""
    if row is None:
        return None, "the event is no longer retained"
    envelope = to_envelope(row)
    try:
        data = payloads.data_for_receiver(envelope, personal=personal)
    except Exception:
        # One unreadable event must not hold back the round; it is logged and fails alone.
        log.exception("webhook_payload_failed", event_id=str(row.id), event_type=row.type)
        return None, "the event does not match its declared type"
    if data is None:
        return None, "the event type is not public"
    return payloads.webhook_body(envelope, data), None


async def _send(client: httpx.AsyncClient, policy: ssrf.Outbound, item: _Leased) -> _Outcome:
    attempted_at = utcnow()
    if item.body is None:
        return _Outcome(item, attempted_at, error=item.unsendable)
    headers = {
        **signing.headers(item.secrets, str(item.event_id), attempted_at, item.body),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }
    started = time.perf_counter()

    def elapsed() -> int:
        return round((time.perf_counter() - started) * 1000)

    try:
        request = await ssrf.pinned_request(client, item.url, policy, content=item.body, headers=headers)
        response = await client.send(request, stream=True)
        try:
            excerpt = await _excerpt(response)
        finally:
            await response.aclose()
    except ssrf.TargetRefused as exc:
        return _Outcome(item, attempted_at, latency_ms=elapsed(), error=f"refused: {exc}")
    except httpx.TimeoutException:
        return _Outcome(item, attempted_at, latency_ms=elapsed(), error="timed out")
    except httpx.HTTPError as exc:
        return _Outcome(item, attempted_at, latency_ms=elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])
    return _Outcome(
        item, attempted_at, status_code=response.status_code, latency_ms=elapsed(), excerpt=excerpt
    )


async def _excerpt(response: httpx.Response) -> str | None:
    read = b""
    async for chunk in response.aiter_bytes():
        read += chunk
        if len(read) >= EXCERPT_BYTES:
            break
    return read[:EXCERPT_BYTES].decode("utf-8", errors="replace") or None


@dataclass
class _EndpointState:
    record: WebhookEndpoint
    failing_since: datetime | None
    exhausted_in_a_row: int
    touched: bool = False
    disable: str | None = None
    last_error: str | None = None


async def _record(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Any,
    organisation_id: uuid.UUID,
    outcomes: list[_Outcome],
    schedule: Sequence[timedelta],
    jitter: float,
) -> None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        deliveries = {
            d.id: d
            for d in (
                await session.scalars(
                    select(WebhookDelivery).where(
                        WebhookDelivery.id.in_([o.leased.delivery_id for o in outcomes])
                    )
                )
            ).all()
        }
        endpoint_ids = {o.leased.endpoint_id for o in outcomes}
        states = {
            e.id: _EndpointState(e, e.failing_since, e.exhausted_in_a_row)
            for e in (
                await session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.id.in_(endpoint_ids)))
            ).all()
        }
        for outcome in sorted(outcomes, key=lambda o: o.attempted_at):
            delivery = deliveries.get(outcome.leased.delivery_id)
            state = states.get(outcome.leased.endpoint_id)
            if delivery is None or state is None:
                continue  # deleted with its endpoint while we were sending
            _apply(settings, delivery, state, outcome, schedule, jitter)
            session.add(
                WebhookAttempt(
                    delivery_id=delivery.id,
                    attempted_at=outcome.attempted_at,
                    status_code=outcome.status_code,
                    latency_ms=outcome.latency_ms,
                    response_excerpt=outcome.excerpt,
                    error=outcome.error,
                )
            )
        for state in states.values():
            if state.touched:
                await _save_endpoint(session, state)


def _apply(
    settings: Any,
    delivery: WebhookDelivery,
    state: _EndpointState,
    outcome: _Outcome,
    schedule: Sequence[timedelta],
    jitter: float,
) -> None:
    now = outcome.attempted_at
    delivery.attempts += 1
    delivery.leased_until = None
    delivery.last_status_code = outcome.status_code
    delivery.last_latency_ms = outcome.latency_ms
    if outcome.leased.body is None:
        # Nothing was sent: not the receiver's failure, so the endpoint's record is left alone.
        delivery.status, delivery.next_attempt_at, delivery.last_error = FAILED, None, outcome.error
        return
    state.touched = True
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.last_error = SUCCEEDED, now, None
        state.failing_since, state.exhausted_in_a_row = None, 0
        return
    error = outcome.error or f"HTTP {outcome.status_code}"
    delivery.last_error = state.last_error = error[:500]
    state.failing_since = state.failing_since or now
    if delivery.attempts <= len(schedule):
        delay = schedule[delivery.attempts - 1].total_seconds() * random.uniform(1 - jitter, 1 + jitter)
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        return
    delivery.status, delivery.next_attempt_at = FAILED, None
    state.exhausted_in_a_row += 1
    if state.exhausted_in_a_row >= settings.webhook_disable_after_failed_events:
        state.disable = TOO_MANY
    elif now - state.failing_since >= timedelta(hours=settings.webhook_disable_after_hours):
        state.disable = TOO_LONG


async def _save_endpoint(session: AsyncSession, state: _EndpointState) -> None:
    """Counters are written with a plain UPDATE: an administrator's concurrent edit of the endpoint
    must neither fail this round nor be overwritten by it."""
    record = state.record
    values: dict[str, Any] = {
        "failing_since": state.failing_since,
        "exhausted_in_a_row": state.exhausted_in_a_row,
    }
    disable = state.disable is not None and record.enabled
    if disable:
        now = utcnow()
        values.update(
            enabled=False, disabled_reason=state.disable, disabled_at=now, version=WebhookEndpoint.version + 1
        )
    await session.execute(
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == record.id)
        .values(values)
        .execution_options(synchronize_session=False)
    )
    if disable:
        emit(
            session,
            WebhookEndpointDisabled(
                endpoint_id=record.id,
                url=record.url,
                reason=str(state.disable),
                failing_since=state.failing_since,
                last_error=state.last_error,
            ),
        )
        audit.record(
            session,
            actor="system:webhooks",
            action="webhook.endpoint_disabled",
            target_type="webhook_endpoint",
            target_id=record.id,
            reason=state.disable,
        )
        log.warning("webhook_endpoint_disabled", endpoint_id=str(record.id), reason=state.disable)


async def run_delivery_loop(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Any,
    stop: asyncio.Event,
    *,
    poll_seconds: float = 1.0,
    outbound: ssrf.Outbound | None = None,
) -> None:
    """Deliver until ``stop`` is set: back to back while there is work; when idle, as soon as this
    process queues a delivery, and every ``poll_seconds`` for retries and other processes' rows."""
    wake = asyncio.Event()
    unsubscribe = wakeup.subscribe(wake)
    keyring = settings.pii_keyring()
    try:
        while not stop.is_set():
            # Cleared before the round: a commit landing during it must wake the next one.
            wake.clear()
            try:
                sent = await deliver_due(sessionmaker, settings, outbound=outbound, keyring=keyring)
            except Exception:
                log.exception("webhook_delivery_round_failed")
                sent = 0
            if sent:
                continue
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            try:
                await asyncio.wait(waiters, timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()
    finally:
        unsubscribe()


async def deliver_job(scope: JobScope) -> int:
    """The scheduled-job form of a round, for workers that do not run :func:`run_delivery_loop`."""
    return await deliver_due(scope.sessionmaker, scope.settings)


async def purge_log(sessionmaker: async_sessionmaker[AsyncSession], *, older_than: datetime) -> int:
    """Delete finished deliveries last touched before ``older_than``, with their attempts."""
    finished = select(WebhookDelivery.id).where(
        WebhookDelivery.status.in_([SUCCEEDED, FAILED]), WebhookDelivery.updated_at < older_than
    )
    async with transaction(sessionmaker) as session:
        await session.execute(
            delete(WebhookAttempt)
            .where(WebhookAttempt.delivery_id.in_(finished))
            .execution_options(**all_tenants(), synchronize_session=False)
        )
        result = await session.execute(
            delete(WebhookDelivery)
            .where(WebhookDelivery.id.in_(finished))
            .execution_options(**all_tenants(), synchronize_session=False)
        )
    return int(getattr(result, "rowcount", 0) or 0)


async def purge_job(scope: JobScope) -> int:
    days = scope.settings.webhook_log_retention_days
    return await purge_log(scope.sessionmaker, older_than=utcnow() - timedelta(days=days))
