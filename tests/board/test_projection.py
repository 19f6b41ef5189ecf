"""The board projection (``board.handlers.project_job``) and the tantivy follower (``board.index_sync``).

Events are taken from the outbox as the jobs context wrote them (or built by hand from one of them) and
handed to the handler directly, bypassing the relay's processed-event receipts: the handler itself must
be idempotent and must never let an older job version overwrite a newer one.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import event as sa_event
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.app import create_app
from rolecall.board.database_index import DatabaseSearchIndex, search_documents
from rolecall.board.documents import search_document
from rolecall.board.handlers import project_job
from rolecall.board.index_sync import IndexSync
from rolecall.board.models import BoardPosting
from rolecall.board.search import SearchQuery
from rolecall.board.tantivy_index import TantivySearchIndex
from rolecall.config import Settings
from rolecall.jobs.events import JobEvent
from rolecall.platform.db import transaction
from rolecall.platform.events.base import event_class
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.models import OutboxEvent
from rolecall.platform.events.outbox import to_envelope
from rolecall.platform.events.registry import registry
from rolecall.platform.events.relay import InProcessRelay, OutboxDispatcher
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.conftest import FrozenClock
from tests.factories import Tenant, create_job, deliver, fork_profile, open_job

# --- helpers -------------------------------------------------------------------------------------


async def _relay_only(app: FastAPI) -> None:
    """Deliver the outbox to the handlers without running the search index follower."""
    relay = InProcessRelay(app.state.sessionmaker, registry)
    await OutboxDispatcher(app.state.sessionmaker, relay).drain()


async def _events(maker: async_sessionmaker[AsyncSession], job_id: str) -> list[CloudEvent]:
    """Every event the jobs context wrote about one job, oldest first."""
    async with maker() as session:
        stmt = (
            select(OutboxEvent)
            .where(OutboxEvent.subject == f"jobs/{job_id}")
            .order_by(OutboxEvent.id)
            .execution_options(**all_tenants())
        )
        return [to_envelope(row) for row in (await session.scalars(stmt)).all()]


def _typed(event: CloudEvent) -> JobEvent:
    """The event as the board's handler receives it from the registry."""
    cls = event_class(event.type)
    assert cls is not None
    assert issubclass(cls, JobEvent)
    return cls.from_envelope(event)


async def _project(maker: async_sessionmaker[AsyncSession], event: CloudEvent) -> None:
    async with transaction(maker) as session:
        bind_organisation(session, event.organisationid)
        await project_job(session, _typed(event))


async def _row(maker: async_sessionmaker[AsyncSession], job_id: str | uuid.UUID) -> BoardPosting | None:
    async with maker() as session:
        return await session.get(BoardPosting, uuid.UUID(str(job_id)))


def _version(event: CloudEvent) -> int:
    return int(event.data["job"]["version"])


def _event(
    template: CloudEvent,
    *,
    job_id: uuid.UUID,
    version: int,
    event_type: str,
    status: str,
    title: str | None = None,
) -> CloudEvent:
    """A job event built by hand from a real one: another job id, version, status and title."""
    data: dict[str, Any] = copy.deepcopy(template.data)
    data["action"] = event_type.split(".", 1)[1]
    data["job"].update(id=str(job_id), version=version, status=status)
    posting = data["posting"]
    if status != "open":
        data["posting"] = None
    elif posting is not None:
        posting.update(id=str(job_id), url=f"/v1/board/postings/{job_id}")
        if title is not None:
            posting["title"] = data["job"]["title"] = title
    return CloudEvent(
        id=uuid.uuid4(),
        source=template.source,
        type=event_type,
        time=template.time,
        subject=f"jobs/{job_id}",
        organisationid=template.organisationid,
        data=data,
    )


async def _database_ids(maker: async_sessionmaker[AsyncSession], q: str = "") -> list[uuid.UUID]:
    result = await DatabaseSearchIndex(maker).search(SearchQuery(q=q, facets=False))
    return [hit.id for hit in result.hits]


