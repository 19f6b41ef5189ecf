"""Delivering the outbox: at least once to each handler, each handler's effect exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import ClassVar

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.identity.events import OrganisationUpdated, UserCreated
from rolecall.identity.models import User
from rolecall.platform.db import transaction
from rolecall.platform.events import base
from rolecall.platform.events.base import DomainEvent
from rolecall.platform.events.models import OutboxEvent, ProcessedEvent
from rolecall.platform.events.outbox import emit
from rolecall.platform.events.registry import HandlerRegistry, registry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.tenancy import all_tenants, bind_organisation, current_organisation
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant


class Happened(DomainEvent):
    """Something happened to a thing (the relay's tests' own event)."""

    event_type: ClassVar[str] = "test.happened"
    source: ClassVar[str] = "/tests"
    subject_template: ClassVar[str] = "things/{n}"

    n: int


class Poison(Happened):
    """An event no handler can handle."""

    event_type: ClassVar[str] = "test.poison"


class Racy(Happened):
    """An event committed while the dispatcher looks at the outbox."""

    event_type: ClassVar[str] = "test.racy"


class Slow(Happened):
    """An event whose handler takes its time."""

    event_type: ClassVar[str] = "test.slow"


class Embedded(Happened):
    """An event for the embedded worker."""

    event_type: ClassVar[str] = "test.embedded"


# Test types are not part of the published catalogue (docs/events.md, GET /v1/events/types).
for _test_event in (Happened, Poison, Racy, Slow, Embedded):
    base._CATALOGUE.pop(_test_event.event_type, None)


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    organisation_id: uuid.UUID,
    count: int = 1,
    event_class: type[Happened] = Happened,
) -> list[uuid.UUID]:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        rows = [emit(session, event_class(n=n)) for n in range(count)]
    return [r.id for r in rows]


async def outbox_row(sessionmaker: async_sessionmaker[AsyncSession], event_id: uuid.UUID) -> OutboxEvent:
    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent).where(OutboxEvent.id == event_id).execution_options(**all_tenants())
        return (await session.scalars(stmt)).one()


async def receipts(sessionmaker: async_sessionmaker[AsyncSession]) -> set[tuple[str, uuid.UUID]]:
    async with transaction(sessionmaker) as session:
        return {(r.handler, r.event_id) for r in (await session.scalars(select(ProcessedEvent))).all()}


def dispatcher_for(
    sessionmaker: async_sessionmaker[AsyncSession], handlers: HandlerRegistry, **options: int
) -> OutboxDispatcher:
    return OutboxDispatcher(sessionmaker, InProcessRelay(sessionmaker, handlers), **options)


async def test_each_event_reaches_every_handler_of_its_type(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    seen: list[tuple[str, str, str]] = []

    @handlers.subscribe(UserCreated, name="first")
    async def first(session: AsyncSession, event: UserCreated) -> None:
        seen.append(("first", event.envelope.type, event.envelope.subject))

    @handlers.subscribe(UserCreated, name="second")
    async def second(session: AsyncSession, event: UserCreated) -> None:
        seen.append(("second", event.envelope.type, event.envelope.subject))

    @handlers.subscribe(OrganisationUpdated, name="unrelated")
    async def unrelated(session: AsyncSession, event: OrganisationUpdated) -> None:
        seen.append(("unrelated", event.envelope.type, event.envelope.subject))

    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": "relay@example.com", "full_name": "R", "password": PASSWORD, "roles": ["recruiter"]},
    )
    assert response.status_code == 201
    subject = f"users/{response.json()['id']}"

    # Pending: the tenant's organisation.created and user.created, and the new user's user.created.
    assert await dispatcher_for(sessionmaker, handlers).drain() == 3

    assert sorted(s for s in seen if s[2] == subject) == [
        ("first", "user.created", subject),
        ("second", "user.created", subject),
    ]
    assert [s[0] for s in seen].count("first") == 2  # the tenant admin's user.created too
    assert all(s[0] != "unrelated" for s in seen)

    async with transaction(sessionmaker) as session:
        rows = (await session.scalars(select(OutboxEvent).execution_options(**all_tenants()))).all()
    assert all(r.dispatched_at is not None and r.leased_until is None for r in rows)
    user_events = {r.id for r in rows if r.type == "user.created"}
    assert await receipts(sessionmaker) == {(h, e) for h in ("first", "second") for e in user_events}

    # Nothing is left to deliver, and draining again runs nothing.
    assert await dispatcher_for(sessionmaker, handlers).drain() == 0
    assert len(seen) == 4


async def test_redelivery_after_a_crash_does_not_run_a_handler_twice(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    runs: Counter[uuid.UUID] = Counter()

    @handlers.subscribe(Happened, name="counter")
    async def count(session: AsyncSession, event: Happened) -> None:
        runs[event.event_id] += 1

    [event_id] = await record(sessionmaker, tenant.organisation_id)
    dispatcher = dispatcher_for(sessionmaker, handlers)
    assert await dispatcher.drain() == 3
    assert runs[event_id] == 1

    # Simulate a crash between the hand-off and marking the row dispatched: the handler ran and left
    # its receipt, but the row looks undelivered again once its lease has run out.
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == event_id)
            .values(dispatched_at=None, leased_until=None)
            .execution_options(**all_tenants())
        )

    assert await dispatcher.drain() == 1  # redelivered...
    assert runs[event_id] == 1  # ...but the handler's receipt made it a no-op
    assert (await outbox_row(sessionmaker, event_id)).dispatched_at is not None
    assert await receipts(sessionmaker) == {("counter", event_id)}


async def test_a_leased_event_is_not_handed_out_again_until_its_lease_expires(
    clock: FrozenClock, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    runs: list[uuid.UUID] = []

    @handlers.subscribe(Happened, name="counter")
    async def count(session: AsyncSession, event: Happened) -> None:
        runs.append(event.event_id)

    [event_id] = await record(sessionmaker, tenant.organisation_id)
    # Another worker leased the event and died before delivering it.
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(OutboxEvent)
            .values(leased_until=clock.now + timedelta(seconds=30))
            .execution_options(**all_tenants())
        )
    dispatcher = dispatcher_for(sessionmaker, handlers)
    assert await dispatcher.drain() == 0
    clock.advance(seconds=31)
    assert await dispatcher.drain() == 3
    assert runs == [event_id]


async def test_a_failing_handler_is_retried_with_backoff_without_repeating_the_others(
    clock: FrozenClock, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    runs: Counter[str] = Counter()
    failures_left = {"n": 2}

    @handlers.subscribe(Happened, name="steady")
    async def steady(session: AsyncSession, event: Happened) -> None:
        runs["steady"] += 1

    @handlers.subscribe(Happened, name="flaky")
    async def flaky(session: AsyncSession, event: Happened) -> None:
        runs["flaky"] += 1
        if failures_left["n"]:
            failures_left["n"] -= 1
            raise ConnectionError("downstream unavailable")

    [event_id] = await record(sessionmaker, tenant.organisation_id)
    dispatcher = dispatcher_for(sessionmaker, handlers)
    assert await dispatcher.drain() == 2  # the tenant's own events had no handlers and went through

    row = await outbox_row(sessionmaker, event_id)
    assert row.dispatched_at is None
    assert row.leased_until is None
    assert row.attempts == 1
    assert row.last_error == "ConnectionError: downstream unavailable"
    assert row.available_at == clock.now + timedelta(seconds=2)
    assert runs == {"steady": 1, "flaky": 1}

    # Not before the backoff has passed.
    assert await dispatcher.drain() == 0
    clock.advance(seconds=2)
    assert await dispatcher.drain() == 0  # fails again
    row = await outbox_row(sessionmaker, event_id)
    assert row.attempts == 2
    assert row.available_at == clock.now + timedelta(seconds=4)  # exponential

    clock.advance(seconds=4)
    assert await dispatcher.drain() == 1
    assert runs == {"steady": 1, "flaky": 3}  # the successful handler never ran again
    row = await outbox_row(sessionmaker, event_id)
    assert row.dispatched_at is not None
    assert await receipts(sessionmaker) == {("steady", event_id), ("flaky", event_id)}


async def test_an_event_that_keeps_failing_stops_after_max_attempts(
    clock: FrozenClock, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    runs: list[uuid.UUID] = []

    @handlers.subscribe(Poison, name="always-fails")
    async def always_fails(session: AsyncSession, event: Poison) -> None:
        runs.append(event.event_id)
        raise ValueError("cannot handle this")

    [event_id] = await record(sessionmaker, tenant.organisation_id, event_class=Poison)
    dispatcher = dispatcher_for(sessionmaker, handlers, max_attempts=3)
    for _ in range(6):
        await dispatcher.drain()
        clock.advance(seconds=600)
    assert runs == [event_id] * 3
    row = await outbox_row(sessionmaker, event_id)
    assert row.attempts == 3
    assert row.dispatched_at is None
    assert row.last_error == "ValueError: cannot handle this"


async def test_handlers_run_scoped_to_the_events_organisation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    handlers = HandlerRegistry()
    observed: dict[uuid.UUID, tuple[uuid.UUID | None, set[uuid.UUID]]] = {}

    @handlers.subscribe(Happened, name="scope-probe")
    async def probe(session: AsyncSession, event: Happened) -> None:
        # A tenant-scoped query inside a handler must only ever see the event's organisation.
        users = (await session.scalars(select(User))).all()
        observed[event.event_id] = (current_organisation(session), {u.organisation_id for u in users})

    [mine] = await record(sessionmaker, tenant.organisation_id)
    [theirs] = await record(sessionmaker, other_tenant.organisation_id)
    assert await dispatcher_for(sessionmaker, handlers).drain() == 6

    assert observed[mine] == (tenant.organisation_id, {tenant.organisation_id})
    assert observed[theirs] == (other_tenant.organisation_id, {other_tenant.organisation_id})


async def test_concurrent_dispatchers_never_deliver_an_event_to_a_handler_twice(
    tenant: Tenant, other_tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    deliveries: list[tuple[str, uuid.UUID]] = []

    def make(name: str) -> None:
        @handlers.subscribe(Happened, name=name)
        async def handler(session: AsyncSession, event: Happened) -> None:
            deliveries.append((name, event.event_id))
            await asyncio.sleep(0.001)  # let the other dispatcher run in between

    make("alpha")
    make("beta")

    ids = await record(sessionmaker, tenant.organisation_id, 30)
    ids += await record(sessionmaker, other_tenant.organisation_id, 30)
    # Small batches and several workers, so that leases contend for the same rows.
    dispatchers = [dispatcher_for(sessionmaker, handlers, batch_size=3) for _ in range(4)]

    delivered = await asyncio.gather(*(d.drain() for d in dispatchers))

    assert sum(delivered) == len(ids) + 4  # plus each tenant's two set-up events
    assert sum(1 for n in delivered if n) >= 2, "the dispatchers should have shared the work"
    duplicates = [d for d, n in Counter(deliveries).items() if n > 1]
    assert duplicates == []
    assert set(deliveries) == {(h, e) for h in ("alpha", "beta") for e in ids}
    assert len(await receipts(sessionmaker)) == 2 * len(ids)


@pytest.fixture
async def embedded_app(settings: Settings) -> AsyncIterator[FastAPI]:
    # A poll interval far longer than the test: delivery must come from the commit wake-up.
    application = create_app(
        settings.model_copy(update={"embedded_worker": True, "outbox_poll_seconds": 30.0})
    )
    async with LifespanManager(application):
        yield application


async def test_embedded_worker_delivers_a_fresh_event_within_a_second(embedded_app: FastAPI) -> None:
    sessionmaker: async_sessionmaker[AsyncSession] = embedded_app.state.sessionmaker
    handled = asyncio.Event()
    handled_in: list[uuid.UUID | None] = []

    async def handler(session: AsyncSession, event: Embedded) -> None:
        handled_in.append(current_organisation(session))
        handled.set()

    registry.subscribe(Embedded, name="embedded-probe")(handler)
    try:
        from tests.factories import create_tenant

        transport = httpx.ASGITransport(app=embedded_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as http:
            tenant = await create_tenant(http, sessionmaker)
        # Let the worker settle into its (long) wait before the event is committed.
        await asyncio.sleep(0.2)
        started = time.monotonic()
        [event_id] = await record(sessionmaker, tenant.organisation_id, event_class=Embedded)

        while (await outbox_row(sessionmaker, event_id)).dispatched_at is None:
            assert time.monotonic() - started < 1.5, "the embedded worker did not deliver the event in time"
            await asyncio.sleep(0.02)
        assert handled.is_set()
        assert handled_in == [tenant.organisation_id]
    finally:
        registry.unregister(Embedded.event_type, "embedded-probe")


async def test_a_commit_during_an_empty_round_is_not_lost(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """An event committed while the loop is busy finding nothing must still wake it at once."""
    handlers = HandlerRegistry()
    delivered = asyncio.Event()

    @handlers.subscribe(Racy, name="racy-probe")
    async def probe(session: AsyncSession, event: Racy) -> None:
        delivered.set()

    class CommitDuringLease(OutboxDispatcher):
        armed = False

        async def _lease_batch(self) -> list[OutboxEvent]:
            rows = await super()._lease_batch()
            if self.armed:
                # Another request commits an event just after this round looked at the outbox.
                self.armed = False
                await record(sessionmaker, tenant.organisation_id, event_class=Racy)
            return rows

    dispatcher = CommitDuringLease(sessionmaker, InProcessRelay(sessionmaker, handlers), poll_seconds=30.0)
    assert await dispatcher.drain() == 2  # the tenant's own events: the first looping round finds nothing
    dispatcher.armed = True
    task = asyncio.create_task(dispatcher.run_forever())
    try:
        await asyncio.wait_for(delivered.wait(), timeout=2)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_stop_lets_the_round_in_progress_finish(
    tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    handlers = HandlerRegistry()
    entered = asyncio.Event()
    release = asyncio.Event()

    @handlers.subscribe(Slow, name="slow")
    async def slow(session: AsyncSession, event: Slow) -> None:
        entered.set()
        await release.wait()

    dispatcher = dispatcher_for(sessionmaker, handlers)
    await dispatcher.drain()
    [event_id] = await record(sessionmaker, tenant.organisation_id, event_class=Slow)
    task = asyncio.create_task(dispatcher.run_forever())
    await asyncio.wait_for(entered.wait(), timeout=2)
    dispatcher.stop()  # arrives while the handler is still running
    await asyncio.sleep(0.05)
    assert not task.done()
    release.set()
    await asyncio.wait_for(task, timeout=2)  # returns by itself, not by cancellation

    row = await outbox_row(sessionmaker, event_id)
    assert row.dispatched_at is not None
    assert row.leased_until is None
    assert await receipts(sessionmaker) == {("slow", event_id)}
