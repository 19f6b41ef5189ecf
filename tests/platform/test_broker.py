"""The RabbitMQ relay against the local broker: confirms, idempotent consumers, retries, dead letters,
competing workers, and a fault run that drops the link and kills a worker mid-stream."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import replace

import aio_pika
import httpx
import pytest
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity.models import Organisation
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.events.broker import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    BrokerConfig,
    BrokerRelay,
    dead_letter_counts,
    declare_exchanges,
    requeue_dead_letters,
)
from rolecall.platform.events.consumer import BrokerConsumers, BrokerRuntime, start_broker
from rolecall.platform.events.dead_letters import exhausted_outbox_events, requeue
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.registry import HandlerRegistry, Registration
from rolecall.platform.events.relay import OutboxDispatcher
from rolecall.platform.tenancy import all_tenants
from tests.conftest import FrozenClock
from tests.platform.broker_support import (
    BROKER_URL,
    Receiver,
    TcpProxy,
    delete_topology,
    record,
    unique_config,
)

TYPE = "test.broker.happened"
Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]


def on(handlers: HandlerRegistry, event_type: str, *, name: str) -> Callable[[Handler], Handler]:
    """Subscribe a raw-envelope handler to a test type (test types have no event class, so that they
    stay out of the public catalogue)."""

    def decorator(fn: Handler) -> Handler:
        handlers._add(event_type, name, fn, fn.__module__)
        return fn

    return decorator


async def rows(sessionmaker: async_sessionmaker[AsyncSession], ids: list[uuid.UUID]) -> list[OutboxEvent]:
    async with transaction(sessionmaker) as session:
        stmt = select(OutboxEvent).where(OutboxEvent.id.in_(ids)).execution_options(**all_tenants())
        return sorted((await session.scalars(stmt)).all(), key=lambda r: r.id)


async def eventually(check: Callable[[], Awaitable[bool] | bool], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


@pytest.fixture
async def sessionmaker(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """The migrated test database without the app: these tests need only the outbox."""
    engine = create_engine(db_url, pool_size=5)
    yield create_sessionmaker(engine)
    await engine.dispose()


@pytest.fixture
async def organisation_id(sessionmaker: async_sessionmaker[AsyncSession]) -> uuid.UUID:
    async with transaction(sessionmaker) as session:
        organisation = Organisation(name="Broker tests")
        session.add(organisation)
    return organisation.id


@pytest.fixture
async def topology() -> AsyncIterator[tuple[BrokerConfig, HandlerRegistry, list[str]]]:
    """A config with names of this test alone, a registry of its own, and cleanup of both."""
    config, handlers, extra_queues = unique_config(), HandlerRegistry(), list[str]()
    yield config, handlers, extra_queues
    await delete_topology(config, handlers, *extra_queues)


@contextlib.asynccontextmanager
async def consumers(
    config: BrokerConfig, sessionmaker: async_sessionmaker[AsyncSession], handlers: HandlerRegistry
) -> AsyncIterator[BrokerConsumers]:
    running = BrokerConsumers(config, sessionmaker, handlers)
    await running.start()
    try:
        yield running
    finally:
        await running.stop()


async def test_rows_are_marked_dispatched_only_once_the_broker_confirms(
    organisation_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    topology: tuple[BrokerConfig, HandlerRegistry, list[str]],
) -> None:
    config, _, extra_queues = topology
    ids = await record(sessionmaker, organisation_id, 3)
    probe = f"{config.queue_prefix}.probe"
    extra_queues.append(probe)
    connection = await aio_pika.connect(BROKER_URL)
    try:
        channel = await connection.channel()
        await declare_exchanges(channel, config)
        # Holds two messages and makes the broker nack (refuse to confirm) any more.
        queue = await channel.declare_queue(
            probe, durable=True, arguments={"x-max-length": 2, "x-overflow": "reject-publish"}
        )
        await queue.bind(config.exchange, routing_key=TYPE)

        seen_while_unconfirmed: list[list[bool]] = []

        class Observed(BrokerRelay):
            async def publish_many(self, events: list[CloudEvent]) -> list[BaseException | None]:  # type: ignore[override]
                results = await super().publish_many(events)
                # Confirms are in, the dispatcher has not written anything yet.
                seen_while_unconfirmed.append(
                    [r.dispatched_at is not None for r in await rows(sessionmaker, ids)]
                )
                return results

        relay = Observed(config)
        try:
            await OutboxDispatcher(sessionmaker, relay).drain()
        finally:
            await relay.close()
        assert seen_while_unconfirmed[0] == [False, False, False]

        first, second, third = await rows(sessionmaker, ids)
        assert first.dispatched_at is not None
        assert second.dispatched_at is not None
        assert third.dispatched_at is None, "a nacked publish must leave its row undispatched"
        assert third.attempts == 1
        assert "DeliveryError" in (third.last_error or "")

        message = await queue.get(no_ack=True)
        assert message is not None
        assert message.routing_key == TYPE
        assert message.message_id == str(ids[0])
        assert message.delivery_mode == aio_pika.DeliveryMode.PERSISTENT
        assert message.content_type == "application/json"
        assert message.body == b'{"n":0}'
        headers = message.headers
        assert headers["cloudEvents:specversion"] == "1.0"
        assert headers["cloudEvents:id"] == str(ids[0])
        assert headers["cloudEvents:type"] == TYPE
        assert headers["cloudEvents:source"] == "/tests"
        assert headers["cloudEvents:subject"] == "things/0"
        assert headers["cloudEvents:organisationid"] == str(organisation_id)
        assert "cloudEvents:time" in headers
    finally:
        await connection.close()


async def test_an_unreachable_broker_costs_no_attempt(
    organisation_id: uuid.UUID, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    [event_id] = await record(sessionmaker, organisation_id)
    relay = BrokerRelay(unique_config(url="amqp://guest:guest@127.0.0.1:1/"))
    with pytest.raises(ConnectionError):
        await OutboxDispatcher(sessionmaker, relay).dispatch_once()
    [row] = await rows(sessionmaker, [event_id])
    assert (row.dispatched_at, row.leased_until, row.attempts) == (None, None, 0)


async def test_a_handler_runs_once_per_event_across_redelivery(
    organisation_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    topology: tuple[BrokerConfig, HandlerRegistry, list[str]],
) -> None:
    config, handlers, _ = topology
    runs: Counter[uuid.UUID] = Counter()
    everything: list[str] = []

    @on(handlers, TYPE, name="counter")
    async def count(session: AsyncSession, event: CloudEvent) -> None:
        runs[event.id] += 1

    @handlers.subscribe_all(name="everything")
    async def every(session: AsyncSession, event: CloudEvent) -> None:
        everything.append(event.type)

    ids = await record(sessionmaker, organisation_id, 20)
    await record(sessionmaker, organisation_id, 2, type="test.broker.other")
    relay = BrokerRelay(config)
    dispatcher = OutboxDispatcher(sessionmaker, relay)
    try:
        async with consumers(config, sessionmaker, handlers):
            assert await dispatcher.drain() == 22
            await eventually(lambda: len(runs) == 20 and len(everything) == 22)

            # The relay crashed before marking: the whole outbox goes out again.
            async with transaction(sessionmaker) as session:
                await session.execute(
                    update(OutboxEvent).values(dispatched_at=None).execution_options(**all_tenants())
                )
            assert await dispatcher.drain() == 22
            await asyncio.sleep(0.5)
    finally:
        await relay.close()
    assert runs == dict.fromkeys(ids, 1)
    assert len(everything) == 22  # subscribe_all is bound with "#": every type, each once


async def test_a_poison_message_is_dead_lettered_with_its_error_and_can_be_requeued(
    organisation_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    topology: tuple[BrokerConfig, HandlerRegistry, list[str]],
) -> None:
    config, handlers, _ = topology
    attempts: Counter[uuid.UUID] = Counter()
    fixed = {"yes": False}
    handled: list[uuid.UUID] = []

    @on(handlers, TYPE, name="picky")
    async def picky(session: AsyncSession, event: CloudEvent) -> None:
        attempts[event.id] += 1
        if event.data["n"] == 1 and not fixed["yes"]:
            raise ValueError("cannot handle number one")
        handled.append(event.id)

    good, poison, other = await record(sessionmaker, organisation_id, 3)
    relay = BrokerRelay(config)
    connection = await aio_pika.connect(BROKER_URL)
    try:
        async with consumers(config, sessionmaker, handlers):
            await OutboxDispatcher(sessionmaker, relay).drain()
            # The first try may be a batch with the others (rolled back, then one by one): the
            # attempts that count are the per-message ones the dead letter records.
            await eventually(
                lambda: attempts[poison] >= config.max_attempts and {good, other} <= set(handled)
            )
            await eventually(
                lambda: _counts(connection, config, handlers, {"picky": 1}),
            )
            assert config.max_attempts == 3
            assert poison not in handled

            channel = await connection.channel()
            dead = await channel.declare_queue(config.dead_queue("picky"), passive=True)
            message = await dead.get(no_ack=False)
            assert message is not None
            assert message.message_id == str(poison)
            assert message.headers[ATTEMPTS_HEADER] == 3
            assert message.headers[ERROR_HEADER] == "ValueError: cannot handle number one"
            await message.nack(requeue=True)

            # The cause is fixed; the operator requeues; the handler now succeeds, once.
            fixed["yes"] = True
            tried = attempts[poison]
            assert await requeue_dead_letters(connection, config, handlers, handler="picky") == {"picky": 1}
            await eventually(lambda: poison in handled)
            assert await dead_letter_counts(connection, config, handlers) == {"picky": 0}
            assert attempts[poison] == tried + 1
    finally:
        await relay.close()
        await connection.close()


async def _counts(
    connection: aio_pika.abc.AbstractConnection,
    config: BrokerConfig,
    handlers: HandlerRegistry,
    expected: dict[str, int],
) -> bool:
    return await dead_letter_counts(connection, config, handlers) == expected


class NamedConsumers(BrokerConsumers):
    """Counts what this worker handled, so the test sees the work was shared."""

    handled = 0

    async def handle_batch(self, registration: Registration, messages: list[AbstractIncomingMessage]) -> None:
        self.handled += len(messages)
        await super().handle_batch(registration, messages)


async def test_two_workers_compete_for_each_handlers_queue(
    organisation_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    topology: tuple[BrokerConfig, HandlerRegistry, list[str]],
) -> None:
    config, handlers, _ = topology
    runs: Counter[uuid.UUID] = Counter()

    @on(handlers, TYPE, name="shared")
    async def shared(session: AsyncSession, event: CloudEvent) -> None:
        runs[event.id] += 1
        await asyncio.sleep(0.005)

    ids = await record(sessionmaker, organisation_id, 120)
    first = NamedConsumers(config, sessionmaker, handlers)
    second = NamedConsumers(config, sessionmaker, handlers)
    relay = BrokerRelay(config)
    try:
        await first.start()
        await second.start()
        await OutboxDispatcher(sessionmaker, relay).drain()
        await eventually(lambda: len(runs) == len(ids))
    finally:
        await first.stop()
        await second.stop()
        await relay.close()
    assert runs == dict.fromkeys(ids, 1)
    assert first.handled > 0, (first.handled, second.handled)
    assert second.handled > 0, (first.handled, second.handled)


async def test_every_event_reaches_the_receiver_despite_a_dropped_link_and_a_killed_worker(
    clock: FrozenClock,
    organisation_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    topology: tuple[BrokerConfig, HandlerRegistry, list[str]],
) -> None:
    config, handlers, _ = topology
    total = 500
    receiver = Receiver()
    receiver.expected = total
    http = httpx.AsyncClient(timeout=5)

    @on(handlers, TYPE, name="webhook")
    async def deliver(session: AsyncSession, event: CloudEvent) -> None:
        response = await http.post(receiver.url, json=event.data, headers={"webhook-id": str(event.id)})
        response.raise_for_status()

    ids: list[uuid.UUID] = []

    async def produce(count: int) -> None:
        for _ in range(count // 25):
            ids.extend(await record(sessionmaker, organisation_id, 25, type=TYPE))
            await asyncio.sleep(0.01)

    def worker(proxy: TcpProxy) -> tuple[BrokerRuntime, OutboxDispatcher]:
        runtime = start_broker(replace(config, url=proxy.url), sessionmaker, handlers)
        return runtime, OutboxDispatcher(sessionmaker, runtime.relay, batch_size=50, poll_seconds=0.05)

    async def all_dispatched() -> bool:
        return all(r.dispatched_at is not None for r in await rows(sessionmaker, ids))

    proxy_a, proxy_b = TcpProxy(), TcpProxy()
    await proxy_a.start()
    await proxy_b.start()
    runtime_a, dispatcher_a = worker(proxy_a)
    runtime_b, dispatcher_b = worker(proxy_b)
    task_a = task_b = None
    try:
        async with receiver.running():
            await runtime_a.start()
            task_a = asyncio.create_task(dispatcher_a.run_forever())
            await produce(150)
            await eventually(lambda: len(receiver.deliveries) >= 60)
            proxy_a.drop()  # the broker link goes down mid-stream; the robust connection comes back
            await produce(150)
            await eventually(lambda: len(receiver.deliveries) >= 200)

            # Worker A dies mid-flight: its tasks are cancelled and its sockets cut, no graceful stop.
            task_a.cancel()
            for inflight in list(runtime_a.consumers._inflight):
                inflight.cancel()
            await proxy_a.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await task_a

            await produce(200)
            # A's leases run out; worker B takes over A's rows and A's unacknowledged messages.
            clock.advance(seconds=61)
            await runtime_b.start()
            task_b = asyncio.create_task(dispatcher_b.run_forever())
            await asyncio.wait_for(receiver.received.wait(), timeout=30)
            await eventually(all_dispatched)
            await asyncio.sleep(0.3)  # late redeliveries, if any, are counted too
    finally:
        dispatcher_b.stop()
        if task_b is not None:
            await task_b
        await runtime_b.close()
        if task_a is not None and not task_a.done():
            task_a.cancel()
        if runtime_a.connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(runtime_a.connection.close(), timeout=2)
        await proxy_b.stop()
        await http.aclose()

    assert len(ids) == total
    unique = set(receiver.deliveries)
    duplicates = sum(n - 1 for n in receiver.deliveries.values())
    assert unique == {str(i) for i in ids}, f"lost {total - len(unique)}"
    # At least once: duplicates come only from redelivery around the two faults.
    assert duplicates < 100, duplicates
    print(f"fault run: {total} events, {len(unique)} unique at the receiver, {duplicates} duplicates")


async def test_dead_letters_are_counted_and_requeued_in_both_modes(
    db_url: str,
    organisation_id: uuid.UUID,
    sessionmaker: async_sessionmaker[AsyncSession],
    topology: tuple[BrokerConfig, HandlerRegistry, list[str]],
) -> None:
    from prometheus_client import REGISTRY

    from rolecall.config import Settings
    from rolecall.observability import metrics

    config, handlers, _ = topology
    healthy = {"yes": False}

    @on(handlers, TYPE, name="flaky")
    async def flaky(session: AsyncSession, event: CloudEvent) -> None:
        if not healthy["yes"]:
            raise ConnectionError("downstream down")

    settings = Settings(
        database_url=db_url,
        outbox_max_attempts=2,
        broker_url=config.url,
        broker_exchange=config.exchange,
        broker_queue_prefix=config.queue_prefix,
    )
    # Embedded mode's dead letters: two rows that used up their attempts, one still trying.
    stuck = await record(sessionmaker, organisation_id, 3, type="test.broker.unrouted")
    async with transaction(sessionmaker) as session:
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id.in_(stuck[:2]))
            .values(attempts=2, last_error="ValueError: no")
            .execution_options(**all_tenants())
        )
        await session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.id == stuck[2])
            .values(attempts=1)
            .execution_options(**all_tenants())
        )

    ids = await record(sessionmaker, organisation_id, 4)
    relay = BrokerRelay(config)
    try:
        async with consumers(config, sessionmaker, handlers):
            await OutboxDispatcher(sessionmaker, relay, max_attempts=2).dispatch_once()
            connection = await aio_pika.connect(BROKER_URL)
            try:
                await eventually(lambda: _counts(connection, config, handlers, {"flaky": 4}))
            finally:
                await connection.close()

            await metrics.refresh_dead_letters(sessionmaker, settings, handlers)
            gauge = "rolecall_outbox_dead_letters"
            assert REGISTRY.get_sample_value(gauge, {"where": "outbox"}) == 2
            assert REGISTRY.get_sample_value(gauge, {"where": "broker"}) == 4

            healthy["yes"] = True
            done = await requeue(
                sessionmaker, handlers, max_attempts=2, broker=BrokerConfig.from_settings(settings), limit=3
            )
            assert done.outbox == 2
            assert done.broker == {"flaky": 1}  # the limit counts both kinds
            done = await requeue(sessionmaker, handlers, max_attempts=2, broker=config, handler="flaky")
            assert done.outbox == 0
            assert done.broker == {"flaky": 3}
            with pytest.raises(ValueError, match="no handler"):
                await requeue(sessionmaker, handlers, max_attempts=2, broker=config, handler="nobody")
    finally:
        await relay.close()
    restored = await rows(sessionmaker, stuck)
    assert [(r.attempts, r.leased_until) for r in restored] == [(0, None), (0, None), (1, None)]
    async with transaction(sessionmaker) as session:
        assert await exhausted_outbox_events(session, max_attempts=2) == 0
    assert len(ids) == 4
