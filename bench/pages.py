"""The web pages' benchmark: server time of the careers pages beside the JSON board they are built
on, the pipeline board of a job with many applications, and what a job page weighs.

    .venv/bin/python -m bench.pages                       # SQLite demo data, 16 clients
    .venv/bin/python -m bench.pages --database postgresql --applications 1000

It starts the real app (``rolecall serve`` in a subprocess, embedded worker on), loads the demo
organisation, adds ``--applications`` staff-added applications to one job through the JSON API, and
then sends an interleaved mix: each HTML page request next to the JSON request it renders (the same
search on ``/careers/<slug>`` and ``/v1/board/<slug>/postings``, ``/jobs`` and ``/v1/board/postings``,
``/jobs/<id>`` and ``/v1/board/postings/<id>``), so both see the same load on this small, noisy
machine and the comparison is a ratio from one run. "Server time" is the app's ``Server-Timing``
(time to the first byte inside the app); "client" is what the HTTP client measured, queueing
included. Nothing here runs in CI; the report is ``bench/pages.md``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import httpx

DEMO_SLUG = "acme-robotics-demo"
PASSWORD = "rolecall-demo-password"  # noqa: S105 - the demo's public credentials
QUERIES = (
    "",
    "q=engineer",
    "q=python",
    "work_arrangement=remote",
    "level=senior",
    "q=data&sort=date",
    "q=kubernetes&work_arrangement=hybrid",
    "location=Remote",
)
_TIMING = re.compile(r"app;dur=([\d.]+)")
_ASSET = re.compile(r'(?:href|src)="(/static/[^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


class Server:
    def __init__(self, workdir: Path, database_url: str) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ROLECALL_DATABASE_URL": database_url,
            "ROLECALL_SEARCH_INDEX_PATH": str(workdir / "index"),
            "ROLECALL_FILE_STORE_PATH": str(workdir / "files"),
            "ROLECALL_LOG_LEVEL": "WARNING",
            "ROLECALL_APPLY_RATE_PER_HOUR": "100000",
        }
        self.log = (workdir / "server.log").open("w")
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> None:
        rolecall = str(Path(sys.executable).with_name("rolecall"))
        subprocess.run([rolecall, *args], env=self.env, check=True, stdout=self.log)  # noqa: S603

    def start(self) -> None:
        rolecall = str(Path(sys.executable).with_name("rolecall"))
        command = [rolecall, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        self.process = subprocess.Popen(command, env=self.env, stdout=self.log, stderr=subprocess.STDOUT)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError("the app did not start; see server.log")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)


async def _token(http: httpx.AsyncClient, email: str) -> dict[str, str]:
    form = {"grant_type": "password", "username": email, "password": PASSWORD}
    body = (await http.post("/v1/oauth/token", data=form)).json()
    return {"Authorization": f"Bearer {body['access_token']}"}


async def _seed_applications(
    http: httpx.AsyncClient, headers: dict[str, str], job_id: str, count: int
) -> None:
    """Staff-added applications through the JSON API, four at a time."""
    semaphore = asyncio.Semaphore(4)

    async def one(index: int) -> None:
        async with semaphore:
            person = {"full_name": f"Bench Candidate {index}", "email": f"bench-{index}@example.org"}
            candidate = (await http.post("/v1/candidates", headers=headers, json=person)).json()
            body = {"candidate_id": candidate["id"], "job_id": job_id}
            response = await http.post("/v1/applications", headers=headers, json=body)
            assert response.status_code == 201, response.text

    await asyncio.gather(*(one(i) for i in range(count)))


async def _sign_in(http: httpx.AsyncClient, email: str) -> None:
    """Sign in and keep the session cookie on the client. The cookies are Secure and httpx keeps
    those for https only, so over the benchmark's plain loopback HTTP they are sent by hand."""
    form = await http.get("/app/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token
    csrf_cookie = form.cookies["__Host-rolecall-csrf"]
    data = {"email": email, "password": PASSWORD, "csrf_token": token.group(1), "next": "/app"}
    signed = await http.post(
        "/app/login", data=data, headers={"Cookie": f"__Host-rolecall-csrf={csrf_cookie}"}
    )
    assert signed.status_code == 303, signed.text
    http.headers["Cookie"] = f"__Host-rolecall-session={signed.cookies['__Host-rolecall-session']}"


async def _measure(
    http: httpx.AsyncClient, pairs: list[tuple[str, str]], clients: int, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Send every (kind, path) of ``pairs`` ``rounds`` times, shuffled, with ``clients`` in flight."""
    work = [pair for _ in range(rounds) for pair in pairs]
    random.Random(20261204).shuffle(work)
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for item in work:
        queue.put_nowait(item)
    found: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"server": [], "client": []})

    async def worker() -> None:
        while not queue.empty():
            kind, path = queue.get_nowait()
            started = time.perf_counter()
            response = await http.get(path)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (path, response.status_code)
            timing = _TIMING.search(response.headers.get("server-timing", ""))
            assert timing, path
            found[kind]["server"].append(float(timing.group(1)))
            found[kind]["client"].append(elapsed)

    await asyncio.gather(*(worker() for _ in range(clients)))
    return found


async def _page_weight(http: httpx.AsyncClient, path: str) -> dict[str, int]:
    """Compressed bytes of a page's HTML and the CSS and JavaScript it loads (no images)."""
    gz = {"Accept-Encoding": "gzip"}
    html = await http.get(path, headers=gz)
    sizes = {"html": html.num_bytes_downloaded}
    for asset in sorted(set(_ASSET.findall(html.text))):
        response = await http.get(asset, headers=gz)
        sizes[asset.rsplit("/", 1)[-1]] = response.num_bytes_downloaded
    sizes["html_uncompressed"] = len(html.content)
    sizes["html_gzip_check"] = len(gzip.compress(html.content))
    return sizes


def _row(name: str, values: dict[str, list[float]]) -> str:
    server, client = values["server"], values["client"]
    return (
        f"| {name} | {len(server)} | {_pct(server, 50):.1f} | {_pct(server, 95):.1f} "
        f"| {_pct(server, 99):.1f} | {_pct(client, 50):.1f} | {_pct(client, 99):.1f} |"
    )


async def run(args: argparse.Namespace) -> str:
    workdir = Path(tempfile.mkdtemp(prefix="rolecall-bench-pages-"))
    if args.database == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
    else:
        url = args.postgres_url
        name = url.rsplit("/", 1)[-1]
        for statement in (f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"):
            psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c", statement]
            subprocess.run(psql, check=True)  # noqa: S603, ASYNC221 - set-up before anything runs
    server = Server(workdir, url)
    server.cli("migrate")
    server.cli("demo")
    server.start()
    try:
        async with httpx.AsyncClient(base_url=server.base, timeout=60) as http:
            recruiter = await _token(http, "recruiter@acme.example")
            jobs = (await http.get("/v1/jobs?status=open&limit=100", headers=recruiter)).json()["items"]
            job = next(j for j in jobs if j["title"] == "Senior Back-End Engineer")
            started = time.perf_counter()
            await _seed_applications(http, recruiter, job["id"], args.applications)
            seeded = time.perf_counter() - started
            await asyncio.sleep(2)  # the embedded relay and the index sync catch up
            postings = (await http.get(f"/v1/board/{DEMO_SLUG}/postings")).json()["items"]
            pairs: list[tuple[str, str]] = []
            for query in QUERIES:
                suffix = f"?{query}" if query else ""
                pairs += [
                    ("careers site (HTML)", f"/careers/{DEMO_SLUG}{suffix}"),
                    ("organisation board (JSON)", f"/v1/board/{DEMO_SLUG}/postings{suffix}"),
                    ("job board /jobs (HTML)", f"/jobs{suffix}"),
                    ("board search (JSON)", f"/v1/board/postings{suffix}"),
                ]
            for posting in postings:
                pairs += [
                    ("job page (HTML)", f"/jobs/{posting['id']}"),
                    ("posting (JSON)", f"/v1/board/postings/{posting['id']}"),
                ]
            for _kind, path in pairs:  # warm the caches once, as a running board is
                await http.get(path)
            results = await _measure(http, pairs, args.clients, args.rounds)
            single = await _measure(http, pairs, 1, max(1, args.rounds // 4))
            weight = await _page_weight(http, f"/jobs/{postings[0]['id']}")

        async with httpx.AsyncClient(base_url=server.base, timeout=60) as staff:
            await _sign_in(staff, "recruiter@acme.example")
            board_path = f"/app/jobs/{job['id']}/pipeline"
            await staff.get(board_path)
            board = await _measure(staff, [("pipeline board", board_path)], 1, args.board_rounds)
            board_html = await staff.get(board_path, headers={"Accept-Encoding": "gzip"})
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    def ratio(html: str, json_kind: str, source: dict[str, dict[str, list[float]]], p: float) -> float:
        return _pct(source[html]["server"], p) / _pct(source[json_kind]["server"], p)

    header = (
        "| request | n | server p50 ms | server p95 ms | server p99 ms | client p50 ms | client p99 ms |\n"
        "|---|---|---|---|---|---|---|"
    )
    lines = [
        f"Database: {args.database}; {args.clients} concurrent clients, {args.rounds} rounds of "
        f"{len(pairs)} requests; {args.applications} applications seeded in {seeded:.0f} s; "
        f"load average before: {os.getloadavg()[0]:.2f}.",
        "",
        f"### {args.clients} concurrent clients",
        "",
        header,
        *(_row(kind, values) for kind, values in sorted(results.items())),
        "",
        "### 1 client",
        "",
        header,
        *(_row(kind, values) for kind, values in sorted(single.items())),
        "",
        "### HTML page ÷ the JSON request it renders (server time)",
        "",
        "| page | p50 ratio, 16 clients | p99 ratio, 16 clients | p50 ratio, 1 client |",
        "|---|---|---|---|",
    ]
    for html, json_kind in (
        ("careers site (HTML)", "organisation board (JSON)"),
        ("job board /jobs (HTML)", "board search (JSON)"),
        ("job page (HTML)", "posting (JSON)"),
    ):
        lines.append(
            f"| {html} | {ratio(html, json_kind, results, 50):.2f} "
            f"| {ratio(html, json_kind, results, 99):.2f} | {ratio(html, json_kind, single, 50):.2f} |"
        )
    total = sum(v for k, v in weight.items() if not k.startswith("html_"))
    lines += [
        "",
        f"### Pipeline board of a job with {args.applications} applications (1 client)",
        "",
        header,
        _row("pipeline board", board["pipeline board"]),
        "",
        f"Board HTML: {len(board_html.content):,} bytes, "
        f"{board_html.num_bytes_downloaded:,} gzip-compressed.",
        "",
        "### Job page weight (gzip, no images)",
        "",
        "| part | bytes |",
        "|---|---|",
        *(f"| {k} | {v:,} |" for k, v in weight.items() if not k.startswith("html_")),
        f"| **total** | **{total:,}** |",
        "",
        f"(HTML uncompressed: {weight['html_uncompressed']:,} bytes.)",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--postgres-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/rolecall_bench_pages"
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--board-rounds", type=int, default=30)
    parser.add_argument("--applications", type=int, default=1000)
    args = parser.parse_args()
    print(asyncio.run(run(args)))


if __name__ == "__main__":
    main()
