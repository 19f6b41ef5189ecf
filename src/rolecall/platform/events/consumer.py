"""The broker's consumers: one durable queue per registered handler, competing across workers.

Every worker consumes every handler's queue; RabbitMQ hands each message to one of them (competing
consumers), and ``prefetch`` bounds how many a worker holds unacknowledged per queue. A message is
acknowledged only after the handler's transaction (with its receipt) has committed, so a worker that
dies mid-way leaves its messages to be redelivered to another one, and the receipt turns the
redelivery into a no-op (:func:`rolecall.platform.events.relay.run_handler`).

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
from rolecall.platform.events.relay import run_handler

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
        for registration in registrations.values():
            queue = await declare_handler_queues(channel, self.config, registration)
            tag = await queue.consume(self._callback(registration))
            self._consumers.append((queue, tag))
        log.info("broker_consumers_started", queues=len(self._consumers))

    def _callback(self, registration: Registration) -> Callable[[AbstractIncomingMessage], Awaitable[None]]:
        async def on_message(message: AbstractIncomingMessage) -> None:
            task = asyncio.current_task()
            if task is not None:
                self._inflight.add(task)
            try:
                await self.handle(registration, message)
            finally:
                if task is not None:
                    self._inflight.discard(task)

        return on_message

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
        """Stop taking messages, let the deliveries in progress settle, then close."""
        for queue, tag in self._consumers:
            with contextlib.suppress(Exception):
                await queue.cancel(tag)
        self._consumers.clear()
        if self._inflight:
            await asyncio.wait(set(self._inflight), timeout=grace)
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
