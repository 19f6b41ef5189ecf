"""The events benchmark: outbox → RabbitMQ → a webhook receiver, at a fixed rate, with a kill -9.

    .venv/bin/python -m bench.events                          # 60 s at 1,000 events/s, then the baseline
    .venv/bin/python -m bench.events --duration 10 --rate 200 # a quick look
    .venv/bin/python -m bench.events --workers 1 --mode minimal --skip-bare

What runs (all on loopback, PostgreSQL and RabbitMQ as configured below):

* **rolecall**: this process commits ``bench.pinged`` events through
  :func:`rolecall.platform.events.outbox.emit` at ``--rate`` per second (a transaction every 5 ms
  with the events that are due), and serves the receiver, an HTTP endpoint (uvicorn, raw ASGI) that
  notes when each event first arrives and counts repeats by ``webhook-id``. ``--workers`` worker
  processes (``python -m bench.events_worker``: the real ``rolecall worker`` in broker mode plus a
  bench-only handler that POSTs each event to the receiver) relay the outbox to RabbitMQ and
  consume it. Half-way through (``--kill-at``), one worker gets ``SIGKILL`` and is started again.
  Latency is from the commit's return to the first arrival at the receiver, both taken in this
  process with ``time.time()``.
* **bare**: the same rate published with aio-pika alone (persistent messages, publisher confirms)
  to one durable queue, consumed by as many ``python -m bench.events_worker --bare`` processes,
  which POST to the same receiver and ack. Latency is from the start of ``publish`` to arrival.
  No database, no outbox, no receipts, no kill: the floor under the relay on this broker.

The report is ``bench/events.md``. Nothing here runs in the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aio_pika

from bench.events_worker import BenchPinged
from rolecall.platform import schema
from rolecall.platform.db import create_engine, create_sessionmaker, transaction
from rolecall.platform.events.broker import BrokerConfig
from rolecall.platform.events.outbox import emit
from rolecall.platform.tenancy import bind_organisation

ROOT = Path(__file__).resolve().parent.parent
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672/")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TICK = 0.005


class _ReceiverProtocol(asyncio.Protocol):
    """Just enough HTTP/1.1 (keep-alive, Content-Length bodies) to answer webhook POSTs cheaply: on two
    shared cores a full ASGI server here would take the CPU the pipeline under test needs."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        now = time.time()
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < head_end + 4 + length:
                return
            self.buffer = self.buffer[head_end + 4 + length :]
            self.receiver.note(int(headers["x-bench-seq"]), headers["webhook-id"], now)
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")


@dataclass
class Receiver:
    """The webhook endpoint: first arrival per sequence number, repeats per ``webhook-id``."""

    arrived: dict[int, float] = field(default_factory=dict)
    by_id: Counter[str] = field(default_factory=Counter)
    url: str = ""

    def note(self, seq: int, webhook_id: str, now: float) -> None:
        self.arrived.setdefault(seq, now)
        self.by_id[webhook_id] += 1

    def reset(self) -> None:
        self.arrived.clear()
        self.by_id.clear()

    @contextlib.asynccontextmanager
    async def running(self) -> Any:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _ReceiverProtocol(self), "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/hook"
        try:
            yield self
        finally:
            server.close()


@dataclass
class Result:
    variant: str
    sent: int
    received: int
    duplicates: int
    latencies_ms: list[float]
    seconds: float
    notes: list[str] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def row(self) -> str:
        lost = self.sent - self.received
        return (
            f"| {self.variant} | {self.sent:,} | {self.sent / self.seconds:,.0f} | {self.received:,} "
            f"| {lost} "
            f"| {self.duplicates} | {self.percentile(0.5):.1f} | {self.percentile(0.95):.1f} "
            f"| {self.percentile(0.99):.1f} | {max(self.latencies_ms, default=float('nan')):.0f} |"
        )


def paced(rate: int, duration: float) -> Any:
    """Yields how many messages are due at each tick to hold ``rate`` per second."""

    async def ticks() -> Any:
        start = time.monotonic()
        sent = 0
        total = int(rate * duration)
        while sent < total:
            elapsed = time.monotonic() - start
            due = min(total, int(elapsed * rate) + 1) - sent
            if due > 0:
                yield sent, due
                sent += due
            await asyncio.sleep(TICK)

    return ticks()


async def wait_drained(
    receiver: Receiver, total: int, *, patience: float = 30.0, limit: float = 900.0
) -> None:
    """Wait until every event has arrived, or nothing new has for ``patience`` seconds (then the
    missing ones are counted as lost), or ``limit`` seconds in all."""
    started = last_change = time.monotonic()
    seen = -1
    while len(receiver.arrived) < total:
        now = time.monotonic()
        if len(receiver.arrived) != seen:
            seen, last_change = len(receiver.arrived), now
        if now - last_change > patience or now - started > limit:
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # late repeats are counted too


