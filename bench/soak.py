"""Soak test: two API processes and the worker on PostgreSQL under a steady mixed load.

``python -m bench.soak [--duration 1800] [--users 100] [--rate 2] [--reuse]``

It builds a PostgreSQL database (``rolecall_bench_soak``: ``rolecall migrate`` and ``rolecall demo``)
and starts Rolecall the way a small production deployment runs it: two ``rolecall serve``
processes (each with its own search index directory, as docs/careers-board.md requires) and one
``rolecall worker``, all on that database, rate limits on and shared through the local Redis (with
limits raised above the offered load, since every client is 127.0.0.1). PostgreSQL's autovacuum is
switched on for the run if the server has it off (and put back afterwards), as on any production
server. ``locust`` (headless,
``bench/soak_locustfile.py``) offers a fixed load: ``--users`` users, each at ``--rate`` requests per
second, half on each API process, in the mix its docstring lists.

While it runs, every ``--sample`` seconds it records each process's resident memory and CPU, the
outbox backlog (events not yet dispatched, and the oldest one's age) and the machine's load. After
the run it waits for the outbox to drain and counts the applications the database gained against
the 202 answers in the API processes' request logs (and checks that every 202 locust saw is among
them; a request still in flight when a pass ends is answered but not counted by locust). The
results (JSON, the samples, locust's totals and three graphs) go to ``--out`` (``bench/soak/``);
the report is ``bench/soak.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import psutil

from bench.apply import _forms
from bench.hot_path import ADMIN_DSN, PASSWORD, Process, _fresh_database, _rolecall
from bench.run import _free_port

DATABASE = "rolecall_bench_soak"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
WORK = Path("/tmp/rolecall-bench/soak")  # noqa: S108 - benchmark data, not a secret
ACCOUNT = "admin@acme.example"
# Board searches as job seekers type them: words, compounds, abbreviations, a typo, facet filters.
SEARCHES: list[dict[str, Any]] = [
    {"q": "engineer"},
    {"q": "backend"},
    {"q": "back-end engineer"},
    {"q": "frontend"},
    {"q": "senior"},
    {"q": "python"},
    {"q": "kubernetes"},
    {"q": "k8s"},
    {"q": "sre"},
    {"q": "data"},
    {"q": "secrity engineer"},
    {"q": "lead back end", "sort": "date"},
    {"q": "engineer", "work_arrangement": "remote"},
    {"q": "", "level": "senior"},
    {"q": "", "work_arrangement": "hybrid"},
    {"q": "", "salary_at_least": 100000},
    {"q": "", "sort": "date"},
    {"q": "postgres", "level": "lead"},
]


def _environment(base: str) -> dict[str, str]:
    return {
        **os.environ,
        "ROLECALL_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}",
        "ROLECALL_EMBEDDED_WORKER": "false",
        "ROLECALL_ISSUER": base,
        "ROLECALL_PUBLIC_BASE_URL": base,
        "ROLECALL_FILE_STORE_PATH": str(WORK / "files"),
        "ROLECALL_MAIL_OUTBOX_DIR": str(WORK / "mail"),
        "ROLECALL_REDIS_URL": "redis://127.0.0.1:6379/7",
        "ROLECALL_RATE_LIMIT_KEY_PREFIX": f"soak-{os.getpid()}",
        "ROLECALL_RATE_LIMIT_BOARD_PER_MINUTE": "1000000",
        "ROLECALL_RATE_LIMIT_CLIENT_PER_MINUTE": "1000000",
        "ROLECALL_APPLY_RATE_PER_HOUR": "100000",
    }


async def _autovacuum(on: bool) -> bool:
    """Turn the server's autovacuum on for the run (a development server may have it off), and say
    whether it was on before, so the run can put it back. Without it the outbox's dead rows pile up
    and the relay's polling costs more every minute: a drift no production server has."""
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        before = await admin.fetchval("SHOW autovacuum") == "on"
        if on and not before:
            await admin.execute("ALTER SYSTEM SET autovacuum = on")
        elif not on:
            await admin.execute("ALTER SYSTEM RESET autovacuum")
        await admin.execute("SELECT pg_reload_conf()")
        return before
    finally:
        await admin.close()


