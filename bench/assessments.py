"""The assessments benchmark: scoring a submission under load, scoring SQL answers, ranking 10k applicants.

    .venv/bin/python -m bench.assessments                 # PostgreSQL and SQLite, the full run
    .venv/bin/python -m bench.assessments --quick         # one round, 10k stored responses only
    .venv/bin/python -m bench.assessments --database postgresql --parts ranking --phases --gc-freeze

Each measurement has a baseline taken in the same process and the same minute, so the ratio says
what the measured work adds on this small, noisy machine:

1. **Submit under load.** Sessions of a choice-only blueprint are invited, started and fully
   answered through the API beforehand; then 32 submits go out at once and each is timed end to end
   through the ASGI app (``httpx.ASGITransport``, in process). Baseline: 32 concurrent
   ``GET /v1/assessment-links/{token}`` (one read of the session by its link), in alternating order
   with the submits. A one-client pass of both shows the cost of a single call without queueing, and
   one-client submits of the generated blueprint (every item type, SQL items included) follow.
2. **SQL items.** :func:`rolecall.assessments.scoring.score_answer` on every SQL item of the starter
   bank with its solution, a wrong query and a query that fails, warm (the process has seen the
   item) and cold (the sandbox's dataset and solution caches emptied first). No database is involved:
   the sandbox runs SQLite in a child process whatever the application's database is.
3. **Ranking.** One job with 10,000 active applications (match scores and stored breakdowns), 60% of
   them with a scored session and 5% interviewed with two submitted scorecards (``--interviewed``
   changes that share), bulk-inserted with SQLAlchemy Core: 10k applications through the API would
   take too long. Then the assessments context's ``GET /v1/jobs/{id}/candidate-ranking?limit=50`` at 10k, 100k
   and 1M rows in ``assessment_responses`` (filler: twenty answers each for sessions of a second job
   of the same organisation), next to ``GET /v1/applications?job_id=...&limit=50``.

``--phases`` times the service functions inside the measured calls (wrapped in this process only)
and the garbage collector; ``--gc-freeze`` calls :func:`gc.freeze` once the app is up and the data
loaded, as a server could at start-up, to show what the collector costs. Nothing here runs in CI;
the report is ``bench/assessments.md``. The tenant, the jobs and the sessions are built with the test
helpers in ``tests/``, so the benchmark drives the API exactly as the tests do.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import os
import platform
import random
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from tests.assessments.support import invite, job_with_blueprint, right_answer, start, wrong_answer
from tests.databases import create_postgres_database, drop_postgres_database
from tests.factories import Tenant, create_tenant, login

from rolecall.app import create_app
from rolecall.assessments import grading, ranking, sandbox, scoring, service, standings, taking, yaml_io
from rolecall.assessments.items import Sql
from rolecall.assessments.models import AssessmentResponse, AssessmentSession
from rolecall.candidates import matching
from rolecall.candidates.models import Candidate
from rolecall.config import Settings
from rolecall.interviews import service as interviews
from rolecall.interviews.models import Interview, Scorecard
from rolecall.pipeline import service as pipeline
from rolecall.pipeline.models import Application
from rolecall.platform import schema
from rolecall.platform.clock import utcnow
from rolecall.platform.db import create_engine
from rolecall.platform.ids import new_id
from rolecall.roles.library.loader import load_library
from rolecall.roles.library.schema import RoleProfile

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
CHOICE_TYPES = ("single_choice", "multiple_choice")
# The assessments ranking endpoint, served a second time at a path nothing else claims: see
# ``_reach_assessment_ranking``.
RANKING_PATH = "/v1/jobs/{job_id}/candidate-ranking"
ASSESSED = 0.6  # share of the ranked job's applications with a scored (or marking) session
CARDS_PER_INTERVIEW = 2
RESPONSES_PER_FILLER_SESSION = 20
BATCH = 5000
SEED = 20261204


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile, the same rule as ``bench/pages.py``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"{one:.2f} (1 min), {five:.2f} (5 min)"


@dataclass
class Timings:
    """Wall-clock milliseconds per call, and the process's CPU milliseconds when calls ran one at a time."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)

    def add(self, *lines: str) -> None:
        self.lines.extend(lines)
        print(*lines, sep="\n", flush=True)

    def table(self, rows: Sequence[tuple[str, Timings]]) -> None:
        with_cpu = any(t.cpu for _, t in rows)
        self.add(
            "| call | n | p50 ms | p95 ms | p99 ms | max ms |" + (" CPU p50 ms |" if with_cpu else ""),
            "|---|---|---|---|---|---|" + ("---|" if with_cpu else ""),
            *(
                f"| {name} | {len(t.wall)} | {pct(t.wall, 50):.1f} | {pct(t.wall, 95):.1f} "
                f"| {pct(t.wall, 99):.1f} | {max(t.wall):.1f} |"
                + ((f" {pct(t.cpu, 50):.1f} |" if t.cpu else " |") if with_cpu else "")
                for name, t in rows
            ),
            "",
        )