async def _tantivy_ids(index: TantivySearchIndex, q: str = "") -> list[uuid.UUID]:
    result = await index.search(SearchQuery(q=q, facets=False))
    return [hit.id for hit in result.hits]


async def _edit(client: httpx.AsyncClient, tenant: Tenant, job_id: str, **changes: Any) -> None:
    current = await client.get(f"/v1/jobs/{job_id}", headers=tenant.headers)
    response = await client.patch(
        f"/v1/jobs/{job_id}", headers={**tenant.headers, "If-Match": current.headers["etag"]}, json=changes
    )
    assert response.status_code == 200, response.text


async def _act(client: httpx.AsyncClient, tenant: Tenant, job_id: str, action: str) -> None:
    body = {"reason": "filled"} if action == "close" else None
    response = await client.post(f"/v1/jobs/{job_id}/{action}", headers=tenant.headers, json=body)
    assert response.status_code == 200, response.text


# --- the projection ------------------------------------------------------------------------------


async def test_redelivering_events_changes_nothing(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = (await open_job(client, app, tenant, title="Sandpiper Queue Engineer"))["id"]
    await _edit(client, tenant, job, title="Kittiwake Queue Engineer")
    await deliver(app)
    before = await _row(sessionmaker, job)
    assert before is not None
    assert (before.job_version, before.live) == (3, True)
    assert await _database_ids(sessionmaker, "kittiwake") == [uuid.UUID(job)]

    events = await _events(sessionmaker, job)
    assert [(e.type, _version(e)) for e in events] == [
        ("job.created", 1),
        ("job.opened", 2),
        ("job.updated", 3),
    ]
    for event in events + events:  # every event again, twice, bypassing the relay's receipts
        await _project(sessionmaker, event)

    after = await _row(sessionmaker, job)
    assert after is not None
    assert (after.job_version, after.live, after.changed_at) == (3, True, before.changed_at)
    assert after.document == before.document
    assert after.document is not None
    assert after.document["title"] == "Kittiwake Queue Engineer"
    assert await _database_ids(sessionmaker, "kittiwake") == [uuid.UUID(job)]
    assert await _database_ids(sessionmaker, "sandpiper") == []
    async with sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(BoardPosting)) == 1
    assert await app.state.index_sync.sync_once() == 0  # nothing changed for the follower either


