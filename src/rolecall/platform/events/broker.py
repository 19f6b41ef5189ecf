"""The RabbitMQ relay: outbox rows published to a topic exchange, marked sent only once confirmed.

Topology (one exchange for the whole installation, three queues per handler; see
``docs/events-broker.md``):

* ``<exchange>`` (topic, durable): every event, routing key = its type;
* ``<prefix>.<handler>`` (durable): bound by the handler's event type, ``#`` for ``subscribe_all``;
* ``<prefix>.<handler>.retry``: failed deliveries wait here for a per-message TTL, then are
  dead-lettered back to the handler's queue through the default exchange;
* ``<exchange>.dlx`` (direct) and ``<prefix>.<handler>.dead``: what failed ``max_attempts`` times,
  with the error in a header, until ``rolecall events requeue`` sends it back.

Messages are CloudEvents in AMQP binary mode: the attributes travel as ``cloudEvents:*`` application
properties, the body is the data member as JSON. Receivers that speak CloudEvents read them without
knowing Rolecall; :func:`event_from_message` turns one back into the envelope the handlers know.

This module is platform code: it knows the handler registry, never a context.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aio_pika
import aiormq
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractRobustConnection,
    DateType,
)

from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import ALL, HandlerRegistry, Registration

if TYPE_CHECKING:
    from rolecall.config import Settings

log = structlog.get_logger("rolecall.events.broker")

CE_PREFIX = "cloudEvents:"
#: Headers the consumers add when a delivery fails (not CloudEvents attributes: Rolecall's own).
ATTEMPTS_HEADER = "x-rolecall-attempts"
ERROR_HEADER = "x-rolecall-error"
QUEUE_HEADER = "x-rolecall-queue"
DEAD_AT_HEADER = "x-rolecall-dead-at"


@dataclass(frozen=True)
class BrokerConfig:
    """What the relay, the consumers and the CLI need from the settings (platform code does not
    read :class:`rolecall.config.Settings` directly, so tests and the bench can build one)."""

    url: str
    exchange: str = "rolecall.events"
    queue_prefix: str = "rolecall"
    prefetch: int = 32
    max_attempts: int = 5
    retry_seconds: float = 1.0
    retry_max_seconds: float = 300.0
    #: Wait between reconnection attempts of the robust connection after the link drops.
    reconnect_seconds: float = 1.0
    #: Handlers a worker runs at once, over all its queues. Prefetch is per queue, and a worker
    #: consumes one queue per handler, so without this bound dozens of queues times the prefetch
    #: would each want a database connection: beyond the pool, SQLAlchemy opens and closes an
    #: overflow connection per transaction, which costs more than the handler. The pool size.
    concurrency: int = 10

    async def connect(self) -> AbstractRobustConnection:
        return await aio_pika.connect_robust(self.url, reconnect_interval=self.reconnect_seconds)

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerConfig | None:
        if settings.broker_url is None:
            return None
        return cls(
            url=settings.broker_url.get_secret_value(),
            exchange=settings.broker_exchange,
            queue_prefix=settings.broker_queue_prefix,
            prefetch=settings.broker_prefetch,
            max_attempts=settings.broker_max_attempts,
            retry_seconds=settings.broker_retry_seconds,
            retry_max_seconds=settings.broker_retry_max_seconds,
            concurrency=settings.database_pool_size,
        )

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.exchange}.dlx"

    def queue(self, handler: str) -> str:
        return f"{self.queue_prefix}.{handler}"

    def retry_queue(self, handler: str) -> str:
        return f"{self.queue(handler)}.retry"

    def dead_queue(self, handler: str) -> str:
        return f"{self.queue(handler)}.dead"

    def retry_delay(self, attempts: int) -> float:
        """Seconds before the next delivery after ``attempts`` failed ones (doubling, capped)."""
        return min(self.retry_max_seconds, self.retry_seconds * float(2 ** max(0, attempts - 1)))


def binding_key(registration: Registration) -> str:
    return "#" if registration.event_type == ALL else registration.event_type


# --- Messages --------------------------------------------------------------------------------------


def message_for(event: CloudEvent) -> aio_pika.Message:
    """The event as a persistent AMQP message in CloudEvents binary mode."""
    headers: dict[str, Any] = {
        f"{CE_PREFIX}specversion": event.specversion,
        f"{CE_PREFIX}id": str(event.id),
        f"{CE_PREFIX}source": event.source,
        f"{CE_PREFIX}type": event.type,
        f"{CE_PREFIX}time": event.time.isoformat(),
        f"{CE_PREFIX}subject": event.subject,
        f"{CE_PREFIX}organisationid": str(event.organisationid),
    }
    return aio_pika.Message(
        body=json.dumps(event.data, separators=(",", ":")).encode(),
        headers=headers,
        content_type=event.datacontenttype,
        message_id=str(event.id),
        type=event.type,
        timestamp=event.time,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
    )


def event_from_message(message: AbstractIncomingMessage) -> CloudEvent:
    """The envelope back from a binary-mode message; raises ValueError on anything malformed."""
    headers = message.headers or {}

    def attribute(name: str) -> str:
        value = headers.get(f"{CE_PREFIX}{name}")
        if isinstance(value, bytes):
            value = value.decode()
        if not isinstance(value, str) or not value:
            raise ValueError(f"missing CloudEvents attribute {name}")
        return value

    try:
        data = json.loads(message.body)
    except ValueError as exc:
        raise ValueError(f"body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("body is not a JSON object")
    return CloudEvent(
        specversion=attribute("specversion"),
        id=uuid.UUID(attribute("id")),
        source=attribute("source"),
        type=attribute("type"),
        time=datetime.fromisoformat(attribute("time")),
        subject=attribute("subject"),
        organisationid=uuid.UUID(attribute("organisationid")),
        datacontenttype=message.content_type or "application/json",
        data=data,
    )


def attempts_of(message: AbstractIncomingMessage) -> int:
    value = (message.headers or {}).get(ATTEMPTS_HEADER, 0)
    return value if isinstance(value, int) else 0


def copy_message(
    message: AbstractIncomingMessage,
    *,
    headers: Mapping[str, Any],
    drop: Sequence[str] = (),
    expiration: float | None = None,
) -> aio_pika.Message:
    """A republishable copy of a received message with some headers changed or removed."""
    merged = {
        k: v for k, v in (message.headers or {}).items() if k not in drop and not k.startswith("x-death")
    }
    merged.update(headers)
    timestamp: DateType = message.timestamp
    return aio_pika.Message(
        body=message.body,
        headers=merged,
        content_type=message.content_type,
        message_id=message.message_id,
        type=message.type,
        timestamp=timestamp,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        expiration=expiration,
    )


# --- Topology --------------------------------------------------------------------------------------


async def declare_exchanges(channel: AbstractChannel, config: BrokerConfig) -> AbstractExchange:
    exchange = await channel.declare_exchange(config.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    await channel.declare_exchange(config.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
    return exchange


async def declare_handler_queues(
    channel: AbstractChannel, config: BrokerConfig, registration: Registration
) -> aio_pika.abc.AbstractQueue:
    """The handler's queue, its retry queue and its dead-letter queue, bound; returns the first.

    Declaring is idempotent, so every worker does it at start (and the robust channel again after a
    reconnect). The arguments must never change for an existing queue (RabbitMQ refuses a
    redeclaration with other arguments): a change means new queue names.
    """
    name = config.queue(registration.name)
    queue = await channel.declare_queue(
        name,
        durable=True,
        arguments={
            # A message rejected without requeue (none are, today) still lands in the dead queue.
            "x-dead-letter-exchange": config.dead_letter_exchange,
            "x-dead-letter-routing-key": name,
        },
    )
    await queue.bind(config.exchange, routing_key=binding_key(registration))
    await channel.declare_queue(
        config.retry_queue(registration.name),
        durable=True,
        arguments={"x-dead-letter-exchange": "", "x-dead-letter-routing-key": name},
    )
    dead = await channel.declare_queue(config.dead_queue(registration.name), durable=True)
    await dead.bind(config.dead_letter_exchange, routing_key=name)
    return queue


# --- Publishing ------------------------------------------------------------------------------------


class BrokerUnavailable(ConnectionError):
    """The broker could not be reached: nothing was published, nothing is the events' fault."""