async def queue_consumers(name: str) -> int:
    connection = await aio_pika.connect(BROKER_URL)
    try:
        channel = await connection.channel()
        try:
            queue = await channel.declare_queue(name, passive=True)
        except aio_pika.exceptions.ChannelClosed:
            return 0
        return int(queue.declaration_result.consumer_count or 0)
    finally:
        await connection.close()


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("ab")
    return subprocess.Popen(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "bench.events_worker", *args], cwd=ROOT, env=env, stdout=handle, stderr=handle
    )


async def prepare_database(name: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    connection = await asyncpg.connect(POSTGRES_URL)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = POSTGRES_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    url = f"{base}/{name}"
    await asyncio.to_thread(schema.upgrade, url)
    return url


async def run_rolecall(args: argparse.Namespace, receiver: Receiver, database_url: str) -> Result:
    from rolecall.identity.models import Organisation

    tag = uuid.uuid4().hex[:8]
    config = BrokerConfig(url=BROKER_URL, exchange=f"bench.{tag}.events", queue_prefix=f"bench.{tag}")
    env = {
        **os.environ,
        "ROLECALL_DATABASE_URL": database_url,
        "ROLECALL_BROKER_URL": BROKER_URL,
        "ROLECALL_BROKER_EXCHANGE": config.exchange,
        "ROLECALL_BROKER_QUEUE_PREFIX": config.queue_prefix,
        "ROLECALL_BROKER_PREFETCH": str(args.prefetch),
        "ROLECALL_OUTBOX_POLL_SECONDS": str(args.poll),
        "ROLECALL_OUTBOX_BATCH_SIZE": "200",
        "ROLECALL_DATABASE_POOL_SIZE": "20",
        "ROLECALL_EMBEDDED_WORKER": "false",
        "ROLECALL_LOG_LEVEL": "WARNING",
        "ROLECALL_SEARCH_SYNC_SECONDS": "0",
        "BENCH_RECEIVER_URL": receiver.url,
    }
    mode = ["--minimal"] if args.mode == "minimal" else []
    log = ROOT / "var" / f"bench-events-{tag}.log"
    log.parent.mkdir(exist_ok=True)
    workers = [spawn(mode, env, log) for _ in range(args.workers)]
    queue = config.queue("bench.webhook")
    deadline = time.monotonic() + 120
    while await queue_consumers(queue) < args.workers:
        assert all(w.poll() is None for w in workers), f"a worker exited at start; see {log}"
        assert time.monotonic() < deadline, f"workers did not start consuming; see {log}"
        await asyncio.sleep(0.2)

    engine = create_engine(database_url, pool_size=5)
    maker = create_sessionmaker(engine)
    async with transaction(maker) as session:
        organisation = Organisation(name="Bench")
        session.add(organisation)
    committed: dict[int, float] = {}
    notes: list[str] = []
    kill_at = args.duration * args.kill_at if args.kill else None
    started = time.monotonic()
    try:
        async for first, count in paced(args.rate, args.duration):
            async with transaction(maker) as session:
                bind_organisation(session, organisation.id)
                for seq in range(first, first + count):
                    emit(session, BenchPinged(seq=seq))
            now = time.time()
            for seq in range(first, first + count):
                committed[seq] = now
            if kill_at is not None and time.monotonic() - started >= kill_at:
                victim = workers[0]
                victim.send_signal(signal.SIGKILL)
                await asyncio.to_thread(victim.wait)
                workers[0] = spawn(mode, env, log)
                notes.append(
                    f"worker pid {victim.pid} got SIGKILL at {time.monotonic() - started:.1f} s "
                    f"(after {len(committed):,} commits) and was started again at once"
                )
                kill_at = None
        seconds = time.monotonic() - started
        await wait_drained(receiver, len(committed))
        drained = time.monotonic() - started
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                # In a thread: stopping workers still POST to the receiver this loop serves.
                await asyncio.to_thread(worker.wait, 30)
            except subprocess.TimeoutExpired:
                worker.kill()
        await engine.dispose()
        await delete_topology(config)
    latencies = [(receiver.arrived[s] - committed[s]) * 1000 for s in committed if s in receiver.arrived]
    duplicates = sum(n - 1 for n in receiver.by_id.values())
    label = f"rolecall ({args.workers} worker{'s' if args.workers > 1 else ''}, {args.mode})"
    notes.append(f"last event arrived {drained - 1:.0f} s after the first commit")
    return Result(label, len(committed), len(receiver.arrived), duplicates, latencies, seconds, notes)


async def delete_topology(config: BrokerConfig) -> None:
    """Remove the run's exchange and every queue the workers may have declared on it."""
    names = {"bench.webhook"}
    with contextlib.suppress(Exception):
        from rolecall.platform.contexts import discover
        from rolecall.platform.events.registry import registry

        discover()
        names |= {r.name for r in registry.registrations()}
    connection = await aio_pika.connect(BROKER_URL)
    try:
        channel = await connection.channel()
        for name in names:
            for queue in (config.queue(name), config.retry_queue(name), config.dead_queue(name)):
                await channel.queue_delete(queue)
        await channel.exchange_delete(config.exchange)
        await channel.exchange_delete(config.dead_letter_exchange)
    finally:
        await connection.close()


async def run_bare(args: argparse.Namespace, receiver: Receiver) -> Result:
    name = f"bench.bare.{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "BENCH_BROKER_URL": BROKER_URL, "BENCH_BARE_QUEUE": name}
    env |= {"BENCH_RECEIVER_URL": receiver.url, "BENCH_PREFETCH": str(args.prefetch)}
    connection = await aio_pika.connect(BROKER_URL)
    channel = await connection.channel(publisher_confirms=True)
    await channel.declare_queue(name, durable=True)
    log = ROOT / "var" / f"bench-events-{name}.log"
    consumers = [spawn(["--bare"], env, log) for _ in range(args.workers)]
    while await queue_consumers(name) < args.workers:  # noqa: ASYNC110 - polling the broker
        await asyncio.sleep(0.2)
    published: dict[int, float] = {}
    started = time.monotonic()
    try:
        async for first, count in paced(args.rate, args.duration):
            stamps = {seq: time.time() for seq in range(first, first + count)}
            await asyncio.gather(
                *(
                    channel.default_exchange.publish(
                        aio_pika.Message(
                            b"{}",
                            headers={"x-bench-seq": seq},
                            message_id=str(uuid.uuid4()),
                            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                            content_type="application/json",
                        ),
                        routing_key=name,
                    )
                    for seq in stamps
                )
            )
            published.update(stamps)
        seconds = time.monotonic() - started
        await wait_drained(receiver, len(published))
        drained = time.monotonic() - started
    finally:
        for consumer in consumers:
            consumer.terminate()
        for consumer in consumers:
            await asyncio.to_thread(consumer.wait, 10)
        await channel.queue_delete(name)
        await connection.close()
    latencies = [(receiver.arrived[s] - published[s]) * 1000 for s in published if s in receiver.arrived]
    duplicates = sum(n - 1 for n in receiver.by_id.values())
    label = f"bare aio-pika ({args.workers} consumer{'s' if args.workers > 1 else ''})"
    notes = [f"last message arrived {drained - 1:.0f} s after the first publish"]
    return Result(label, len(published), len(receiver.arrived), duplicates, latencies, seconds, notes)


async def main(args: argparse.Namespace) -> None:
    database = f"rolecall_bench_events_{uuid.uuid4().hex[:6]}"
    database_url = await prepare_database(database)
    results: list[Result] = []
    receiver = Receiver()
    try:
        async with receiver.running():
            if not args.skip_rolecall:
                results.append(await run_rolecall(args, receiver, database_url))
                receiver.reset()
            if not args.skip_bare:
                results.append(await run_bare(args, receiver))
    finally:
        import asyncpg

        connection = await asyncpg.connect(POSTGRES_URL)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        finally:
            await connection.close()
    print(
        f"\n{args.rate:,} events/s for {args.duration:.0f} s; {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}\n"
    )
    print("| variant | sent | sent/s | received | lost | duplicates | p50 ms | p95 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for result in results:
        print(result.row())
    for result in results:
        for note in result.notes:
            print(f"- {result.variant}: {note}")
    if len(results) == 2 and results[1].latencies_ms:
        a, b = results
        print(
            f"\nratio rolecall/bare: {a.percentile(0.5) / b.percentile(0.5):.1f}x at p50, "
            f"{a.percentile(0.99) / b.percentile(0.99):.1f}x at p99"
        )
        slow = sum(1 for x in a.latencies_ms if x > 250)
        print(f"rolecall events over 250 ms: {slow} ({100 * slow / max(1, len(a.latencies_ms)):.2f}%)")
        print(f"mean {statistics.fmean(a.latencies_ms):.1f} ms vs {statistics.fmean(b.latencies_ms):.1f} ms")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load per variant")
    parser.add_argument("--rate", type=int, default=1000, help="events per second")
    parser.add_argument("--workers", type=int, default=2, help="worker (and bare consumer) processes")
    parser.add_argument("--mode", choices=("rolecall", "minimal"), default="rolecall")
    parser.add_argument("--prefetch", type=int, default=64)
    parser.add_argument(
        "--poll", type=float, default=0.05, help="ROLECALL_OUTBOX_POLL_SECONDS of the workers"
    )
    parser.add_argument("--kill-at", type=float, default=0.5, help="fraction of the run at which to kill -9")
    parser.add_argument("--no-kill", dest="kill", action="store_false")
    parser.add_argument("--skip-bare", action="store_true")
    parser.add_argument("--skip-rolecall", action="store_true")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
