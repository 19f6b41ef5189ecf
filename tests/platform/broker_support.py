"""Real servers for the broker tests: a TCP proxy in front of RabbitMQ (to cut connections the way a
network failure or a killed process does) and an HTTP receiver standing in for a webhook endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import aio_pika
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.events.broker import BrokerConfig
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.registry import HandlerRegistry
from rolecall.platform.tenancy import bind_organisation

BROKER_URL = os.environ.get("ROLECALL_TEST_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
BROKER_HOST, BROKER_PORT = "127.0.0.1", 5672


def unique_config(**options: Any) -> BrokerConfig:
    """Exchange and queue names of this test alone, so tests (and xdist workers) never share them."""
    tag = uuid.uuid4().hex[:10]
    defaults: dict[str, Any] = {
        "url": BROKER_URL,
        "exchange": f"test.{tag}.events",
        "queue_prefix": f"test.{tag}",
        "prefetch": 20,
        "max_attempts": 3,
        "retry_seconds": 0.05,
        "retry_max_seconds": 0.2,
    }
    defaults.update(options)
    return BrokerConfig(**defaults)


async def delete_topology(config: BrokerConfig, registry: HandlerRegistry, *extra_queues: str) -> None:
    connection = await aio_pika.connect(BROKER_URL)
    try:
        channel = await connection.channel()
        names = {r.name for r in registry.registrations()}
        queues = [q for n in names for q in (config.queue(n), config.retry_queue(n), config.dead_queue(n))]
        for queue in [*queues, *extra_queues]:
            await channel.queue_delete(queue)
        for exchange in (config.exchange, config.dead_letter_exchange):
            await channel.exchange_delete(exchange)
    finally:
        await connection.close()


async def record(
    sessionmaker: async_sessionmaker[AsyncSession],
    organisation_id: uuid.UUID,
    count: int = 1,
    *,
    type: str = "test.broker.happened",
) -> list[uuid.UUID]:
    """Outbox rows written directly (test types stay out of the public event catalogue)."""
    async with transaction(sessionmaker) as session:
        bind_organisation(session, organisation_id)
        rows = [
            OutboxEvent(type=type, source="/tests", subject=f"things/{n}", data={"n": n})
            for n in range(count)
        ]
        session.add_all(rows)
    return [row.id for row in rows]


class TcpProxy:
    """Forwards local connections to RabbitMQ; :meth:`drop` aborts them all at once (no AMQP close:
    the broker sees a dead peer and requeues its unacknowledged messages, the client reconnects)."""

    def __init__(self) -> None:
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.StreamWriter] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(BROKER_HOST, BROKER_PORT)
        except OSError:
            writer.transport.abort()
            return
        self._transports.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(Exception):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))
        self._transports.difference_update((writer, up_writer))

    def drop(self) -> None:
        for writer in list(self._transports):
            writer.transport.abort()
        self._transports.clear()

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        self.drop()


class Receiver:
    """A webhook-like HTTP endpoint: counts deliveries by their ``webhook-id`` header."""

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.received = asyncio.Event()
        self.expected = 0
        self._server: uvicorn.Server | None = None
        self._task: asyncio.Task[None] | None = None
        self.url = ""

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        while (await receive()).get("more_body"):
            pass
        headers = dict(scope["headers"])
        self.deliveries[headers[b"webhook-id"].decode()] += 1
        if self.expected and len(self.deliveries) >= self.expected:
            self.received.set()
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Receiver]:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
        config = uvicorn.Config(self, lifespan="off", log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.01)
        try:
            yield self
        finally:
            self._server.should_exit = True
            await self._task
            sock.close()
