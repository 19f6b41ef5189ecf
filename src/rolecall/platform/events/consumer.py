"""The broker's consumers: one durable queue per registered handler, competing across workers.

Every worker consumes every handler's queue; RabbitMQ hands each message to one of them (competing
consumers), and ``prefetch`` bounds how many a worker holds unacknowledged per queue. A message is
acknowledged only after the handler's transaction (with its receipt) has committed, so a worker that
dies mid-way leaves its messages to be redelivered to another one, and the receipt turns the
redelivery into a no-op (:func:`rolecall.platform.events.relay.run_handler`).

Deliveries are handled in batches: each handler's messages wait in a local queue, and one task per
handler takes what has arrived (up to ``prefetch``) and runs the handler on all of them in one
transaction per organisation, receipts included (:func:`run_handler_batch`). At a thousand events a
second the per-event transaction, not the handler, was the cost. If the batch fails, its
transaction is rolled back and each message is handled again on its own, so one bad event is
retried or dead-lettered alone and never holds the others back.

A failing handler is retried with a delay: the message is republished, with its attempt count in a
header, to the handler's retry queue with a per-message TTL; when the TTL runs out RabbitMQ
dead-letters it back into the handler's queue. After ``max_attempts`` the message goes to the
handler's dead-letter queue instead, with the error text in a header. The retry or dead-letter copy
is confirmed before the original is acknowledged: a crash in between duplicates, never loses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue, AbstractRobustConnection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.events.broker import (
    ATTEMPTS_HEADER,
    DEAD_AT_HEADER,
    ERROR_HEADER,
    QUEUE_HEADER,
    BrokerConfig,
    BrokerRelay,
    attempts_of,
    copy_message,
    declare_exchanges,
    declare_handler_queues,
    event_from_message,
)
from rolecall.platform.events.registry import HandlerRegistry, Registration
from rolecall.platform.events.relay import run_handler, run_handler_batch

log = structlog.get_logger("rolecall.events.consumer")


@dataclass
class BrokerConsumers:
    """Consumes every handler's queue on one robust connection until :meth:`stop`."""

    config: BrokerConfig
    sessionmaker: async_sessionmaker[AsyncSession]
    registry: HandlerRegistry
    connection: AbstractRobustConnection | None = None
    _channel: AbstractChannel | None = field(default=None, init=False)
    _consumers: list[tuple[AbstractQueue, str]] = field(default_factory=list, init=False)
    _owns_connection: bool = field(default=False, init=False)
    _inflight: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _slots: asyncio.Semaphore | None = field(default=None, init=False)
    _waiting: dict[str, asyncio.Queue[AbstractIncomingMessage]] = field(default_factory=dict, init=False)
    _drains: list[asyncio.Task[None]] = field(default_factory=list, init=False)
    _stopping: bool = field(default=False, init=False)
    _busy: set[asyncio.Task[None]] = field(default_factory=set, init=False)

    async def start(self) -> None:
        if self.connection is None:
            self.connection = await self.config.connect()
            self._owns_connection = True
        self._slots = asyncio.Semaphore(self.config.concurrency)
        channel = await self.connection.channel(publisher_confirms=True)
        self._channel = channel
        # Per consumer (global_=False): each handler's queue gets its own window.
        await channel.set_qos(prefetch_count=self.config.prefetch)
        await declare_exchanges(channel, self.config)
        registrations = {r.name: r for r in self.registry.registrations()}
        self._stopping = False
        for registration in registrations.values():
            queue = await declare_handler_queues(channel, self.config, registration)
            waiting: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
            self._waiting[registration.name] = waiting
            drain = asyncio.create_task(
                self._drain(registration, waiting), name=f"consume-{registration.name}"
            )
            self._drains.append(drain)
            self._inflight.add(drain)
            tag = await queue.consume(self._callback(waiting))
            self._consumers.append((queue, tag))
        log.info("broker_consumers_started", queues=len(self._consumers))

    def _callback(
        self, waiting: asyncio.Queue[AbstractIncomingMessage]
    ) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def on_message(message: AbstractIncomingMessage) -> None:
            waiting.put_nowait(message)  # bounded by the channel's prefetch

        return on_message

    async def _drain(
        self, registration: Registration, waiting: asyncio.Queue[AbstractIncomingMessage]
    ) -> None:
        """Take what has arrived for one handler and handle it as a batch, until stopped."""
        while not self._stopping:
            batch = [await waiting.get()]
            while len(batch) < self.config.prefetch and not waiting.empty():
                batch.append(waiting.get_nowait())
            if self._stopping:
                return  # unacknowledged: the broker redelivers them when the channel closes
            task = asyncio.current_task()
            assert task is not None
            self._busy.add(task)
            try:
                await self.handle_batch(registration, batch)
            except asyncio.CancelledError:
                raise
            except Exception:
                # Typically an ack on a channel the broker link took down: those messages are
                # redelivered on the restored channel, and their receipts make that harmless.
                log.warning("event_batch_not_settled", handler=registration.name, exc_info=True)
            finally:
                self._busy.discard(task)

    async def handle_batch(self, registration: Registration, messages: list[AbstractIncomingMessage]) -> None:
        """Run the handler for several deliveries in one transaction per organisation, then ack them.

        Falls back to :meth:`handle` per message when the batch fails (or holds one message), so
        retries, dead letters and their counts stay per event.
        """
        if len(messages) == 1:
            await self.handle(registration, messages[0])
            return
        try:
            events = [event_from_message(message) for message in messages]
        except (ValueError, TypeError):
            events = []
        if events:
            assert self._slots is not None
            try:
                async with self._slots:
                    await run_handler_batch(self.sessionmaker, registration, events)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.info(
                    "event_batch_failed",
                    handler=registration.name,
                    size=len(events),
                    error=type(exc).__name__,
                )
            else:
                for message in messages:
                    await message.ack()
                return
        for message in messages:
            await self.handle(registration, message)

    async def handle(self, registration: Registration, message: AbstractIncomingMessage) -> None:
        """Run the handler for one delivery, then settle the message (ack, retry or dead-letter)."""
        try:
            event = event_from_message(message)
        except (ValueError, TypeError) as exc:
            await self._dead_letter(registration, message, f"unreadable message: {exc}", attempts_of(message))
            return
        assert self._slots is not None
        try:
            async with self._slots:
                await run_handler(self.sessionmaker, registration, event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            attempts = attempts_of(message) + 1
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning(
                "event_handler_failed",
                handler=registration.name,
                event_id=str(event.id),
                event_type=event.type,
                attempts=attempts,
                error=type(exc).__name__,
            )
            if attempts >= self.config.max_attempts:
                await self._dead_letter(registration, message, error, attempts)
            else:
                await self._retry(registration, message, error, attempts)
            return
        await message.ack()

    async def _retry(
        self, registration: Registration, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        assert self._channel is not None
        delay = self.config.retry_delay(attempts)
        copy = copy_message(
            message, headers={ATTEMPTS_HEADER: attempts, ERROR_HEADER: error}, expiration=delay
        )
        retry_queue = self.config.retry_queue(registration.name)
        await self._channel.default_exchange.publish(copy, routing_key=retry_queue)
        await message.ack()

    async def _dead_letter(
        self, registration: Registration, message: AbstractIncomingMessage, error: str, attempts: int
    ) -> None:
        assert self._channel is not None
        queue = self.config.queue(registration.name)
        copy = copy_message(
            message,
            headers={
                ATTEMPTS_HEADER: attempts,
                ERROR_HEADER: error[:2000],
                QUEUE_HEADER: queue,
                DEAD_AT_HEADER: datetime.now(UTC).isoformat(),
            },
        )
        exchange = await self._channel.get_exchange(self.config.dead_letter_exchange, ensure=False)
        await exchange.publish(copy, routing_key=queue)
        await message.ack()
        log.error(
            "event_dead_lettered",
            handler=registration.name,
            message_id=message.message_id,
            attempts=attempts,
            error=error[:200],
        )

    async def stop(self, *, grace: float = 10.0) -> None:
        """Stop taking messages, let the batches in progress settle, then close.

        Messages taken from the broker but not yet handled stay unacknowledged and are redelivered
        (to another worker) when the channel closes.
        """
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._consumers.clear()
        self._stopping = True
        # A drain waiting for its next message is idle and is cancelled; one mid-batch may finish.
        idle = [drain for drain in self._drains if drain not in self._busy]
        for drain in idle:
            drain.cancel()
        busy = [drain for drain in self._drains if drain in self._busy]
        if busy:
            _, pending = await asyncio.wait(busy, timeout=grace)
            for drain in pending:
                drain.cancel()
        self._drains.clear()
        self._waiting.clear()
        self._inflight.clear()
        if self._channel is not None and not self._channel.is_closed:
            with contextlib.suppress(Exception):
                await self._channel.close()
        if self._owns_connection and self.connection is not None:
            await self.connection.close()
            self.connection = None


@dataclass
class BrokerRuntime:
    """What a worker runs in broker mode: the relay for its outbox dispatcher, and the consumers.

    Both share one robust connection (publishing and consuming on separate channels), which
    reconnects by itself after a broker restart or a dropped link.
    """

    config: BrokerConfig
    relay: BrokerRelay
    consumers: BrokerConsumers
    connection: AbstractRobustConnection | None = None

    async def start(self) -> None:
        self.connection = await self.config.connect()
        self.relay.attach(self.connection)
        self.consumers.connection = self.connection
        await self.consumers.start()

    async def close(self) -> None:
        await self.consumers.stop()
        await self.relay.close()
        if self.connection is not None:
            await self.connection.close()


def start_broker(
    config: BrokerConfig, sessionmaker: async_sessionmaker[AsyncSession], registry: HandlerRegistry
) -> BrokerRuntime:
    """Build (not yet connect) the broker runtime; ``await runtime.start()`` inside the event loop.

    The relay connects lazily on its first publish, so an outbox dispatcher may be built with
    ``runtime.relay`` before :meth:`BrokerRuntime.start`; start then attaches it to the shared
    connection.
    """
    return BrokerRuntime(
        config=config,
        relay=BrokerRelay(config),
        consumers=BrokerConsumers(config, sessionmaker, registry),
    )
