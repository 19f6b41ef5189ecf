"""The request hot path: Rolecall's authenticated reads beside the floor service, in one run.

``python -m bench.hot_path [--duration 15] [--connections 32] [--rounds 2]``

It builds a PostgreSQL database (``rolecall_bench_hot``: ``rolecall migrate`` and ``rolecall demo``),
starts Rolecall as ``rolecall serve`` runs it (one uvicorn process, uvloop + httptools, logging at
its production default into a file, no embedded worker) and the floor (``bench/floor.py``, one
process) on the same database, signs in as a demo user through the password grant, and drives
``GET /v1/users/{id}``, ``/v1/jobs/{id}`` and ``/v1/candidates/{id}`` on both with the same client:
``wrk`` (Debian's package), one thread, N keep-alive connections, D seconds. The two servers take
turns, in the opposite order each round, so that noise on the 2-core machine lands on both. The
report is the ratio Rolecall / floor of requests per second, and both sides' latency percentiles.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import asyncpg
import httpx

from bench.run import _free_port

DATABASE = "rolecall_bench_hot"
ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
WORK = Path("/tmp/rolecall-bench/hot-path")  # noqa: S108 - benchmark data, not a secret
ACCOUNTS = {"admin": "admin@acme.example", "manager": "manager@acme.example"}
PASSWORD = "rolecall-demo-password"  # noqa: S105 - the published demo credential
ENDPOINTS = ("users", "jobs", "candidates")


@dataclass
class Measurement:
    server: str
    endpoint: str
    round: int
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    errors: int
    load_before: float
    load_after: float


def _env(issuer: str) -> dict[str, str]:
    return {
        **os.environ,
        "ROLECALL_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}",
        "ROLECALL_EMBEDDED_WORKER": "false",
        # As many pooled connections as the client holds open, on both sides (the floor's pool is
        # 32 too): a smaller SQLAlchemy pool would open and close overflow connections all run long.
        "ROLECALL_DATABASE_POOL_SIZE": "32",
        "ROLECALL_ISSUER": issuer,
        "ROLECALL_FILE_STORE_PATH": str(WORK / "files"),
        "ROLECALL_SEARCH_INDEX_PATH": str(WORK / "index"),
    }


async def _fresh_database(name: str = DATABASE) -> None:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def _rolecall(env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "rolecall", *args], env=env, check=True, stdout=subprocess.DEVNULL
    )


class Process:
    def __init__(self, command: list[str], env: dict[str, str], log: Path) -> None:
        self._log = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - a fixed command line
            command, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, url: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.process.args} exited; see {self._log.name}")
            try:
                httpx.get(url, timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.2)
        raise RuntimeError(f"{url} did not answer within 60 s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._log.close()


def _uvicorn(app: str, port: int, *factory: str) -> list[str]:
    return [
        sys.executable, "-m", "uvicorn", app, *factory, "--host", "127.0.0.1", "--port", str(port),
        "--no-server-header", "--no-access-log", "--log-level", "warning",
        "--loop", "uvloop", "--http", "httptools",
    ]  # fmt: skip


def _token(base: str, email: str) -> str:
    response = httpx.post(
        f"{base}/v1/oauth/token", data={"grant_type": "password", "username": email, "password": PASSWORD}
    )
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _first_ids(base: str, token: str) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    ids = {}
    for endpoint in ENDPOINTS:
        response = httpx.get(f"{base}/v1/{endpoint}", headers=headers, params={"limit": 1})
        response.raise_for_status()
        ids[endpoint] = response.json()["items"][0]["id"]
    return ids


_LATENCY = re.compile(r"^\s+(50|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _wrk(url: str, token: str, connections: int, duration: int) -> dict[str, float]:
    wrk = shutil.which("wrk") or "wrk"
    output = subprocess.run(  # noqa: S603 - a fixed command line
        [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--latency",
            "-H",
            f"Authorization: Bearer {token}",
            url,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(output)
    percentiles = {f"p{p}_ms": float(v) * _UNITS[u] for p, v, u in _LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    failed = int(errors.group(1)) if errors else 0
    if socket_errors:
        failed += sum(int(n) for n in socket_errors.groups())
    return {"requests_per_second": float(rate.group(1)), **percentiles, "errors": failed}


def _measure(
    server: str, url: str, token: str, endpoint: str, round_: int, args: argparse.Namespace
) -> Measurement:
    # A short warm-up, then the measured run.
    _wrk(url, token, args.connections, 2)
    before = os.getloadavg()[0]
    figures = _wrk(url, token, args.connections, args.duration)
    return Measurement(server, endpoint, round_, load_before=before, load_after=os.getloadavg()[0], **figures)


def _report(results: list[Measurement], args: argparse.Namespace, account: str) -> str:
    lines = [
        f"account `{account}`, {args.connections} connections, {args.duration} s per run, "
        f"{args.rounds} rounds",
        "",
        "| endpoint | round | floor req/s | Rolecall req/s | ratio | floor p50 / p99 ms"
        " | Rolecall p50 / p99 ms | errors | load (1 min) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for endpoint in ENDPOINTS:
        for round_ in range(1, args.rounds + 1):
            pair = {m.server: m for m in results if m.endpoint == endpoint and m.round == round_}
            floor, ours = pair["floor"], pair["rolecall"]
            ratio = ours.requests_per_second / floor.requests_per_second
            lines.append(
                f"| `/v1/{endpoint}/{{id}}` | {round_} | {floor.requests_per_second:,.0f} | "
                f"{ours.requests_per_second:,.0f} | **{ratio:.2f}x** | "
                f"{floor.p50_ms:.1f} / {floor.p99_ms:.1f} | {ours.p50_ms:.1f} / {ours.p99_ms:.1f} | "
                f"{floor.errors + ours.errors} | {max(floor.load_after, ours.load_after):.1f} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--account", choices=sorted(ACCOUNTS), default="admin")
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install -y wrk")
    WORK.mkdir(parents=True, exist_ok=True)
    port, floor_port = _free_port(), _free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(base)
    if not args.reuse:
        asyncio.run(_fresh_database())
        _rolecall(env, "migrate")
        _rolecall(env, "demo")
    rolecall = Process(_uvicorn("rolecall.app:create_app", port, "--factory"), env, WORK / "rolecall.log")
    floor: Process | None = None
    results: list[Measurement] = []
    try:
        rolecall.wait_ready(f"{base}/healthz")
        token = _token(base, ACCOUNTS[args.account])
        ids = _first_ids(base, token)
        floor_env = {
            **os.environ,
            "FLOOR_DATABASE_URL": DSN,
            "FLOOR_JWKS_URL": f"{base}/.well-known/jwks.json",
            "FLOOR_ISSUER": base,
            "FLOOR_AUDIENCE": "rolecall-api",
        }
        floor = Process(_uvicorn("bench.floor:app", floor_port), floor_env, WORK / "floor.log")
        floor.wait_ready(f"http://127.0.0.1:{floor_port}/docs")
        servers = {"floor": f"http://127.0.0.1:{floor_port}", "rolecall": base}
        for endpoint in ENDPOINTS:
            for round_ in range(1, args.rounds + 1):
                order = ["floor", "rolecall"] if round_ % 2 else ["rolecall", "floor"]
                for server in order:
                    url = f"{servers[server]}/v1/{endpoint}/{ids[endpoint]}"
                    measurement = _measure(server, url, token, endpoint, round_, args)
                    print(json.dumps(asdict(measurement)), flush=True)
                    results.append(measurement)
    finally:
        rolecall.stop()
        if floor is not None:
            floor.stop()
    (WORK / "results.json").write_text(json.dumps([asdict(m) for m in results], indent=2))
    print(_report(results, args, args.account))


if __name__ == "__main__":
    main()