class BrokerRelay:
    """An :class:`~rolecall.platform.events.relay.EventRelay` that publishes to the topic exchange.

    ``publish`` returns only when the broker has confirmed the message (it is then on disk in every
    bound durable queue), so the dispatcher marks a row sent only after that. ``publish_many``
    publishes a batch at once and waits for all confirms, which is what makes 1,000 events/s
    possible on one connection: confirms are pipelined instead of a round trip per event.
    """

    def __init__(self, config: BrokerConfig, *, connection: AbstractRobustConnection | None = None) -> None:
        self._config = config
        self._connection = connection
        self._owns_connection = connection is None
        self._channel: AbstractChannel | None = None
        self._exchange: AbstractExchange | None = None
        self._lock = asyncio.Lock()

    def attach(self, connection: AbstractRobustConnection) -> None:
        """Publish on ``connection`` (shared with the consumers) from now on; its owner closes it."""
        self._connection = connection
        self._owns_connection = False
        self._channel = self._exchange = None

    async def _ready(self) -> AbstractExchange:
        if self._exchange is not None and self._channel is not None and not self._channel.is_closed:
            return self._exchange
        async with self._lock:
            if self._exchange is not None and self._channel is not None and not self._channel.is_closed:
                return self._exchange
            try:
                if self._connection is None:
                    self._connection = await self._config.connect()
                self._channel = await self._connection.channel(publisher_confirms=True)
                self._exchange = await declare_exchanges(self._channel, self._config)
            except (OSError, aio_pika.exceptions.AMQPError) as exc:
                raise BrokerUnavailable(f"cannot reach the broker: {type(exc).__name__}: {exc}") from exc
            return self._exchange

    async def publish(self, event: CloudEvent) -> None:
        exchange = await self._ready()
        await exchange.publish(message_for(event), routing_key=event.type)

    async def publish_many(self, events: Sequence[CloudEvent]) -> list[BaseException | None]:
        """Publish all, wait for every confirm; one result per event (None = confirmed)."""
        exchange = await self._ready()
        results = await asyncio.gather(
            *(exchange.publish(message_for(event), routing_key=event.type) for event in events),
            return_exceptions=True,
        )
        outcome: list[BaseException | None] = []
        for result in results:
            if isinstance(result, asyncio.CancelledError):
                raise result
            if isinstance(result, BaseException) and not isinstance(result, aiormq.exceptions.DeliveryError):
                # The link or channel failed under the batch: no event is at fault, so none should
                # spend an attempt; the dispatcher releases the batch and tries again next round.
                raise BrokerUnavailable(f"publishing failed: {type(result).__name__}: {result}") from result
            outcome.append(result if isinstance(result, BaseException) else None)
        return outcome

    async def close(self) -> None:
        if self._channel is not None and not self._channel.is_closed:
            await self._channel.close()
        if self._owns_connection and self._connection is not None:
            await self._connection.close()
        self._channel = self._exchange = None
        if self._owns_connection:
            self._connection = None


