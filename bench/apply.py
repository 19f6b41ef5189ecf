"""Public apply throughput: candidates applying with a one-page PDF resume, all at once.

``python -m bench.apply [--duration 30] [--clients 16] [--reuse]``

It builds a PostgreSQL database (``rolecall_bench_apply``: ``rolecall migrate`` and ``rolecall demo``),
starts Rolecall as ``rolecall serve`` does (one uvicorn process, uvloop + httptools, no embedded
worker, the request log at INFO into a file), and has N clients post applications to the demo
board's open postings for D seconds, each as fast as the server answers. Each application is a new
person (unique name and e-mail address) with a one-page PDF resume (about 1.5 kB) and the answers
the posting's form requires.

The per-address apply limit (``ROLECALL_APPLY_RATE_PER_HOUR``, 20 by default) is raised for the run,
since every client comes from 127.0.0.1; nothing else is changed.

After the run it counts, in the database, the applications, candidates and resume files created
during the run, and compares them with the 202 answers the clients received: nothing may be lost
and nothing may be stored twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench.hot_path import Process, _fresh_database, _rolecall, _uvicorn
from bench.run import _free_port

DATABASE = "rolecall_bench_apply"
DSN = f"postgresql://postgres@127.0.0.1:5432/{DATABASE}"
WORK = Path("/tmp/rolecall-bench/apply")  # noqa: S108 - benchmark data, not a secret


def one_page_pdf(name: str) -> bytes:
    """A valid one-page PDF resume: Helvetica text lines and a correct cross-reference table."""
    lines = [
        name,
        "Senior Back-End Engineer",
        "Experience: 7 years building APIs in Python and Go on PostgreSQL and Kafka.",
        "Skills: Python, FastAPI, PostgreSQL, Redis, Docker, Kubernetes, AWS, Terraform.",
        "Led the move of a payments monolith to services; on-call lead for two years.",
        "Education: BSc Computer Science.",
    ]

    def text(line: str) -> bytes:
        return (
            b"(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1") + b")"
        )

    content = b"\n".join(
        [b"BT /F1 11 Tf 14 TL 56 780 Td", *(text(line) + b" Tj T*" for line in lines), b"ET"]
    )
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [5 0 R] /Count 1 >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 3 0 R >> >> >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _answer(question: dict[str, Any]) -> Any:
    kind = question.get("type")
    options = question.get("options") or []
    if kind == "yes_no":
        return True
    if kind == "number":
        return question.get("min_value") or 1
    if kind == "multi_choice":
        return [options[0]]
    if kind == "single_choice":
        return options[0]
    return "Available with one month's notice."


async def _forms(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    postings = (await client.get("/v1/board/postings", params={"limit": 50})).json()["items"]
    forms = []
    for posting in postings:
        form = (await client.get(f"/v1/board/postings/{posting['id']}/application-form")).json()
        if any(q.get("type") == "file" and q.get("required") for q in form["questions"]):
            continue  # a required file answer besides the resume: not the case measured here
        forms.append(form)
    if not forms:
        raise RuntimeError("the demo board has no posting to apply to")
    return forms


def _application(form: dict[str, Any], n: int) -> dict[str, Any]:
    answers = {
        q["key"]: _answer(q) for q in form["questions"] if q.get("required") and q.get("type") != "file"
    }
    return {
        "full_name": f"Bench Applicant {n}",
        "email": f"applicant-{n}-{os.getpid()}@example.com",
        "answers": answers,
        "consent": {"given": True, "text_version": form["consent_version"]},
    }


async def _client(
    client: httpx.AsyncClient,
    forms: list[dict[str, Any]],
    counter: list[int],
    stop_at: float,
    out: dict[str, Any],
) -> None:
    while time.monotonic() < stop_at:
        counter[0] += 1
        n = counter[0]
        form = forms[n % len(forms)]
        body = _application(form, n)
        files = {
            "application": (None, json.dumps(body), "application/json"),
            "resume": (f"resume-{n}.pdf", one_page_pdf(body["full_name"]), "application/pdf"),
        }
        started = time.perf_counter()
        response = await client.post(f"/v1/board/postings/{form['posting_id']}/applications", files=files)
        out["latencies"].append((time.perf_counter() - started) * 1000)
        out["status"][response.status_code] = out["status"].get(response.status_code, 0) + 1
        if response.status_code != 202 and len(out["errors"]) < 5:
            out["errors"].append(response.text[:300])


async def _counts() -> dict[str, int]:
    connection = await asyncpg.connect(DSN)
    try:
        return {
            "applications": await connection.fetchval("SELECT count(*) FROM applications"),
            "candidates": await connection.fetchval("SELECT count(*) FROM candidates"),
            "files": await connection.fetchval("SELECT count(*) FROM candidate_files"),
        }
    finally:
        await connection.close()


async def _run(base: str, args: argparse.Namespace) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=args.clients, max_keepalive_connections=args.clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        forms = await _forms(client)
        before = await _counts()
        out: dict[str, Any] = {"latencies": [], "status": {}, "errors": []}
        counter = [0]
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        stop_at = started + args.duration
        await asyncio.gather(*(_client(client, forms, counter, stop_at, out) for _ in range(args.clients)))
        elapsed = time.monotonic() - started
        after = await _counts()
    latencies = sorted(out["latencies"])
    accepted = out["status"].get(202, 0)
    created = {key: after[key] - before[key] for key in after}
    return {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(latencies),
        "accepted": accepted,
        "applications_per_second": round(accepted / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1], 1),
        "max_ms": round(latencies[-1], 1),
        "status": out["status"],
        "errors": out["errors"],
        "created": created,
        "lost_or_duplicated": {key: value - accepted for key, value in created.items() if value != accepted},
        "load_before": round(load_before, 2),
        "load_after": round(os.getloadavg()[0], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=30)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--reuse", action="store_true", help="keep the database of an earlier run")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "ROLECALL_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{DATABASE}",
        "ROLECALL_EMBEDDED_WORKER": "false",
        "ROLECALL_ISSUER": base,
        "ROLECALL_FILE_STORE_PATH": str(WORK / "files"),
        "ROLECALL_SEARCH_INDEX_PATH": str(WORK / "index"),
        "ROLECALL_APPLY_RATE_PER_HOUR": "100000",
        "ROLECALL_DATABASE_POOL_SIZE": str(max(args.clients, 10)),
    }
    if not args.reuse:
        asyncio.run(_fresh_database(DATABASE))
        _rolecall(env, "migrate")
        _rolecall(env, "demo")
    server = Process(_uvicorn("rolecall.app:create_app", port, "--factory"), env, WORK / "rolecall.log")
    try:
        server.wait_ready(f"{base}/healthz")
        result = asyncio.run(_run(base, args))
    finally:
        server.stop()
    (WORK / "results.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    if result["lost_or_duplicated"]:
        sys.exit("applications lost or stored twice: " + json.dumps(result["lost_or_duplicated"]))


if __name__ == "__main__":
    main()