async def test_a_late_older_event_cannot_resurrect_a_closed_posting(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    job = (await create_job(client, tenant))["id"]
    await _act(client, tenant, job, "open")
    await _edit(client, tenant, job, title="Guillemot Cache Engineer")
    await _act(client, tenant, job, "close")
    created, opened, updated, closed = await _events(sessionmaker, job)
    assert [(e.type, _version(e)) for e in (updated, closed)] == [("job.updated", 3), ("job.closed", 4)]
    assert updated.data["posting"] is not None

    # Delivered out of order: the close (v4) overtakes the edit (v3) that was still carrying a posting.
    for event in (created, opened, closed, updated, opened):
        await _project(sessionmaker, event)

    row = await _row(sessionmaker, job)
    assert row is not None
    assert (row.job_version, row.live, row.document) == (4, False, None)  # a tombstone, not no row
    assert await _database_ids(sessionmaker) == []
    await deliver(app)  # the relay's own (in-order) delivery and the follower change nothing
    assert await _tantivy_ids(app.state.search_index) == []
    assert (await client.get(f"/v1/board/postings/{job}")).status_code == 404
    assert (await client.get("/v1/board/postings", params={"q": "guillemot"})).json()["total"] == 0


async def test_the_version_decides_not_the_arrival_order(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    real = await open_job(client, app, tenant)
    template = next(e for e in await _events(sessionmaker, real["id"]) if e.type == "job.opened")
    job_id = uuid.uuid4()

    def event(version: int, event_type: str, status: str, title: str | None = None) -> CloudEvent:
        return _event(
            template, job_id=job_id, version=version, event_type=event_type, status=status, title=title
        )

    await _project(sessionmaker, event(3, "job.paused", "paused"))  # first news of the job: a pause
    await _project(sessionmaker, event(2, "job.opened", "open", "Fulmar Stream Engineer"))
    row = await _row(sessionmaker, job_id)
    assert row is not None
    assert (row.job_version, row.live) == (3, False)
    assert await _database_ids(sessionmaker, "fulmar") == []

    await _project(sessionmaker, event(5, "job.opened", "open", "Fulmar Stream Engineer"))
    await _project(sessionmaker, event(4, "job.updated", "open", "Gannet Stream Engineer"))
    row = await _row(sessionmaker, job_id)
    assert row is not None
    assert (row.job_version, row.live) == (5, True)
    assert row.document is not None
    assert row.document["title"] == "Fulmar Stream Engineer"
    assert await _database_ids(sessionmaker, "fulmar") == [job_id]
    assert await _database_ids(sessionmaker, "gannet") == []

    await _project(sessionmaker, event(6, "job.closed", "closed"))
    assert await _database_ids(sessionmaker, "fulmar") == []
    await deliver(app)
    assert await _tantivy_ids(app.state.search_index, "fulmar") == []
    assert await _tantivy_ids(app.state.search_index) == [uuid.UUID(real["id"])]


async def test_the_database_index_changes_in_the_projections_transaction(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    real = await open_job(client, app, tenant)
    template = next(e for e in await _events(sessionmaker, real["id"]) if e.type == "job.opened")
    job_id = uuid.uuid4()
    opened = _event(
        template, job_id=job_id, version=2, event_type="job.opened", status="open", title="Puffin Ledger"
    )
    closed = _event(template, job_id=job_id, version=3, event_type="job.closed", status="closed")

    seen: list[uuid.UUID] = []

    async def project_then_fail() -> None:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, template.organisationid)
            await project_job(session, _typed(opened))
            found = await search_documents(session, SearchQuery(q="puffin", facets=False))
            seen.extend(hit.id for hit in found.hits)
            raise RuntimeError("abort")

    with pytest.raises(RuntimeError, match="abort"):
        await project_then_fail()
    assert seen == [job_id]  # the transaction that projected the posting already finds it
    assert await _row(sessionmaker, job_id) is None  # rolled back together ...
    assert await _database_ids(sessionmaker, "puffin") == []  # ... with the index

    await _project(sessionmaker, opened)
    assert await _database_ids(sessionmaker, "puffin") == [job_id]
    async with transaction(sessionmaker) as session:
        bind_organisation(session, template.organisationid)
        await project_job(session, _typed(closed))
        gone = await search_documents(session, SearchQuery(q="puffin", facets=False))
        assert gone.hits == []
    assert await _database_ids(sessionmaker, "puffin") == []
    assert await _database_ids(sessionmaker) == [uuid.UUID(real["id"])]


async def test_an_older_event_racing_a_newer_one_cannot_win(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    """Two workers lease different batches (SKIP LOCKED), so two events of one job can be handled at once."""
    job = (await open_job(client, app, tenant, title="Shearwater Batch Engineer"))["id"]
    await _edit(client, tenant, job, title="Petrel Batch Engineer")
    await _act(client, tenant, job, "close")
    *_, updated, closed = await _events(sessionmaker, job)
    assert (_version(updated), _version(closed)) == (3, 4)

    async with transaction(sessionmaker) as newer:
        bind_organisation(newer, closed.organisationid)
        await project_job(newer, _typed(closed))  # the close is applied, not committed yet
        older = asyncio.create_task(_project(sessionmaker, updated))
        await _until_blocked(sessionmaker, backend)
    await asyncio.wait_for(older, timeout=30)

    row = await _row(sessionmaker, job)
    assert row is not None
    assert (row.job_version, row.live) == (4, False)
    assert await _database_ids(sessionmaker, "petrel") == []


async def _until_blocked(maker: async_sessionmaker[AsyncSession], backend: str) -> None:
    """Wait until another transaction is waiting for a lock (PostgreSQL), or a moment (SQLite)."""
    if backend != "postgresql":
        await asyncio.sleep(0.3)  # the other writer queues on BEGIN IMMEDIATE; nothing to observe
        return
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    for _ in range(100):
        async with maker() as session:
            if await session.scalar(query):
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the older event's transaction never waited for the row lock")


# --- the tantivy follower ------------------------------------------------------------------------


async def test_the_follower_applies_each_change_once(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    index: TantivySearchIndex = app.state.search_index
    sync: IndexSync = app.state.index_sync
    assert isinstance(index, TantivySearchIndex)
    job = uuid.UUID((await open_job(client, app, tenant, title="Cormorant Index Engineer"))["id"])
    assert await _tantivy_ids(index, "cormorant") == [job]
    assert index.checkpoint()
    assert await sync.sync_once() == 0
    assert await sync.sync_once() == 0

    await _act(client, tenant, str(job), "pause")
    await _relay_only(app)
    assert await _tantivy_ids(index, "cormorant") == [job]  # the follower has not run yet
    assert await _database_ids(sessionmaker, "cormorant") == []  # the database index already changed
    assert await sync.sync_once() == 1
    assert await _tantivy_ids(index, "cormorant") == []
    assert await sync.sync_once() == 0

    await _act(client, tenant, str(job), "open")
    await _relay_only(app)
    assert await sync.sync_once() == 1
    assert await _tantivy_ids(index, "cormorant") == [job]
    assert await sync.sync_once() == 0


async def test_a_restarted_follower_resumes_from_its_checkpoint(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    settings: Settings,
    sessionmaker: async_sessionmaker[AsyncSession],
    clock: FrozenClock,
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    untouched = uuid.UUID((await open_job(client, app, tenant, profile, title="Avocet Engineer"))["id"])
    clock.advance(minutes=1)  # well past the follower's re-read overlap
    closed = uuid.UUID((await open_job(client, app, tenant, profile, title="Bittern Engineer"))["id"])
    checkpoint = app.state.index_sync.index.checkpoint()
    assert checkpoint is not None
    assert datetime.fromisoformat(checkpoint) == clock.now

    app.state.index_sync.index.close()  # the process dies; the index and checkpoint stay on disk
    clock.advance(minutes=1)
    added = uuid.UUID((await create_job(client, tenant, profile, title="Curlew Engineer"))["id"])
    await _act(client, tenant, str(added), "open")
    await _act(client, tenant, str(closed), "close")
    await _relay_only(app)

    index = TantivySearchIndex(settings.search_index_path)
    try:
        assert index.checkpoint() == checkpoint
        assert sorted(await _tantivy_ids(index)) == sorted([untouched, closed])  # what was there at the crash
        sync = IndexSync(sessionmaker, index)
        assert await sync.sync_once() == 2  # the two changes made while down, not a full re-read
        assert sorted(await _tantivy_ids(index)) == sorted([untouched, added])
        assert datetime.fromisoformat(index.checkpoint() or "") == clock.now
        assert await sync.sync_once() == 0
    finally:
        index.close()


async def test_rebuild_recreates_the_index_from_the_projection(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    index: TantivySearchIndex = app.state.search_index
    profile = (await fork_profile(client, tenant))["id"]
    live = uuid.UUID((await open_job(client, app, tenant, profile, title="Dunlin Engineer"))["id"])
    closed = (await open_job(client, app, tenant, profile))["id"]
    await _act(client, tenant, closed, "close")
    await deliver(app)

    # Damage the index: lose the live posting and gain one the projection never had.
    row = await _row(sessionmaker, live)
    assert row is not None
    assert row.document is not None
    stray = copy.deepcopy(row.document)
    stray["id"] = str(uuid.uuid4())
    await index.delete([live])
    await index.upsert([search_document(stray)])
    assert await _tantivy_ids(index) == [uuid.UUID(stray["id"])]

    assert await app.state.index_sync.rebuild() == 2  # every projection row, tombstones included
    assert await _tantivy_ids(index) == [live]
    assert await _tantivy_ids(index, "dunlin") == [live]
    assert index.checkpoint()
    assert await app.state.index_sync.sync_once() == 0


async def test_the_database_backend_answers_searches_like_tantivy(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    other_tenant: Tenant,
    settings: Settings,
    clock: FrozenClock,
) -> None:
    profile = (await fork_profile(client, tenant))["id"]
    await open_job(client, app, tenant, profile)
    clock.advance(minutes=1)
    await open_job(
        client,
        app,
        tenant,
        profile,
        level="senior",
        work_arrangement="remote",
        locations=[],
        remote_countries=["PT"],
        salary={"min": 60_000, "max": 90_000, "currency": "EUR"},
        department="Platform",
    )
    clock.advance(minutes=1)
    await open_job(client, app, tenant, profile, level="mid", salary=None, title="Redshank Engineer")
    current = await client.get("/v1/job-settings", headers=other_tenant.headers)
    response = await client.patch(
        "/v1/job-settings",
        headers={**other_tenant.headers, "If-Match": current.headers["etag"]},
        json={"listed": False},
    )
    assert response.status_code == 200, response.text
    clock.advance(minutes=1)
    await open_job(client, app, other_tenant)

    searches: list[tuple[str, dict[str, Any]]] = [
        ("/v1/board/postings", {}),
        ("/v1/board/postings", {"q": "engineer"}),
        ("/v1/board/postings", {"q": "redshank"}),
        ("/v1/board/postings", {"q": "no-such-word-anywhere"}),
        ("/v1/board/postings", {"level": ["lead", "mid"]}),
        ("/v1/board/postings", {"work_arrangement": "remote", "skills": "Postgres"}),
        ("/v1/board/postings", {"location": "Berlin, DE"}),
        ("/v1/board/postings", {"salary_at_least": 100_000}),
        ("/v1/board/postings", {"salary": "50000-100000"}),
        ("/v1/board/postings", {"sort": "date"}),
        ("/v1/board/postings", {"sort": "date", "limit": 1}),
    ]
    tantivy_answers = [await _answer(client, path, params) for path, params in searches]
    assert tantivy_answers[0]["total"] == 3

    database_settings = settings.model_copy(update={"search_backend": "database"})
    database_app = create_app(database_settings)
    async with _client(database_app) as database_client:
        assert database_app.state.index_sync is None
        assert isinstance(database_app.state.search_index, DatabaseSearchIndex)
        database_answers = [await _answer(database_client, path, params) for path, params in searches]
    for (path, params), expected, actual in zip(searches, tantivy_answers, database_answers, strict=True):
        assert actual == expected, (path, params)


async def test_the_database_backend_serves_an_organisation_board(
    client: httpx.AsyncClient,
    app: FastAPI,
    tenant: Tenant,
    settings: Settings,
    backend: str,
    request: pytest.FixtureRequest,
) -> None:
    job = (await open_job(client, app, tenant))["id"]
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    database_app = create_app(settings.model_copy(update={"search_backend": "database"}))
    if backend == "sqlite":

        @sa_event.listens_for(database_app.state.engine.sync_engine, "connect")
        def _short_busy_timeout(dbapi_connection: Any, _record: Any) -> None:
            # Runs after the app's own hook: a lock wait fails in one second instead of thirty.
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=1000")
            cursor.close()

    async with _client(database_app) as database_client:
        response = await database_client.get(f"/v1/board/{slug}/postings")
    assert response.status_code == 200, response.text
    assert [item["id"] for item in response.json()["items"]] == [job]


async def _answer(client: httpx.AsyncClient, path: str, params: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    ids = [item["id"] for item in body["items"]]
    # Relevance scores are adapter-specific, so only date order is compared as an order.
    return {
        "ids": ids if params.get("sort") == "date" else sorted(ids),
        "total": body["total"],
        "facets": body["facets"],
        "next_cursor": body["next_cursor"],
    }


@contextlib.asynccontextmanager
async def _client(application: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client over a second app (lifespan included) that shares the test's database."""
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as http:
            yield http
