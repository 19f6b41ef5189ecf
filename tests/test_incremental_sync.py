"""Incremental sync: every collection takes ``updated_since``, and a client that resumes from
``next_updated_since`` misses nothing, even a row stamped before its read and committed after it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.models import Candidate
from rolecall.interviews.models import Interview
from rolecall.jobs.models import Job
from rolecall.offers.models import Offer
from rolecall.pipeline.models import Application
from rolecall.platform.db import Base
from rolecall.platform.pagination import Page
from rolecall.platform.tenancy import bind_organisation
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_application, create_candidate, create_job, fork_profile, open_job
from tests.interviews.support import person, schedule
from tests.offers.support import application_at_offer, draft_offer
from tests.platform.problems import assert_problem

EPOCH = "1970-01-01T00:00:00Z"
SAFETY = timedelta(seconds=10)  # the default ROLECALL_SYNC_SAFETY_SECONDS


def when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass
class Kind:
    path: str
    model: type[Base]
    make_two: Callable[[httpx.AsyncClient, FastAPI, Tenant], Awaitable[list[str]]]


async def _jobs(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> list[str]:
    profile = (await fork_profile(client, tenant))["id"]
    return [(await create_job(client, tenant, profile))["id"] for _ in range(2)]


async def _candidates(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> list[str]:
    return [(await create_candidate(client, tenant))["id"] for _ in range(2)]


async def _applications(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> list[str]:
    job = await open_job(client, app, tenant)
    return [(await create_application(client, app, tenant, job=job))["id"] for _ in range(2)]


async def _interviews(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> list[str]:
    application = await create_application(client, app, tenant)
    interviewer = await person(client, tenant, "interviewer")
    return [(await schedule(client, tenant, application["id"], interviewer))["id"] for _ in range(2)]


async def _offers(client: httpx.AsyncClient, app: FastAPI, tenant: Tenant) -> list[str]:
    job = await open_job(client, app, tenant)
    found = []
    for _ in range(2):
        found.append(
            (await draft_offer(client, tenant, await application_at_offer(client, app, tenant, job)))["id"]
        )
    return found


KINDS = {
    "candidates": Kind("/v1/candidates", Candidate, _candidates),
    "applications": Kind("/v1/applications", Application, _applications),
    "jobs": Kind("/v1/jobs", Job, _jobs),
    "interviews": Kind("/v1/interviews", Interview, _interviews),
    "offers": Kind("/v1/offers", Offer, _offers),
}


async def sync_round(
    client: httpx.AsyncClient, tenant: Tenant, path: str, since: str, limit: int = 2
) -> tuple[list[dict[str, Any]], str]:
    """One round of a sync client: every page from ``since``; returns the items and where to resume."""
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"updated_since": since, "limit": limit}
    for _ in range(50):
        response = await client.get(path, headers=tenant.headers, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert when(response.headers["sync-watermark"]) == when(page["next_updated_since"])
        stamps = [when(item["updated_at"]) for item in page["items"]]
        assert stamps == sorted(stamps), "a sync page is in updated_at order"
        assert all(stamp >= when(since) for stamp in stamps)
        items.extend(page["items"])
        if page["next_cursor"] is None:
            return items, page["next_updated_since"]
        params = {**params, "cursor": page["next_cursor"]}
    raise AssertionError("the sync round does not end")


async def touch(
    session: AsyncSession, tenant: Tenant, model: Any, row_id: str, stamp: datetime | None = None
) -> None:
    """Change a row as any service would: its version moves and updated_at is stamped on flush."""
    bind_organisation(session, tenant.organisation_id)
    values: dict[str, Any] = {"version": model.version + 1}
    if stamp is not None:
        values["updated_at"] = stamp
    await session.execute(update(model).where(model.id == uuid.UUID(row_id)).values(**values))


@asynccontextmanager
async def committed_after(
    sessionmaker: async_sessionmaker[AsyncSession], backend: str, tenant: Tenant, model: Any, row_id: str
) -> AsyncIterator[None]:
    """Stamp a change to ``row_id`` now, and commit it only when the block has run.

    PostgreSQL: a real second transaction stays open across the block, its row stamped and flushed.
    SQLite has one writer and every transaction begins IMMEDIATE, so a reader would wait for that
    transaction (and the test for the reader): there the stamp is taken now and written, with that
    stamp, after the block, which is the same order of events as seen by the reader.
    """
    if backend == "postgresql":
        async with sessionmaker() as writer, writer.begin():
            await touch(writer, tenant, model, row_id)
            await writer.flush()
            yield
        return
    from rolecall.platform.clock import utcnow

    stamp = utcnow()
    yield
    async with sessionmaker() as writer, writer.begin():
        await touch(writer, tenant, model, row_id, stamp)


@pytest.mark.parametrize("kind_name", sorted(KINDS))
async def test_a_client_following_next_updated_since_misses_no_late_commit(
    kind_name: str,
    backend: str,
    app: FastAPI,
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    kind = KINDS[kind_name]
    late_id, early_id = await kind.make_two(client, app, tenant)
    theirs = {item["id"] for item in (await sync_round(client, other_tenant, kind.path, EPOCH))[0]}

    # Round 1: everything there is, from the beginning of time.
    seen, watermark = await sync_round(client, tenant, kind.path, EPOCH, limit=1)
    assert {late_id, early_id} <= {item["id"] for item in seen}
    assert not theirs & {item["id"] for item in seen}

    # A minute later a writer stamps a change to one row and holds its transaction open; meanwhile
    # another row changes and commits half a second later, and the client syncs.
    clock.advance(seconds=60)
    stamped_at = clock.now
    async with committed_after(sessionmaker, backend, tenant, kind.model, late_id):
        clock.advance(seconds=0.5)
        async with sessionmaker() as other, other.begin():
            await touch(other, tenant, kind.model, early_id)
        clock.advance(seconds=0.5)
        seen, watermark = await sync_round(client, tenant, kind.path, watermark)
        assert early_id in [item["id"] for item in seen]
        # The open transaction's change is not visible yet (the row may come in its old state).
        assert all(when(item["updated_at"]) < stamped_at for item in seen if item["id"] == late_id)
        newest_seen = max(when(item["updated_at"]) for item in seen)
        # The watermark stays the safety margin behind the request, before the uncommitted stamp.
        assert when(watermark) <= clock.now - SAFETY
        assert when(watermark) <= stamped_at
    clock.advance(seconds=1)

    # A client resuming from the newest updated_at it saw misses the late commit for good ...
    naive, _ = await sync_round(client, tenant, kind.path, newest_seen.isoformat())
    assert late_id not in [item["id"] for item in naive]
    # ... one resuming from next_updated_since gets it, with the early row again (deduplicated by id
    # and version, or updated_at, on the client).
    seen, watermark = await sync_round(client, tenant, kind.path, watermark)
    by_id = {item["id"]: item for item in seen}
    assert late_id in by_id
    assert when(by_id[late_id]["updated_at"]) == stamped_at

    # Quiet period: a round well after the safety margin moves the watermark up to the newest change.
    clock.advance(seconds=60)
    _, watermark = await sync_round(client, tenant, kind.path, watermark)
    assert when(watermark) >= stamped_at + timedelta(seconds=0.5)


async def test_sync_order_is_stable_across_pages_while_rows_change(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    """A row changed between two pages moves behind the cursor's position and comes again later."""
    ids = [(await create_candidate(client, tenant))["id"] for _ in range(4)]
    first = await client.get(
        "/v1/candidates", headers=tenant.headers, params={"updated_since": EPOCH, "limit": 2}
    )
    assert first.status_code == 200, first.text
    page = first.json()
    assert [item["id"] for item in page["items"]] == sorted(ids, key=uuid.UUID)[:2]
    clock.advance(seconds=5)
    async with sessionmaker() as writer, writer.begin():
        await touch(writer, tenant, Candidate, page["items"][0]["id"])
    rest, _ = await sync_round(client, tenant, "/v1/candidates", EPOCH, limit=2)
    assert sorted({item["id"] for item in rest}, key=uuid.UUID) == sorted(ids, key=uuid.UUID)
    following = await client.get(
        "/v1/candidates",
        headers=tenant.headers,
        params={"updated_since": EPOCH, "limit": 2, "cursor": page["next_cursor"]},
    )
    later = [item["id"] for item in following.json()["items"]]
    assert page["items"][0]["id"] not in later[:1]