# --- where the time goes (--phases) ---------------------------------------------------------------


class Phases:
    """Wall time of named functions, and of the garbage collector, inside ``on()`` blocks."""

    def __init__(self) -> None:
        self.spent: dict[str, list[float]] = defaultdict(list)
        self._on = False
        self._gc_started = 0.0
        self._undo: list[Callable[[], None]] = []

    def wrap(self, owner: Any, name: str, label: str) -> None:
        original = getattr(owner, name)
        spent = self.spent[label]

        @functools.wraps(original)
        async def timed_call(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                if self._on:
                    spent.append((time.perf_counter() - started) * 1000)

        @functools.wraps(original)
        def timed_sync(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                if self._on:
                    spent.append((time.perf_counter() - started) * 1000)

        setattr(owner, name, timed_call if asyncio.iscoroutinefunction(original) else timed_sync)
        self._undo.append(lambda: setattr(owner, name, original))

    def _collector(self, phase: str, info: dict[str, int]) -> None:
        if not self._on:
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self.spent[f"garbage collection, generation {info['generation']}"].append(
                (time.perf_counter() - self._gc_started) * 1000
            )

    @contextlib.contextmanager
    def on(self) -> Iterator[None]:
        """Count what runs inside the block (a phase that spans several blocks adds up)."""
        gc.callbacks.append(self._collector)
        self._on = True
        try:
            yield
        finally:
            self._on = False
            gc.callbacks.remove(self._collector)

    def restore(self) -> None:
        for undo in reversed(self._undo):
            undo()
        self._undo.clear()

    def table(self, calls: int) -> list[str]:
        rows = sorted(self.spent.items(), key=lambda item: -sum(item[1]))
        return [
            "| phase (collections are counted inside the phases they interrupt too) | ms per request (mean) "
            "| times per request |",
            "|---|---|---|",
            *(f"| {name} | {sum(values) / calls:.1f} | {len(values) / calls:.1f} |" for name, values in rows),
            "",
        ]


def submit_phases() -> Phases:
    phases = Phases()
    phases.wrap(service, "submit", "whole submit (service)")
    phases.wrap(taking, "by_token", "taking.by_token (find the session by its link)")
    phases.wrap(grading, "grade", "grading.grade (all of the scoring below)")
    phases.wrap(grading, "pinned_versions", "grading.pinned_versions (load the item versions)")
    phases.wrap(grading, "latest_responses", "grading.latest_responses")
    phases.wrap(grading, "answer_of", "grading.answer_of (decrypt an answer)")
    phases.wrap(grading, "_score_all", "grading._score_all (score every answer, in a thread)")
    phases.wrap(grading, "refresh_summary", "grading.refresh_summary (skill scores and total)")
    phases.wrap(AsyncSession, "flush", "AsyncSession.flush (writes)")
    return phases


def ranking_phases() -> Phases:
    phases = Phases()
    phases.wrap(service, "ranked", "whole ranking (service)")
    phases.wrap(pipeline, "ranking_rows", "pipeline.ranking_rows (the applications)")
    phases.wrap(standings, "_assessments", "standings._assessments (session totals)")
    phases.wrap(interviews, "job_rating_means", "interviews.job_rating_means (scorecards)")
    phases.wrap(ranking, "order", "ranking.order (score and sort everyone)")
    phases.wrap(standings, "_skill_scores", "standings._skill_scores (the page's skill scores)")
    phases.wrap(ranking, "explained", "ranking.explained (the page's explanations)")
    phases.wrap(pipeline, "match_details", "pipeline.match_details (the page's match breakdowns)")
    return phases


# --- databases and the app --------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def database(kind: str, workdir: Path, server: str) -> AsyncIterator[str]:
    """A freshly migrated database, dropped (PostgreSQL) or deleted with ``workdir`` afterwards."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{workdir}/bench.db"
        await asyncio.to_thread(schema.upgrade, url)
        yield url
        return
    name = f"rolecall_bench_assessments_{uuid.uuid4().hex[:8]}"
    url = await create_postgres_database(server, name)
    try:
        await asyncio.to_thread(schema.upgrade, url)
        yield url
    finally:
        await drop_postgres_database(server, name)


@contextlib.asynccontextmanager
async def running(url: str, workdir: Path) -> AsyncIterator[tuple[FastAPI, httpx.AsyncClient]]:
    settings = Settings(
        database_url=url,
        embedded_worker=False,  # nothing in the background competes with the measured calls
        search_sync_seconds=0,
        search_index_path=workdir / "index",
        file_store_path=workdir / "files",
        public_base_url="http://rolecall.bench",
        log_level="WARNING",  # a JSON line per request on the terminal would be measured too
    )
    app = create_app(settings)
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 52000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://rolecall.bench", timeout=600
        ) as http:
            yield app, http


async def timed(request: Awaitable[httpx.Response], into: Timings, *, cpu: bool = False) -> None:
    """Await one request and record its time (and the process's CPU time, for one call at a time)."""
    started, cpu_started = time.perf_counter(), time.process_time()
    response = await request
    into.wall.append((time.perf_counter() - started) * 1000)
    if cpu:
        into.cpu.append((time.process_time() - cpu_started) * 1000)
    assert response.status_code == 200, (response.request.url, response.status_code, response.text[:300])


def freeze_heap(args: argparse.Namespace) -> int:
    """Collect, then freeze the heap if asked; the number of objects the collector tracks before that."""
    gc.collect()
    tracked = len(gc.get_objects())
    if args.gc_freeze:
        gc.freeze()
    return tracked


# --- 1. submit under load -----------------------------------------------------------------------------


async def choice_only_job(http: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> dict[str, Any]:
    """A job whose blueprint draws single- and multiple-choice items only.

    The generated blueprint asks for more items of some skills than the bank has of those two types;
    each refusal names the skill and what the bank holds, so the count is lowered to that (and a skill
    with none is dropped) until the blueprint is accepted.
    """
    job = await job_with_blueprint(http, app, tenant)
    document = dict(job["blueprint"]["document"])
    document["item_types"] = list(CHOICE_TYPES)
    url = f"/v1/jobs/{job['id']}/assessment-blueprint"
    for _ in range(len(document["skills"]) + 1):
        headers = {**tenant.headers, "If-Match": job["blueprint_etag"]}
        response = await http.put(url, headers=headers, json=document)
        if response.status_code == 200:
            return {**job, "blueprint": response.json()}
        assert response.status_code == 422, response.text
        skills = [dict(s) for s in document["skills"]]
        for error in response.json()["errors"]:
            place = re.fullmatch(r"skills\.(\d+)\.items", error["field"])
            have = re.search(r"has (\d+) ready", error["message"])
            assert place, error
            assert have, error
            skills[int(place.group(1))]["items"] = int(have.group(1))
        document["skills"] = [s for s in skills if s["items"] > 0]
    raise RuntimeError("the bank cannot fill a choice-only blueprint")


class AnswerKeys:
    """Pinned item contents by (item id, version), read once as staff and shared by every session."""

    def __init__(self, http: httpx.AsyncClient, tenant: Tenant) -> None:
        self.http, self.tenant = http, tenant
        self._contents: dict[tuple[str, int], dict[str, Any]] = {}

    async def of(self, session_id: str) -> dict[int, dict[str, Any]]:
        url = f"/v1/assessments/sessions/{session_id}/result"
        result = (await self.http.get(url, headers=self.tenant.headers)).json()
        key: dict[int, dict[str, Any]] = {}
        for item in result["items"]:
            wanted = (item["item_id"], item["version"])
            if wanted not in self._contents:
                url = f"/v1/assessments/items/{item['item_id']}"
                detail = (await self.http.get(url, headers=self.tenant.headers)).json()
                for version in detail["versions"]:
                    self._contents[(item["item_id"], version["number"])] = version["content"]
            key[item["position"]] = self._contents[wanted]
        return key


async def answered_sessions(
    http: httpx.AsyncClient, app: FastAPI, tenant: Tenant, job: dict[str, Any], count: int
) -> list[tuple[str, list[str]]]:
    """``count`` started sessions with every question answered (three in four right): each link's
    token and the types of its items."""
    keys = AnswerKeys(http, tenant)
    semaphore = asyncio.Semaphore(4)
    rng = random.Random(SEED)

    async def one() -> tuple[str, list[str]]:
        async with semaphore:
            invitation = await invite(http, app, tenant, job)
            token = str(invitation["token"])
            await start(http, token)
            key = await keys.of(invitation["session"]["id"])
            for position, content in key.items():
                answer = right_answer(content) if rng.random() < 0.75 else wrong_answer(content)
                url = f"/v1/assessment-links/{token}/answers/{position}"
                saved = await http.put(url, json={"answer": answer})
                assert saved.status_code == 200, saved.text
            return token, [content["type"] for content in key.values()]

    # The first invitation of a job creates the job's assessment settings; two first invitations at
    # once collide on that row on PostgreSQL (a 500), so one goes first.
    first = await one()
    return [first, *await asyncio.gather(*(one() for _ in range(count - 1)))]


def _submit(http: httpx.AsyncClient, token: str) -> Awaitable[httpx.Response]:
    return http.post(f"/v1/assessment-links/{token}/submit")


def _overview(http: httpx.AsyncClient, token: str) -> Awaitable[httpx.Response]:
    return http.get(f"/v1/assessment-links/{token}")


async def bench_submit(
    report: Report, http: httpx.AsyncClient, app: FastAPI, args: argparse.Namespace
) -> None:
    tenant = await create_tenant(http, app.state.sessionmaker, "Submit Bench Ltd")
    job = await choice_only_job(http, app, tenant)
    skills = job["blueprint"]["document"]["skills"]
    started = time.perf_counter()
    concurrent = args.rounds * args.clients
    tokens = [t for t, _ in await answered_sessions(http, app, tenant, job, concurrent + args.single)]
    prepared = time.perf_counter() - started
    mixed_job = await job_with_blueprint(http, app, tenant, profile_id=job["role_profile_id"])
    mixed = await answered_sessions(http, app, tenant, mixed_job, args.single)
    tracked = freeze_heap(args)

    load_before = load()
    under_load = {"submit": Timings(), "baseline": Timings()}
    for number in range(args.rounds):
        batch = tokens[number * args.clients : (number + 1) * args.clients]
        passes = [("baseline", _overview), ("submit", _submit)]
        for name, call in reversed(passes) if number % 2 else passes:
            await asyncio.gather(*(timed(call(http, token), under_load[name]) for token in batch))
    alone = {"submit": Timings(), "baseline": Timings(), "mixed": Timings()}
    phases = submit_phases() if args.phases else None
    for token in tokens[concurrent:]:
        await timed(_overview(http, token), alone["baseline"], cpu=True)
        with phases.on() if phases else contextlib.nullcontext():
            await timed(_submit(http, token), alone["submit"], cpu=True)
    for token, _ in mixed:
        await timed(_submit(http, token), alone["mixed"], cpu=True)
    load_after = load()
    if phases:
        phases.restore()

    plan = ", ".join(f"{s['name']} {s['items']}" for s in skills)
    sql_items = [types.count("sql") for _, types in mixed]
    report.add(
        f"Choice-only blueprint: {sum(s['items'] for s in skills)} items ({plan}). "
        f"{len(tokens)} sessions invited, started and answered through the API in {prepared:.0f} s; "
        f"{tracked:,} objects tracked by the garbage collector. Load average before the timed calls: "
        f"{load_before}; after: {load_after}.",
        "",
        f"**{args.clients} concurrent calls**, {args.rounds} round(s), submits and baseline in turn:",
        "",
    )
    report.table(
        [
            ("`POST /v1/assessment-links/{token}/submit`", under_load["submit"]),
            ("baseline: `GET /v1/assessment-links/{token}`", under_load["baseline"]),
        ]
    )
    submit, baseline = under_load["submit"].wall, under_load["baseline"].wall
    report.add(
        f"Submit / baseline: {pct(submit, 50) / pct(baseline, 50):.1f} times at p50, "
        f"{pct(submit, 99) / pct(baseline, 99):.1f} times at p99.",
        "",
        "**One client**, one call at a time (CPU: the whole process's CPU time during the call):",
        "",
    )
    report.table(
        [
            ("`POST …/submit`, choice-only blueprint", alone["submit"]),
            ("baseline: `GET /v1/assessment-links/{token}`", alone["baseline"]),
            (
                f"`POST …/submit`, generated blueprint ({min(sql_items)} to {max(sql_items)} SQL items "
                f"of {len(mixed[0][1])})",
                alone["mixed"],
            ),
        ]
    )
    if phases:
        report.add("Where a choice-only submit's time goes (one client):", "", *phases.table(args.single))


# --- 2. SQL items ---------------------------------------------------------------------------------------


def _clear_sandbox_caches() -> None:
    """Forget every built dataset and solution result, as a freshly started process would have."""
    for cache in (sandbox._DATASETS, sandbox._SOLUTIONS):
        with cache._lock:
            cache._items.clear()


def _broken_query(item: Sql) -> str:
    table = re.search(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", item.schema_, re.IGNORECASE)
    return f"SELECT no_such_column FROM {table.group(1) if table else 'no_such_table'}"  # noqa: S608


def _score(item: Sql, kind: str, query: str, into: Timings) -> None:
    """Score one answer and check the outcome fits the query, so that no fast failure is timed."""
    started = time.perf_counter()
    result = scoring.score_answer(item, {"query": query})
    into.wall.append((time.perf_counter() - started) * 1000)
    if kind == "solution":
        assert result.credit == 1.0, (item.key, result)
    else:
        assert result.credit == 0.0, (item.key, kind, result)
        assert bool(result.errors) == (kind == "error"), (item.key, kind, result)


def bench_sql(report: Report, args: argparse.Namespace) -> None:
    items = [item for item in yaml_io.starter_bank() if isinstance(item, Sql)]
    variants: dict[str, tuple[str, Callable[[Sql], str]]] = {
        "solution": ("solution", lambda item: item.solution),
        "wrong result (`SELECT 1 AS nothing_useful`)": ("wrong", lambda _: "SELECT 1 AS nothing_useful"),
        "error (`SELECT no_such_column FROM <its first table>`)": ("error", _broken_query),
    }
    warm = {name: Timings() for name in variants}
    cold = {name: Timings() for name in variants}
    load_before = load()
    for name, (kind, query_of) in variants.items():
        for item in items:
            _clear_sandbox_caches()
            _score(item, kind, query_of(item), cold[name])
    for _ in range(args.sql_repeats):
        for name, (kind, query_of) in variants.items():
            for item in items:
                _score(item, kind, query_of(item), warm[name])
    floor = Timings()
    for _ in items:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-I", "-S", "-c", "pass"], check=True)
        floor.wall.append((time.perf_counter() - started) * 1000)
    counts = sorted(len(item.datasets) for item in items)
    report.add(
        f"{len(items)} SQL items of the starter bank with {counts[0]} to {counts[-1]} datasets each "
        f"({sum(counts)} in all), each answer scored by `scoring.score_answer` (one sandbox child per "
        f"answer, every dataset). Warm: {args.sql_repeats} pass(es) over every item after the first; "
        "cold: each item once, right after the sandbox's dataset and solution caches were emptied. "
        "Every solution scored 1.0, every wrong result 0.0 without an error, every failing query 0.0 "
        f"with an error for the candidate. Load average before: {load_before}; after: {load()}.",
        "",
    )
    report.table(
        [(f"warm, {name}", warm[name]) for name in variants]
        + [(f"cold, {name}", cold[name]) for name in variants]
        + [("floor: start and stop `python -I -S` doing nothing", floor)]
    )


# --- 3. ranking -------------------------------------------------------------------------------------------


@dataclass
class RankingData:
    tenant: Tenant
    job_id: uuid.UUID
    organisation_id: uuid.UUID
    blueprint_id: uuid.UUID
    other_job_id: uuid.UUID
    other_blueprint_id: uuid.UUID
    items: list[dict[str, Any]]  # one real session's pinned items, reused by every inserted session
    plan_skills: list[dict[str, Any]]
    stages: list[dict[str, Any]]
    responses: int = 0
    sessions: int = 0


def _matches(profile: RoleProfile, level: str, count: int, rng: random.Random) -> list[dict[str, Any]]:
    """Stored match breakdowns as the pipeline writes them, from random evidence against the profile."""
    asked = [s.skill_id for s in profile.skills if level in s.proficiency and s.skill_id]
    out = []
    for _ in range(count):
        chosen = sorted(rng.sample(asked, rng.randint(0, len(asked))))
        proficiency = {skill: rng.randint(1, 5) for skill in chosen}
        evidence = matching.resume_evidence(
            proficiency, stated_years=float(rng.randint(0, 15)), resume_years=None
        )
        document = matching.score(profile, level, evidence).model_dump(mode="json")
        document["evidence"] = {
            "skills": chosen,
            "proficiency": proficiency,
            "years_experience": evidence.years_experience,
            "resume_years_experience": None,
            "source": evidence.source,
            "resume_file_id": None,
        }
        out.append(document)
    return out


def _session_row(
    data: RankingData, job_id: uuid.UUID, blueprint_id: uuid.UUID, invited: datetime, rng: random.Random
) -> dict[str, Any]:
    """A submitted session as grading leaves it (one in ten still waiting for a person to mark)."""
    marking = rng.random() < 0.1
    scores = [
        {
            "skill_id": s["skill_id"],
            "name": s["name"],
            "weight": s["weight"],
            "items": s["items"],
            "scored_items": s["items"],
            "score": round(rng.uniform(0, 100), 1),
        }
        for s in data.plan_skills
    ]
    weights = sum(float(s["weight"]) for s in scores)
    begun = invited + timedelta(days=1)
    return {
        "id": new_id(),
        "organisation_id": data.organisation_id,
        "blueprint_id": blueprint_id,
        "blueprint_version": 1,
        "job_id": job_id,
        "application_id": None,
        "candidate_id": None,
        "token_hash": None,
        "expires_at": invited + timedelta(days=7),
        "status": "marking" if marking else "scored",
        "seed": rng.getrandbits(62),
        "items": data.items,
        "time_limit_minutes": 75,
        "grace_seconds": 30,
        "started_at": begun,
        "deadline_at": begun + timedelta(minutes=75),
        "submitted_at": begun + timedelta(minutes=rng.randint(20, 75)),
        "scored_at": begun + timedelta(minutes=76),
        "total": round(sum(float(s["weight"]) * s["score"] for s in scores) / weights, 1),
        "skill_scores": scores,
        "pending_marking": 1 if marking else 0,
        "invited_by": "bench",
        "version": 4,
    }


def _applicant_rows(
    data: RankingData, profile: RoleProfile, count: int, interviewed: float
) -> dict[Any, list[dict[str, Any]]]:
    """Rows per table for ``count`` applicants of the ranked job, with their sessions and scorecards."""
    rng = random.Random(SEED)
    matches = _matches(profile, "lead", 64, rng)
    card_skills = [(s.skill_id, s.name) for s in profile.skills if "lead" in s.proficiency]
    rows: dict[Any, list[dict[str, Any]]] = {
        table: [] for table in (Candidate.__table__, Application.__table__, AssessmentSession.__table__)
    }
    rows[Interview.__table__], rows[Scorecard.__table__] = [], []
    now, org = utcnow(), data.organisation_id
    for index in range(count):
        candidate_id, application_id = new_id(), new_id()
        applied = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        match, stage = rng.choice(matches), rng.choice(data.stages)
        rows[Candidate.__table__].append(
            {
                "id": candidate_id,
                "organisation_id": org,
                "full_name": f"sealed name {index}",  # never read by the measured routes
                "links": "[]",
                "source": "other",
                "source_details": {},
                "tags": [],
                "created_at": applied,
                "updated_at": applied,
            }
        )
        rows[Application.__table__].append(
            {
                "id": application_id,
                "organisation_id": org,
                "job_id": data.job_id,
                "candidate_id": candidate_id,
                "stage": stage["name"],
                "stage_type": stage["type"],
                "status": "active",
                "source": "other",
                "source_details": {},
                "match_score": int(match["total"]),
                "match": match,
                "stage_entered_at": applied,
                "last_activity_at": applied,
                "created_at": applied,
                "updated_at": applied,
                "version": 1,
            }
        )
        if rng.random() < ASSESSED:
            row = _session_row(data, data.job_id, data.blueprint_id, applied, rng)
            rows[AssessmentSession.__table__].append(
                row | {"application_id": application_id, "candidate_id": candidate_id}
            )
        if rng.random() < interviewed:
            interview_id = new_id()
            rows[Interview.__table__].append(
                {
                    "id": interview_id,
                    "organisation_id": org,
                    "application_id": application_id,
                    "job_id": data.job_id,
                    "candidate_id": candidate_id,
                    "title": "Technical interview",
                    "starts_at": applied + timedelta(days=3),
                    "duration_minutes": 60,
                    "interviewer_ids": [],
                }
            )
            for _ in range(CARDS_PER_INTERVIEW):
                rows[Scorecard.__table__].append(
                    {
                        "id": new_id(),
                        "organisation_id": org,
                        "interview_id": interview_id,
                        "application_id": application_id,
                        "interviewer_id": new_id(),
                        "attributes": [
                            {"skill": skill, "name": name, "rating": rng.randint(1, 4)}
                            for skill, name in card_skills
                        ],
                        "recommendation": rng.choice(["strong_yes", "yes", "no"]),
                        "status": "submitted",
                        "submitted_at": applied + timedelta(days=3),
                    }
                )
    return rows


async def _insert(engine: AsyncEngine, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    for first in range(0, len(rows), BATCH):
        async with engine.begin() as connection:
            await connection.execute(insert(table), list(rows[first : first + BATCH]))


async def _analyse(engine: AsyncEngine) -> None:
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))


async def seed_ranking(
    http: httpx.AsyncClient, app: FastAPI, url: str, args: argparse.Namespace
) -> tuple[RankingData, dict[str, int]]:
    """The ranked job with its applicants; a second job of the organisation holds the filler."""
    tenant = await create_tenant(http, app.state.sessionmaker, "Ranking Bench Ltd")
    job = await job_with_blueprint(http, app, tenant)
    other = await job_with_blueprint(http, app, tenant, profile_id=job["role_profile_id"])
    sample = await invite(http, app, tenant, job)  # one real session, whose pinned items are reused
    profile = load_library().get("backend-engineer")
    assert profile is not None
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            stmt = select(AssessmentSession.items).where(
                AssessmentSession.id == uuid.UUID(sample["session"]["id"])
            )
            items = list((await connection.execute(stmt)).scalar_one())
        data = RankingData(
            tenant=tenant,
            job_id=uuid.UUID(job["id"]),
            organisation_id=tenant.organisation_id,
            blueprint_id=uuid.UUID(job["blueprint"]["id"]),
            other_job_id=uuid.UUID(other["id"]),
            other_blueprint_id=uuid.UUID(other["blueprint"]["id"]),
            items=items,
            plan_skills=job["blueprint"]["document"]["skills"],
            stages=[s for s in job["stages"] if s["type"] not in ("hired", "rejected")][:4],
        )
        rows = _applicant_rows(data, profile, args.applications, args.interviewed)
        for table, values in rows.items():
            await _insert(engine, table, values)
        await _analyse(engine)
    finally:
        await engine.dispose()
    return data, {table.name: len(values) for table, values in rows.items()}


async def add_responses(url: str, data: RankingData, target: int) -> float:
    """Filler answers up to ``target`` rows: twenty for each new scored session of the other job."""
    started = time.perf_counter()
    rng = random.Random(SEED + target)
    sealed = "v1:bench:" + "x" * 110  # the length of a sealed short answer; never decrypted here
    engine = create_engine(url)
    try:
        while data.responses < target:
            now = utcnow()
            sessions, responses = [], []
            for _ in range(min(target - data.responses, BATCH * 4) // RESPONSES_PER_FILLER_SESSION):
                row = _session_row(data, data.other_job_id, data.other_blueprint_id, now, rng)
                sessions.append(row)
                for position in range(RESPONSES_PER_FILLER_SESSION):
                    pinned = data.items[position % len(data.items)]
                    responses.append(
                        {
                            "id": new_id(),
                            "organisation_id": data.organisation_id,
                            "session_id": row["id"],
                            "position": position,
                            "item_version_id": uuid.UUID(pinned["version_id"]),
                            "answer": sealed,
                            "recorded_at": now,
                        }
                    )
            await _insert(engine, AssessmentSession.__table__, sessions)
            await _insert(engine, AssessmentResponse.__table__, responses)
            data.responses += len(responses)
            data.sessions += len(sessions)
        await _analyse(engine)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def bench_ranking(
    report: Report, http: httpx.AsyncClient, app: FastAPI, url: str, args: argparse.Namespace
) -> None:
    started = time.perf_counter()
    data, counts = await seed_ranking(http, app, url, args)
    report.add(
        f"Loaded in {time.perf_counter() - started:.0f} s (Core bulk inserts, then `ANALYZE`): "
        + ", ".join(f"{n:,} {name}" for name, n in counts.items())
        + ".",
        "",
    )
    ranking_name = "assessment ranking (`GET /v1/jobs/{id}/candidate-ranking?limit=50`)"
    list_name = "baseline: `GET /v1/applications?job_id=…&limit=50`"
    shadow_name = "the pipeline's `GET /v1/jobs/{id}/ranking?limit=50` (match score only)"
    paths = {
        ranking_name: RANKING_PATH.format(job_id=data.job_id) + "?limit=50",
        list_name: f"/v1/applications?job_id={data.job_id}&limit=50",
        shadow_name: f"/v1/jobs/{data.job_id}/ranking?limit=50",
    }
    for target in args.responses:
        added = await add_responses(url, data, target)
        token = (await login(http, data.tenant.admin_email))["access_token"]
        get = functools.partial(http.get, headers={"Authorization": f"Bearer {token}"})
        body = (await get(paths[ranking_name])).json()
        assert body["total"] == args.applications + 1, body
        assert len(body["items"]) == 50, body
        assert isinstance((await get(paths[shadow_name])).json(), list)  # the pipeline's shape
        for path in paths.values():  # warm: prepared statements, the pool, the page cache
            await timed(get(path), Timings())
        tracked = freeze_heap(args)
        measured = {name: Timings() for name in paths}
        phases = ranking_phases() if args.phases else None
        load_before = load()
        for _ in range(args.ranking_repeats):
            for name, path in paths.items():
                with phases.on() if phases and name == ranking_name else contextlib.nullcontext():
                    await timed(get(path), measured[name], cpu=True)
        if phases:
            phases.restore()
        report.add(
            f"**{data.responses:,} rows in `assessment_responses`** ({data.sessions:,} filler sessions "
            f"of the other job, added in {added:.0f} s; {tracked:,} objects tracked by the garbage "
            f"collector). One client, the three calls in turn; load average before: {load_before}; "
            f"after: {load()}.",
            "",
        )
        report.table(list(measured.items()))
        got, base = measured[ranking_name].wall, measured[list_name].wall
        report.add(
            f"Ranking / list: {pct(got, 50) / pct(base, 50):.1f} times at p50, "
            f"{pct(got, 99) / pct(base, 99):.1f} times at p99.",
            "",
        )
        if phases:
            report.add("Where the ranking's time goes:", "", *phases.table(args.ranking_repeats))


# --- the run --------------------------------------------------------------------------------------------


def machine(server: str, databases: Sequence[str]) -> str:
    version = "not used"
    if "postgresql" in databases:
        found = subprocess.run(  # noqa: S603 - fixed argv
            ["psql", server, "-Atc", "SHOW server_version"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        version = found.stdout.strip() or "unknown"
    return (
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, PostgreSQL {version}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


async def run(args: argparse.Namespace) -> str:
    report = Report()
    report.add(
        f"Run of {time.strftime('%Y-%m-%d %H:%M')}: {machine(args.postgres_server, args.database)}; "
        f"`gc.freeze()` {'on' if args.gc_freeze else 'off'}. Load average at the start: {load()}.",
        "",
    )
    if "sql" in args.parts:
        report.add("## SQL items (no database involved)", "")
        await asyncio.to_thread(bench_sql, report, args)
    for kind in args.database:
        workdir = Path(tempfile.mkdtemp(prefix=f"rolecall-bench-assessments-{kind}-"))
        try:
            async with (
                database(kind, workdir, args.postgres_server) as url,
                running(url, workdir) as (app, http),
            ):
                if "submit" in args.parts:
                    report.add(f"## Submit under load: {kind}", "")
                    await bench_submit(report, http, app, args)
                if "ranking" in args.parts:
                    report.add(f"## Ranking: {kind}", "")
                    await bench_ranking(report, http, app, url, args)
        finally:
            gc.unfreeze()
            shutil.rmtree(workdir, ignore_errors=True)
    return "\n".join(report.lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="one round, 10k responses, few repeats")
    parser.add_argument("--database", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite")
    parser.add_argument("--parts", default="submit,sql,ranking", help="comma-separated: submit, sql, ranking")
    parser.add_argument(
        "--postgres-server",
        default=os.environ.get("ROLECALL_TEST_POSTGRES_URL", POSTGRES_SERVER),
        help="a superuser libpq URL; the benchmark creates and drops its own database there",
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=None, help="rounds of concurrent submits (default 5)")
    parser.add_argument("--applications", type=int, default=10_000)
    parser.add_argument("--interviewed", type=float, default=0.05, help="share of applicants with scorecards")
    parser.add_argument("--responses", default=None, help="sizes, default 10000,100000,1000000")
    parser.add_argument("--phases", action="store_true", help="time the service functions inside the calls")
    parser.add_argument("--gc-freeze", action="store_true", help="gc.freeze() before measuring")
    parser.add_argument("--output", type=Path, default=None, help="also write the report to this file")
    args = parser.parse_args()
    args.database = [d for d in args.database.split(",") if d]
    args.parts = set(args.parts.split(","))
    args.rounds = args.rounds or (1 if args.quick else 5)
    args.single = 4 if args.quick else 16
    args.sql_repeats = 1 if args.quick else 5
    args.ranking_repeats = 8 if args.quick else 30
    sizes = args.responses or ("10000" if args.quick else "10000,100000,1000000")
    args.responses = [int(size) for size in sizes.split(",")]
    text_out = asyncio.run(run(args))
    if args.output is not None:
        args.output.write_text(text_out + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