# --- Dead letters ----------------------------------------------------------------------------------


async def dead_letter_counts(
    connection: aio_pika.abc.AbstractConnection, config: BrokerConfig, registry: HandlerRegistry
) -> dict[str, int]:
    """Messages waiting in each handler's dead-letter queue, by handler name.

    Uses passive declares: a queue no worker has declared yet simply counts 0, and nothing is created
    by looking. A passive declare of a missing queue closes the channel, so each gets its own.
    """
    counts: dict[str, int] = {}
    for name in sorted({r.name for r in registry.registrations()}):
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(config.dead_queue(name), passive=True)
            counts[name] = int(queue.declaration_result.message_count or 0)
        except aio_pika.exceptions.ChannelClosed:
            counts[name] = 0
        finally:
            if not channel.is_closed:
                await channel.close()
    return counts


async def requeue_dead_letters(
    connection: aio_pika.abc.AbstractConnection,
    config: BrokerConfig,
    registry: HandlerRegistry,
    *,
    handler: str | None = None,
    limit: int | None = None,
) -> dict[str, int]:
    """Move dead letters back to their handler's queue with a fresh attempt count.

    Each is republished (confirmed) before it is acknowledged in the dead queue, so a crash in
    between leaves a duplicate, never a loss; the handler's receipt makes the duplicate harmless.
    """
    names = sorted({r.name for r in registry.registrations()})
    if handler is not None:
        if handler not in names:
            raise ValueError(f"no handler named {handler!r} is registered")
        names = [handler]
    moved: dict[str, int] = {}
    remaining = limit
    channel = await connection.channel(publisher_confirms=True)
    try:
        for name in names:
            if remaining is not None and remaining <= 0:
                break
            try:
                dead = await channel.declare_queue(config.dead_queue(name), passive=True)
            except aio_pika.exceptions.ChannelClosed:
                channel = await connection.channel(publisher_confirms=True)
                continue
            count = 0
            while remaining is None or remaining > 0:
                message = await dead.get(no_ack=False, fail=False)
                if message is None:
                    break
                copy = copy_message(
                    message, headers={}, drop=(ATTEMPTS_HEADER, ERROR_HEADER, QUEUE_HEADER, DEAD_AT_HEADER)
                )
                await channel.default_exchange.publish(copy, routing_key=config.queue(name))
                await message.ack()
                count += 1
                if remaining is not None:
                    remaining -= 1
            if count:
                moved[name] = count
                log.info("dead_letters_requeued", handler=name, count=count)
    finally:
        if not channel.is_closed:
            await channel.close()
    return moved