@pytest.mark.parametrize(
    "value",
    ["2026-01-31T09:30:00", "2026-01-31", "yesterday", "1700000000", "2026-13-40T00:00:00Z"],
)
async def test_updated_since_needs_an_rfc3339_time_with_a_zone(
    value: str, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.get("/v1/candidates", headers=tenant.headers, params={"updated_since": value})
    assert_problem(response, 400)


async def test_cursors_do_not_cross_between_sync_and_plain_lists(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    for _ in range(3):
        await create_candidate(client, tenant)
    plain = (await client.get("/v1/candidates", headers=tenant.headers, params={"limit": 1})).json()
    synced = (
        await client.get(
            "/v1/candidates", headers=tenant.headers, params={"limit": 1, "updated_since": EPOCH}
        )
    ).json()
    assert plain["next_updated_since"] is None
    mixed = await client.get(
        "/v1/candidates",
        headers=tenant.headers,
        params={"limit": 1, "updated_since": EPOCH, "cursor": plain["next_cursor"]},
    )
    assert_problem(mixed, 400)
    mixed = await client.get(
        "/v1/candidates", headers=tenant.headers, params={"limit": 1, "cursor": synced["next_cursor"]}
    )
    assert_problem(mixed, 400)


def collection_routes(app: FastAPI) -> dict[str, Any]:
    """Every GET route answering with a page of items (the collections), with its dependant."""
    found: dict[str, Any] = {}
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if (
            isinstance(route, APIRoute)
            and "GET" in (context.methods or ())
            and isinstance(route.response_model, type)
            and issubclass(route.response_model, Page)
        ):
            assert context.path is not None
            found[context.path] = context.dependant
    return found


def takes_updated_since(dependant: Any) -> bool:
    if any(param.name == "updated_since" for param in dependant.query_params):
        return True
    return any(takes_updated_since(sub) for sub in dependant.dependencies)


async def test_every_collection_accepts_updated_since(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    collections = collection_routes(app)
    routes = sorted(collections)
    assert len(routes) >= 16, routes
    missing = [path for path, dependant in collections.items() if not takes_updated_since(dependant)]
    assert missing == []

    # Real ids for the nested collections.
    candidate = await create_candidate(client, tenant)
    await client.post(
        f"/v1/candidates/{candidate['id']}/notes", headers=tenant.headers, json={"body": "A note."}
    )
    pool = await client.post("/v1/talent-pools", headers=tenant.headers, json={"name": "Pool"})
    assert pool.status_code == 201, pool.text
    await client.put(
        f"/v1/talent-pools/{pool.json()['id']}/candidates/{candidate['id']}", headers=tenant.headers
    )
    profile = await fork_profile(client, tenant)
    filled = {
        "{candidate_id}": candidate["id"],
        "{pool_id}": pool.json()["id"],
        "{profile_id}": profile["id"],
    }
    for path in routes:
        concrete = path
        for name, value in filled.items():
            concrete = concrete.replace(name, value)
        # A nested collection whose parent this test does not build is asked about a missing parent:
        # updated_since is still checked, before the 404.
        unknown_parent = "{" in concrete
        concrete = re.sub(r"\{[a-z_]+\}", str(uuid.uuid4()), concrete)
        response = await client.get(concrete, headers=tenant.headers, params={"updated_since": EPOCH})
        assert response.status_code in ((200, 404) if unknown_parent else (200,)), (path, response.text)
        if response.status_code == 200:
            body = response.json()
            assert body["next_updated_since"] is not None, f"{path} leaves next_updated_since out"
            assert when(response.headers["sync-watermark"]) == when(body["next_updated_since"]), path
        naive = await client.get(
            concrete, headers=tenant.headers, params={"updated_since": "2026-01-01T00:00:00"}
        )
        assert_problem(naive, 400)
        # Valid RFC 3339, but before the first instant a UTC time can hold (was a 500).
        too_early = await client.get(
            concrete, headers=tenant.headers, params={"updated_since": "0001-01-01T00:24:59+18:34"}
        )
        assert_problem(too_early, 400)


def test_watermark_rules() -> None:
    from rolecall.platform.sync import next_watermark, parse_updated_since

    since = datetime(2026, 1, 1, tzinfo=UTC)
    bound = since + timedelta(minutes=5)
    assert next_watermark(since, bound, []) == since
    assert next_watermark(since, bound, [since + timedelta(minutes=1)]) == since + timedelta(minutes=1)
    assert next_watermark(since, bound, [since + timedelta(minutes=9)]) == bound
    assert next_watermark(bound, since, [bound]) == bound  # never moves a client back
    assert parse_updated_since("2026-01-01T01:00:00+01:00") == since
    assert parse_updated_since("2026-01-01T00:00:00.123456789Z").microsecond == 123456
