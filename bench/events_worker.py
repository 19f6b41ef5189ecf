"""The processes ``bench.events`` starts and kills.

    python -m bench.events_worker               # `rolecall worker`, plus the bench's webhook handler
    python -m bench.events_worker --minimal     # only the outbox relay and the consumers, bench handler only
    python -m bench.events_worker --bare        # the baseline: a plain aio-pika consumer

The default is the real ``rolecall worker`` command (``rolecall.cli``), in broker mode from the
``ROLECALL_*`` environment, with one extra import: this module subscribes ``bench.webhook``, a handler
that POSTs each ``bench.pinged`` event to the benchmark's receiver (``BENCH_RECEIVER_URL``) with a
``webhook-id`` header, as webhook delivery would. ``--minimal`` runs the same relay and consumers
without the app's other handlers and scheduled jobs (for when a context being refactored does not
import). ``--bare`` consumes ``BENCH_BARE_QUEUE`` with aio-pika alone and POSTs the same way.
"""

from __future__ import annotations

import asyncio
import os
import sys
from typing import ClassVar

import aiohttp
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.events.base import DomainEvent
from rolecall.platform.events.registry import HandlerRegistry, registry


class BenchPinged(DomainEvent):
    """One benchmark event: its sequence number is how the receiver finds its commit time."""

    event_type: ClassVar[str] = "bench.pinged"
    source: ClassVar[str] = "/bench"
    subject_template: ClassVar[str] = "bench/{seq}"
    public: ClassVar[bool] = False

    seq: int


_client: aiohttp.ClientSession | None = None


def _http() -> aiohttp.ClientSession:
    # aiohttp rather than httpx: at 1,000 requests/s on two shared cores, the client's own CPU cost
    # per request decides whether the handler keeps up (httpx costs several times more per request).
    global _client
    if _client is None:
        connector = aiohttp.TCPConnector(limit=128)
        _client = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=10))
    return _client


async def post(seq: int, event_id: str) -> None:
    async with _http().post(
        os.environ["BENCH_RECEIVER_URL"],
        data=b"{}",
        headers={"webhook-id": event_id, "x-bench-seq": str(seq), "content-type": "application/json"},
    ) as response:
        response.raise_for_status()


def subscribe(target: HandlerRegistry) -> None:
    @target.subscribe(BenchPinged, name="bench.webhook")
    async def deliver(session: AsyncSession, event: BenchPinged) -> None:
        await post(event.seq, str(event.event_id))


async def minimal() -> None:
    from rolecall.config import Settings
    from rolecall.identity import models  # noqa: F401 - the outbox's foreign key needs its table
    from rolecall.platform.db import create_engine, create_sessionmaker
    from rolecall.platform.events.broker import BrokerConfig
    from rolecall.platform.events.consumer import start_broker
    from rolecall.platform.events.relay import OutboxDispatcher

    settings = Settings()
    config = BrokerConfig.from_settings(settings)
    assert config is not None, "set ROLECALL_BROKER_URL"
    own = HandlerRegistry()
    subscribe(own)
    engine = create_engine(settings.database_url, pool_size=settings.database_pool_size)
    maker = create_sessionmaker(engine)
    runtime = start_broker(config, maker, own)
    await runtime.start()
    dispatcher = OutboxDispatcher(
        maker,
        runtime.relay,
        batch_size=settings.outbox_batch_size,
        poll_seconds=settings.outbox_poll_seconds,
        max_attempts=settings.outbox_max_attempts,
    )
    await dispatcher.run_forever()


async def bare() -> None:
    import aio_pika

    connection = await aio_pika.connect_robust(os.environ["BENCH_BROKER_URL"])
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=int(os.environ.get("BENCH_PREFETCH", "32")))
    queue = await channel.declare_queue(os.environ["BENCH_BARE_QUEUE"], durable=True)

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        headers = message.headers or {}
        await post(int(str(headers["x-bench-seq"])), str(message.message_id))
        await message.ack()

    await queue.consume(on_message)
    await asyncio.Future()


def main() -> None:
    if "--bare" in sys.argv:
        asyncio.run(bare())
    elif "--minimal" in sys.argv:
        asyncio.run(minimal())
    else:
        subscribe(registry)
        from rolecall.cli import app

        app(["worker"])


if __name__ == "__main__":
    main()