def _fixture(base: str) -> dict[str, Any]:
    """Ids, forms and searches for the locust users, read through the API like any client."""
    token = httpx.post(
        f"{base}/v1/oauth/token", data={"grant_type": "password", "username": ACCOUNT, "password": PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}

    def ids(collection: str) -> list[str]:
        answer = httpx.get(f"{base}/v1/{collection}", headers=headers, params={"limit": 50})
        answer.raise_for_status()
        return [item["id"] for item in answer.json()["items"]]

    async def forms() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            return await _forms(client)

    settings = httpx.get(f"{base}/v1/job-settings", headers=headers).json()
    postings = httpx.get(f"{base}/v1/board/postings", params={"limit": 50}).json()["items"]
    return {
        "email": ACCOUNT,
        "password": PASSWORD,
        "board_slug": settings["board_slug"],
        "users": ids("users"),
        "jobs": ids("jobs"),
        "candidates": ids("candidates"),
        "postings": [posting["id"] for posting in postings],
        "forms": asyncio.run(forms()),
        "searches": SEARCHES,
    }


def _tree_rss(process: psutil.Process) -> int:
    total = 0
    for each in [process, *process.children(recursive=True)]:
        try:
            total += each.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


async def _database_figures(connection: asyncpg.Connection) -> dict[str, Any]:
    count, oldest = await connection.fetchrow(
        "SELECT count(*), extract(epoch FROM now() - min(time)) FROM outbox WHERE dispatched_at IS NULL"
    )
    applications = await connection.fetchval("SELECT count(*) FROM applications")
    return {"backlog": count, "oldest_s": float(oldest or 0.0), "applications": applications}


class _CpuOf:
    """CPU used since the last call by every process whose command line matches (PostgreSQL's
    backends, the locust process): the rest of the machine's load, beside Rolecall's own."""

    def __init__(self, word: str) -> None:
        self._word = word
        self._seen: dict[int, float] = {}
        self._at = time.monotonic()

    def percent(self) -> float:
        now, used = time.monotonic(), 0.0
        current: dict[int, float] = {}
        for process in psutil.process_iter(["cmdline", "cpu_times"]):
            if self._word in " ".join(process.info["cmdline"] or []) and process.info["cpu_times"]:
                times = process.info["cpu_times"]
                current[process.pid] = times.user + times.system
                used += current[process.pid] - self._seen.get(process.pid, current[process.pid])
        elapsed, self._seen, self._at = now - self._at, current, now
        return round(used / elapsed * 100) if elapsed else 0.0


async def _sample_until(
    done: asyncio.Event, processes: dict[str, psutil.Process], every: float, samples: list[dict[str, Any]]
) -> None:
    connection = await asyncpg.connect(DSN)
    for process in processes.values():
        process.cpu_percent()
    others = {"postgres": _CpuOf("postgres:"), "locust": _CpuOf("locust")}
    for other in others.values():
        other.percent()
    started = time.monotonic()
    try:
        while not done.is_set():
            row: dict[str, Any] = {"t": round(time.monotonic() - started, 1), "load": os.getloadavg()[0]}
            for name, process in processes.items():
                row[f"{name}_rss_mb"] = round(_tree_rss(process) / 2**20, 1)
                row[f"{name}_cpu"] = process.cpu_percent()
            for name, other in others.items():
                row[f"{name}_cpu"] = other.percent()
            row.update(await _database_figures(connection))
            samples.append(row)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(done.wait(), every)
    finally:
        await connection.close()


def _locust(args: argparse.Namespace, name: str, seconds: int) -> list[str]:
    return [
        sys.executable, "-m", "locust", "-f", str(Path(__file__).with_name("soak_locustfile.py")),
        "--headless", "--users", str(args.users), "--spawn-rate", str(max(1, args.users // 10)),
        "--run-time", f"{seconds}s", "--stop-timeout", "30", "--csv", str(WORK / name),
        "--csv-full-history", "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip


async def _run_locust(command: list[str], env: dict[str, str], log: Path) -> None:
    with log.open("wb") as handle:
        locust = await asyncio.create_subprocess_exec(*command, env=env, stdout=handle, stderr=handle)
        if await locust.wait():
            raise RuntimeError(f"locust failed; see {log}")


async def _drive(
    args: argparse.Namespace, env: dict[str, str], processes: dict[str, psutil.Process]
) -> tuple[list[dict[str, Any]], float]:
    """A warm-up pass at the same load (reported on its own), then the measured run, sampled."""
    if args.warm_up_load:
        await _run_locust(_locust(args, "warmup", args.warm_up_load), env, WORK / "warmup.log")
    samples: list[dict[str, Any]] = []
    done = asyncio.Event()
    sampler = asyncio.create_task(_sample_until(done, processes, args.sample, samples))
    started = time.monotonic()
    try:
        await _run_locust(_locust(args, "locust", args.duration), env, WORK / "locust.log")
    finally:
        done.set()
        await sampler
    return samples, time.monotonic() - started


async def _drain(seconds: float) -> dict[str, Any]:
    """Wait for the worker to dispatch what the run left in the outbox."""
    connection = await asyncpg.connect(DSN)
    try:
        deadline = time.monotonic() + seconds
        figures = await _database_figures(connection)
        while figures["backlog"] and time.monotonic() < deadline:
            await asyncio.sleep(1)
            figures = await _database_figures(connection)
        return figures
    finally:
        await connection.close()


_APPLY_ROUTE = b'"route": "/v1/board/postings/{posting_id}/applications"'


def _accepted_by_server(logs: dict[Path, int]) -> int:
    """202 answers to applications in the API processes' request logs, from the given offsets: what
    the servers promised, including answers a client stopped waiting for when its pass ended."""
    count = 0
    for log, offset in logs.items():
        with log.open("rb") as handle:
            handle.seek(offset)
            for line in handle:
                count += _APPLY_ROUTE in line and b'"status": 202' in line
    return count


def _stats(prefix: Path) -> list[dict[str, str]]:
    with prefix.with_name(prefix.name + "_stats.csv").open() as handle:
        return list(csv.DictReader(handle))


def _history(prefix: Path) -> list[dict[str, str]]:
    with prefix.with_name(prefix.name + "_stats_history.csv").open() as handle:
        return [row for row in csv.DictReader(handle) if row["Name"] == "Aggregated"]


def _memory(samples: list[dict[str, Any]], names: list[str], warm_up: float) -> dict[str, Any]:
    """Each process's memory after warm-up: first, last, lowest and highest, and the spread."""
    settled = [row for row in samples if row["t"] >= warm_up] or samples
    out = {}
    for name in names:
        values = [row[f"{name}_rss_mb"] for row in settled]
        first, last = values[0], values[-1]
        out[name] = {
            "first_mb": first,
            "last_mb": last,
            "min_mb": min(values),
            "max_mb": max(values),
            "growth_pct": round((last - first) / first * 100, 1),
            "spread_pct": round((max(values) - min(values)) / min(values) * 100, 1),
        }
    return out


def _graphs(
    out: Path, samples: list[dict[str, Any]], history: list[dict[str, str]], names: list[str]
) -> None:
    import matplotlib  # the benchmarks' extra, not a dependency of Rolecall

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    begin = float(history[0]["Timestamp"]) if history else 0.0
    minutes = [(float(row["Timestamp"]) - begin) / 60 for row in history]

    def series(column: str) -> list[float]:
        return [float(row[column]) if row[column] not in ("", "N/A") else float("nan") for row in history]

    figure, (top, bottom) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    top.plot(minutes, series("Requests/s"), label="requests/s", linewidth=0.8)
    top.plot(minutes, series("Failures/s"), label="failures/s", linewidth=0.8, color="tab:red")
    top.set_ylabel("per second")
    top.legend(loc="lower right")
    bottom.plot(minutes, series("50%"), label="p50", linewidth=0.8)
    bottom.plot(minutes, series("99%"), label="p99 (last 10 s)", linewidth=0.8)
    bottom.axhline(300, color="tab:red", linestyle="--", linewidth=0.8, label="goal p99 300 ms")
    bottom.set_ylabel("ms")
    bottom.set_xlabel("minutes")
    bottom.legend(loc="upper right")
    figure.suptitle("Throughput and latency as the clients saw them")
    figure.tight_layout()
    figure.savefig(out / "latency.png", dpi=110)
    plt.close(figure)

    sample_minutes = [row["t"] / 60 for row in samples]
    figure, axis = plt.subplots(figsize=(9, 3.5))
    for name in names:
        axis.plot(sample_minutes, [row[f"{name}_rss_mb"] for row in samples], label=name)
    axis.set_ylabel("resident memory, MB")
    axis.set_xlabel("minutes")
    axis.set_ylim(bottom=0)
    axis.legend(loc="lower right")
    figure.suptitle("Memory of every process")
    figure.tight_layout()
    figure.savefig(out / "memory.png", dpi=110)
    plt.close(figure)

    figure, axis = plt.subplots(figsize=(9, 3.5))
    axis.plot(sample_minutes, [row["backlog"] for row in samples], label="outbox backlog (events)")
    axis.set_ylabel("events not yet dispatched")
    axis.set_xlabel("minutes")
    twin = axis.twinx()
    twin.plot(sample_minutes, [row["load"] for row in samples], color="tab:gray", linewidth=0.8, label="load")
    twin.set_ylabel("1-minute load average")
    figure.legend(loc="upper right")
    figure.suptitle("Outbox backlog and machine load")
    figure.tight_layout()
    figure.savefig(out / "outbox.png", dpi=110)
    plt.close(figure)


def _summary(rows: list[dict[str, str]]) -> list[dict[str, Any]]:
    keep = ("Name", "Request Count", "Failure Count", "50%", "95%", "99%", "Max Response Time", "Requests/s")
    return [{key: row[key] for key in keep} for row in rows]


def _table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| request | count | failures | p50 ms | p95 ms | p99 ms | max ms | per s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        max_ms = round(float(row["Max Response Time"]))
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | {row['50%']} | "
            f"{row['95%']} | {row['99%']} | {max_ms} | {float(row['Requests/s']):.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=1800, help="seconds of load")
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--rate", type=float, default=2.0, help="requests per second per user")
    parser.add_argument("--sample", type=float, default=10.0, help="seconds between samples")
    parser.add_argument(
        "--warm-up-load", type=int, default=60, help="seconds of the same load before the measured run"
    )
    parser.add_argument("--warm-up", type=float, default=120.0, help="seconds before memory is compared")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("soak"))
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()
    if not args.reuse:
        shutil.rmtree(WORK, ignore_errors=True)
    WORK.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    ports = [_free_port(), _free_port()]
    bases = [f"http://127.0.0.1:{port}" for port in ports]
    env = _environment(bases[0])
    if not args.reuse:
        asyncio.run(_fresh_database(DATABASE))
        _rolecall(env, "migrate")
        _rolecall(env, "demo")
    servers: dict[str, Process] = {}
    start_seconds: dict[str, float] = {}
    autovacuum_was_on = asyncio.run(_autovacuum(True))
    try:
        for number, (port, base) in enumerate(zip(ports, bases, strict=True), start=1):
            api_env = {**env, "ROLECALL_SEARCH_INDEX_PATH": str(WORK / f"index-{number}")}
            command = [sys.executable, "-m", "rolecall", "serve", "--port", str(port)]
            began = time.monotonic()
            servers[f"api{number}"] = Process(command, api_env, WORK / f"api{number}.log")
            servers[f"api{number}"].wait_ready(f"{base}/healthz")
            start_seconds[f"api{number}"] = round(time.monotonic() - began, 2)
        servers["worker"] = Process([sys.executable, "-m", "rolecall", "worker"], env, WORK / "worker.log")
        fixture = _fixture(bases[0])
        (WORK / "fixture.json").write_text(json.dumps(fixture))
        locust_env = {
            **env,
            "SOAK_DATA": str(WORK / "fixture.json"),
            "SOAK_USER_RATE": str(args.rate),
            "SOAK_HOST_1": bases[0],
            "SOAK_HOST_2": bases[1],
            "PYTHONPATH": str(Path(__file__).parents[1]),
        }
        processes = {name: psutil.Process(server.process.pid) for name, server in servers.items()}
        applications_before = asyncio.run(_drain(0))["applications"]
        logs = {WORK / f"{name}.log": (WORK / f"{name}.log").stat().st_size for name in ("api1", "api2")}
        samples, elapsed = asyncio.run(_drive(args, locust_env, processes))
        drained = asyncio.run(_drain(120))
    finally:
        for server in servers.values():
            server.stop()
        if not autovacuum_was_on:
            asyncio.run(_autovacuum(False))
    prefix = WORK / "locust"
    stats = _stats(prefix)
    for kept in ("locust_stats.csv", "locust_failures.csv", "warmup_stats.csv"):
        if (WORK / kept).exists():
            shutil.copy(WORK / kept, args.out / kept)
    names = list(servers)
    total = next(row for row in stats if row["Name"] == "Aggregated")
    warm_up = _stats(WORK / "warmup") if args.warm_up_load else []
    # Applications are counted in the database from before the warm-up pass, so both passes count.
    applies = [row for row in [*stats, *warm_up] if row["Name"] == "apply"]
    accepted = sum(int(row["Request Count"]) - int(row["Failure Count"]) for row in applies)
    result = {
        "duration_s": round(elapsed),
        "users": args.users,
        "offered_per_s": args.users * args.rate,
        "request_count": int(total["Request Count"]),
        "failures": int(total["Failure Count"]),
        "p50_ms": total["50%"],
        "p99_ms": total["99%"],
        "requests": _summary(stats),
        "warm_up_pass": _summary([row for row in warm_up if row["Name"] == "Aggregated"]),
        "memory": _memory(samples, names, args.warm_up),
        "start_seconds": start_seconds,
        "backlog_max": max(row["backlog"] for row in samples),
        "oldest_pending_max_s": round(max(row["oldest_s"] for row in samples), 1),
        "backlog_after_drain": drained["backlog"],
        "applications_accepted_by_clients": accepted,
        "applications_accepted_by_servers": _accepted_by_server(logs),
        "applications_stored": drained["applications"] - applications_before,
        "load_mean": round(sum(row["load"] for row in samples) / len(samples), 2),
        "autovacuum_was_on": autovacuum_was_on,
        "cpu_mean_pct": {
            name: round(sum(row[f"{name}_cpu"] for row in samples) / len(samples))
            for name in [*names, "postgres", "locust"]
        },
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2))
    with (args.out / "samples.csv").open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(samples[0]))
        writer.writeheader()
        writer.writerows(samples)
    _graphs(args.out, samples, _history(prefix), names)
    print(_table(result["requests"]))
    print(json.dumps({key: value for key, value in result.items() if key != "requests"}, indent=2))
    if result["applications_accepted_by_servers"] != result["applications_stored"]:
        sys.exit("applications lost or stored twice")
    if result["applications_accepted_by_clients"] > result["applications_stored"]:
        sys.exit("a client was told 202 for an application that is not stored")


if __name__ == "__main__":
    main()
