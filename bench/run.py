"""The board search benchmark: four ways to answer the same query mix on the same data.

    .venv/bin/python -m bench.run --size 100000
    .venv/bin/python -m bench.run --size 1000000 --clients 16 --limit database-http=60 --budget 120

Variants (``--variants``, comma-separated, default all four):

``tantivy-http``   the real app (uvicorn subprocess, ``ROLECALL_SEARCH_BACKEND=tantivy``) over HTTP
``database-http``  the same app with ``ROLECALL_SEARCH_BACKEND=database`` (tsvector + GIN)
``ilike``          ``ILIKE '%term%'`` on title/body plus a match count, straight on PostgreSQL (asyncpg)
``tantivy-bare``   ``TantivySearchIndex.search_sync`` in a thread pool, no web layer (the floor)

For each variant and each client count (``--clients``, default ``16,1``) the app (or index instance)
is started fresh, so the first pass over the mix is *cold* for the tantivy facet cache; ``--warm``
further passes (in another order) are *warm*. The OS page cache and PostgreSQL's buffers are not
dropped: the data was just written or read, as on a running board. Each pass stops issuing queries
after ``--budget`` seconds (in-flight ones finish) and ``--limit variant=N`` caps the number of
queries per pass; the report says how many ran. Results: a table on stdout and
``/tmp/rolecall-bench/<size>/results-<variants>.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench.generate import NAIVE_TABLE, data_dir, index_dir, pg_dsn, sqlalchemy_url
from bench.queries import load as load_queries
from rolecall.board.search import SALARY_BUCKETS, SearchQuery
from rolecall.board.service import normalise_skills

VARIANTS = ("tantivy-http", "database-http", "ilike", "tantivy-bare")
WARMUP_QUERY = "zzqwarmupnomatch"  # matches nothing: opens searchers and pools, caches no facet
_TOTAL = re.compile(rb'"total":(\d+)')


@dataclass
class PassResult:
    variant: str
    clients: int
    pass_name: str
    planned: int
    completed: int = 0
    errors: int = 0
    wall_seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    totals: dict[int, int] = field(default_factory=dict)  # query index -> total matches
    load_before: float = field(default_factory=lambda: os.getloadavg()[0])  # 1-minute load average

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float | None:
            if not lat:
                return None
            return lat[min(len(lat) - 1, max(0, round(p / 100 * len(lat) + 0.5) - 1))]

        return {
            "variant": self.variant,
            "clients": self.clients,
            "pass": self.pass_name,
            "planned": self.planned,
            "completed": self.completed,
            "errors": self.errors,
            "p50_ms": pct(50),
            "p95_ms": pct(95),
            "p99_ms": pct(99),
            "max_ms": lat[-1] if lat else None,
            "mean_ms": statistics.fmean(lat) if lat else None,
            "throughput_qps": self.completed / self.wall_seconds if self.wall_seconds else None,
            "wall_seconds": self.wall_seconds,
            "load_before": self.load_before,
        }


# -- query translation -----------------------------------------------------------------------------


def http_params(query: dict[str, Any]) -> list[tuple[str, str]]:
    params = [("q", query["q"]), ("limit", "20"), ("sort", query["sort"])]
    for name, values in query["filters"].items():
        params.extend((name, value) for value in values)
    if query["salary_at_least"] is not None:
        params.append(("salary_at_least", str(query["salary_at_least"])))
    return params


def search_query(query: dict[str, Any]) -> SearchQuery:
    """What the endpoint builds from the same parameters (skills normalised, q stripped)."""
    filters = {name: tuple(values) for name, values in query["filters"].items()}
    if "skills" in filters:
        filters["skills"] = normalise_skills(filters["skills"])
    return SearchQuery(
        q=query["q"].strip(),
        filters=filters,  # type: ignore[arg-type]
        salary_at_least=query["salary_at_least"],
        sort=query["sort"],
        limit=20,
    )


def ilike_statements(query: dict[str, Any]) -> tuple[str, str, list[Any]]:
    """(count SQL, page SQL, arguments): every whitespace-separated word ILIKE'd on title or body."""
    conditions = ["listed"]
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    for word in query["q"].split():
        pattern = arg("%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        conditions.append(f"(title ILIKE {pattern} OR body ILIKE {pattern})")
    for name, values in query["filters"].items():
        if name == "location":
            conditions.append(f"locations && {arg(values)}::text[]")
        elif name == "skills":
            conditions.append(f"skills && {arg(list(normalise_skills(values)))}::text[]")
        elif name == "salary":
            bounds = {key: (low, high) for key, low, high in SALARY_BUCKETS}
            ranges = [
                f"salary_max >= {low}" if high is None else f"(salary_max >= {low} AND salary_max < {high})"
                for low, high in (bounds[v] for v in values if v in bounds)
            ]
            conditions.append("(" + " OR ".join(ranges or ["false"]) + ")")
        else:
            column = "organisation_slug" if name == "organisation" else name
            conditions.append(f"{column} = ANY({arg(values)}::text[])")
    if query["salary_at_least"] is not None:
        conditions.append(f"salary_max >= {arg(query['salary_at_least'])}")
    where = " AND ".join(conditions)
    # Values are bound parameters; only our own column names and bucket bounds are interpolated.
    count = f"SELECT count(*) FROM {NAIVE_TABLE} WHERE {where}"  # noqa: S608
    page = f"SELECT id FROM {NAIVE_TABLE} WHERE {where} ORDER BY published_at DESC, id LIMIT 20"  # noqa: S608
    return count, page, args


# -- drivers ---------------------------------------------------------------------------------------


async def drive_async(
    result: PassResult,
    order: list[int],
    clients: int,
    budget: float,
    call: Callable[[int], Awaitable[int | None]],
) -> None:
    """``clients`` coroutines take the next query index until the list or the time budget runs out."""
    pending = iter(order)
    started = time.perf_counter()

    async def worker() -> None:
        for index in pending:
            if time.perf_counter() - started > budget:
                return
            t0 = time.perf_counter()
            try:
                total = await call(index)
            except Exception as exc:
                result.errors += 1
                print(f"  error on query {index}: {exc!r}"[:300], file=sys.stderr)
                continue
            result.latencies_ms.append((time.perf_counter() - t0) * 1000)
            result.completed += 1
            if total is not None:
                result.totals[index] = total

    await asyncio.gather(*(worker() for _ in range(clients)))
    result.wall_seconds = time.perf_counter() - started


def drive_threads(
    result: PassResult, order: list[int], clients: int, budget: float, call: Callable[[int], int]
) -> None:
    pending = iter(order)
    lock = threading.Lock()
    started = time.perf_counter()

    def worker() -> None:
        while True:
            with lock:
                index = next(pending, None)
            if index is None or time.perf_counter() - started > budget:
                return
            t0 = time.perf_counter()
            total = call(index)
            elapsed = (time.perf_counter() - t0) * 1000
            with lock:
                result.latencies_ms.append(elapsed)
                result.completed += 1
                result.totals[index] = total

    with ThreadPoolExecutor(clients) as pool:
        for future in [pool.submit(worker) for _ in range(clients)]:
            future.result()
    result.wall_seconds = time.perf_counter() - started


# -- the app under test ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """``uvicorn rolecall.app:create_app --factory`` in a subprocess, as ``rolecall serve`` runs it."""

    def __init__(self, size: int, backend: str, log: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "ROLECALL_DATABASE_URL": sqlalchemy_url(size),
            "ROLECALL_SEARCH_BACKEND": backend,
            "ROLECALL_SEARCH_INDEX_PATH": str(index_dir(size)),
            "ROLECALL_EMBEDDED_WORKER": "false",
            "ROLECALL_SEARCH_SYNC_SECONDS": "0",
        }
        command = [
            sys.executable, "-m", "uvicorn", "rolecall.app:create_app", "--factory", "--host", "127.0.0.1",
            "--port", str(self.port), "--no-server-header", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        self._log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    async def ready(self, client: httpx.AsyncClient, clients: int) -> None:
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the app exited with {self.process.returncode}; see {self._log.name}")
            try:
                if (await client.get(f"{self.url}/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the app did not start within 60 s")
            await asyncio.sleep(0.2)
        url = f"{self.url}/v1/board/postings"
        await asyncio.gather(*(client.get(url, params={"q": f"{WARMUP_QUERY}{i}"}) for i in range(clients)))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


# -- variants --------------------------------------------------------------------------------------


def _orders(count: int, passes: int) -> list[list[int]]:
    rng = random.Random(11)
    orders = []
    for _ in range(passes):
        order = list(range(count))
        rng.shuffle(order)
        orders.append(order)
    return orders


def pass_names(warm: int) -> list[str]:
    return ["cold", *(f"warm{i + 1}" for i in range(warm))]


async def run_http(
    variant: str, size: int, queries: list[dict[str, Any]], clients: int, args: argparse.Namespace
) -> list[PassResult]:
    backend = "tantivy" if variant == "tantivy-http" else "database"
    server = Server(size, backend, data_dir(size) / f"server-{backend}.log")
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    results = []
    try:
        async with httpx.AsyncClient(limits=limits, timeout=600) as client:
            await server.ready(client, clients)
            url = f"{server.url}/v1/board/postings"
            params = [http_params(q) for q in queries]

            async def call(index: int) -> int:
                response = await client.get(url, params=params[index])
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
                match = _TOTAL.search(response.content)
                return int(match.group(1)) if match else -1

            for name, order in zip(pass_names(args.warm), _orders(len(queries), args.warm + 1), strict=True):
                order = order[: args.limits.get(variant, len(order))]
                result = PassResult(variant, clients, name, len(order))
                await drive_async(result, order, clients, args.budget, call)
                results.append(result)
                report_line(result)
    finally:
        server.stop()
    return results


async def run_ilike(
    size: int, queries: list[dict[str, Any]], clients: int, args: argparse.Namespace
) -> list[PassResult]:
    import asyncpg

    statements = [ilike_statements(q) for q in queries]
    pool = await asyncpg.create_pool(pg_dsn(size), min_size=clients, max_size=clients)
    results = []
    try:

        async def call(index: int) -> int:
            count_sql, page_sql, values = statements[index]
            async with pool.acquire() as conn:
                total = await conn.fetchval(count_sql, *values)
                await conn.fetch(page_sql, *values)
            return int(total)

        for name, order in zip(pass_names(args.warm), _orders(len(queries), args.warm + 1), strict=True):
            order = order[: args.limits.get("ilike", len(order))]
            result = PassResult("ilike", clients, name, len(order))
            await drive_async(result, order, clients, args.budget, call)
            results.append(result)
            report_line(result)
    finally:
        await pool.close()
    return results


def run_bare(
    size: int, queries: list[dict[str, Any]], clients: int, args: argparse.Namespace
) -> list[PassResult]:
    from rolecall.board.tantivy_index import TantivySearchIndex

    index = TantivySearchIndex(index_dir(size))  # a new instance: an empty facet cache
    index.search_sync(SearchQuery(q=WARMUP_QUERY))
    prepared = [search_query(q) for q in queries]
    results = []

    def call(i: int) -> int:
        return index.search_sync(prepared[i]).total

    for name, order in zip(pass_names(args.warm), _orders(len(queries), args.warm + 1), strict=True):
        order = order[: args.limits.get("tantivy-bare", len(order))]
        result = PassResult("tantivy-bare", clients, name, len(order))
        drive_threads(result, order, clients, args.budget, call)
        results.append(result)
        report_line(result)
    return results


# -- reporting -------------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def report_line(result: PassResult) -> None:
    s = result.summary()
    print(
        f"  {s['variant']:<14} c={s['clients']:<3} {s['pass']:<6} n={s['completed']}/{s['planned']}"
        f" err={s['errors']} p50={_fmt(s['p50_ms'])} p95={_fmt(s['p95_ms'])} p99={_fmt(s['p99_ms'])}"
        f" max={_fmt(s['max_ms'])} ms  {_fmt(s['throughput_qps'])} q/s  ({s['wall_seconds']:.1f} s,"
        f" load {s['load_before']:.1f})",
        flush=True,
    )


def table(summaries: list[dict[str, Any]]) -> str:
    head = "| variant | clients | pass | queries | errors | p50 ms | p95 ms | p99 ms | max ms | q/s |"
    rows = [head, "|" + "---|" * 10]
    for s in summaries:
        rows.append(
            f"| {s['variant']} | {s['clients']} | {s['pass']} | {s['completed']}/{s['planned']} "
            f"| {s['errors']} "
            f"| {_fmt(s['p50_ms'])} | {_fmt(s['p95_ms'])} | {_fmt(s['p99_ms'])} | {_fmt(s['max_ms'])} "
            f"| {_fmt(s['throughput_qps'])} |"
        )
    return "\n".join(rows)


def ratios(summaries: list[dict[str, Any]]) -> str:
    by = {(s["variant"], s["clients"], s["pass"]): s for s in summaries}
    lines = []
    pairs = (("database-http", "tantivy-http"), ("ilike", "tantivy-http"), ("tantivy-http", "tantivy-bare"))
    for clients in sorted({s["clients"] for s in summaries}, reverse=True):
        for pass_name in sorted({s["pass"] for s in summaries}):
            for slow, fast in pairs:
                a, b = by.get((slow, clients, pass_name)), by.get((fast, clients, pass_name))
                if not a or not b or not a["p50_ms"] or not b["p50_ms"]:
                    continue
                lines.append(
                    f"| {slow} / {fast} | {clients} | {pass_name} | {a['p50_ms'] / b['p50_ms']:.1f}x "
                    f"| {a['p99_ms'] / b['p99_ms']:.1f}x |"
                )
    return "| ratio | clients | pass | at p50 | at p99 |\n|---|---|---|---|---|\n" + "\n".join(lines)


def agreement(results: list[PassResult]) -> list[str]:
    """Do the adapters agree on ``total``? (They implement one contract; ILIKE is not expected to.)"""
    cold = {r.variant: r.totals for r in results if r.pass_name == "cold"}  # noqa: S105 - a pass name
    reference = cold.get("tantivy-bare") or cold.get("tantivy-http")
    lines = []
    if reference is None:
        return lines
    for variant, totals in cold.items():
        shared = [i for i in totals if i in reference]
        same = sum(1 for i in shared if totals[i] == reference[i])
        lines.append(f"{variant}: total equal to tantivy's on {same}/{len(shared)} queries")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--clients", default="16,1")
    parser.add_argument("--warm", type=int, default=1, help="warm passes after the cold one")
    parser.add_argument("--budget", type=float, default=300.0, help="seconds per pass before stopping")
    parser.add_argument("--limit", action="append", default=[], help="variant=N: at most N queries a pass")
    parser.add_argument("--queries", type=int, default=None, help="use only the first N queries")
    args = parser.parse_args()
    args.limits = {k: int(v) for k, v in (item.split("=", 1) for item in args.limit)}
    queries = load_queries()[: args.queries]
    variants = [v.strip() for v in args.variants.split(",") if v.strip()]
    clients_list = [int(c) for c in args.clients.split(",")]
    print(f"size={args.size} queries={len(queries)} variants={variants} clients={clients_list}", flush=True)

    results: list[PassResult] = []
    for variant in variants:
        for clients in clients_list:
            if variant in ("tantivy-http", "database-http"):
                results += asyncio.run(run_http(variant, args.size, queries, clients, args))
            elif variant == "ilike":
                results += asyncio.run(run_ilike(args.size, queries, clients, args))
            elif variant == "tantivy-bare":
                results += run_bare(args.size, queries, clients, args)
            else:
                raise SystemExit(f"unknown variant {variant!r}")

    summaries = [r.summary() for r in results]
    print()
    print(table(summaries))
    print()
    print(ratios(summaries))
    print()
    for line in agreement(results):
        print(line)
    out = data_dir(args.size) / f"results-{'+'.join(variants)}.json"
    out.write_text(
        json.dumps(
            {
                "size": args.size,
                "args": {k: v for k, v in vars(args).items()},
                "summaries": summaries,
                "agreement": agreement(results),
                "runs": [asdict(r) for r in results],
            },
            indent=1,
        )
    )
    print(f"\nresults: {out}")


if __name__ == "__main__":
    main()
