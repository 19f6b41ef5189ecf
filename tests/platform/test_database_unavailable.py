"""While the database cannot be reached, requests get a 503 with Retry-After, not a 500."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform.auth import DbSession
from rolecall.platform.db import create_engine, create_sessionmaker
from rolecall.platform.errors import PROBLEM_BASE, RETRY_AFTER_SECONDS
from tests.factories import Tenant

# Nothing listens on port 1, and SQLite cannot open a directory as its database file.
UNREACHABLE = {
    "postgresql": "postgresql+asyncpg://rolecall:secret@127.0.0.1:1/rolecall",
    "sqlite": "sqlite+aiosqlite:///{directory}",
}


@pytest.fixture(params=sorted(UNREACHABLE))
async def down(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """An app whose database is down. The lifespan (which loads signing keys) needs the database,
    so it is not run: this is the API process after the database went away."""
    url = UNREACHABLE[request.param].format(directory=tmp_path)
    settings = Settings(
        environment="test",
        database_url=url,
        embedded_worker=False,
        issuer="http://rolecall.test",
        public_base_url="http://rolecall.test",
        search_index_path=tmp_path / "search-index",
        file_store_path=tmp_path / "files",
        mail_outbox_dir=tmp_path / "mail",
        search_sync_seconds=0,
        gc_freeze=False,
    )
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
        yield client
    await app.state.engine.dispose()


def _assert_unavailable(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == str(RETRY_AFTER_SECONDS)


async def test_an_api_route_that_needs_the_database_answers_503(down: httpx.AsyncClient) -> None:
    for path in ("/v1/board/some-board/postings", "/v1/board/some-board/feed.xml"):
        response = await down.get(path)
        _assert_unavailable(response)
        assert response.headers["content-type"] == "application/problem+json"
        body = response.json()
        assert body["type"] == PROBLEM_BASE + "service-unavailable"
        assert body["status"] == 503
        assert "retry" in body["detail"]
    token = await down.post(
        "/v1/oauth/token", data={"grant_type": "password", "username": "a@example.test", "password": "x" * 12}
    )
    _assert_unavailable(token)


async def test_a_page_that_needs_the_database_answers_a_503_page(down: httpx.AsyncClient) -> None:
    response = await down.get("/careers/some-board")
    _assert_unavailable(response)
    assert response.headers["content-type"].startswith("text/html")


async def test_readiness_still_says_why(down: httpx.AsyncClient) -> None:
    assert (await down.get("/readyz")).status_code == 503


async def test_a_pool_timeout_is_a_503(app: FastAPI, client: httpx.AsyncClient) -> None:
    """No connection free within the pool timeout: SQLAlchemy's TimeoutError is mapped too."""
    engine = app.state.engine
    await engine.dispose()  # a fresh pool with no idle connection: the next checkout must wait

    def exhausted() -> object:
        raise sa_exc.TimeoutError("QueuePool limit of size 10 overflow 10 reached, connection timed out")

    engine.sync_engine.pool._do_get = exhausted  # what QueuePool raises once its timeout passes
    try:
        response = await client.get("/v1/board/some-board/postings")
    finally:
        await engine.dispose()  # the patched pool is thrown away; the app's teardown gets a clean one
    _assert_unavailable(response)


async def test_a_bug_that_shares_the_class_is_still_a_500(app: FastAPI, client: httpx.AsyncClient) -> None:
    """SQLite calls a missing table an OperationalError too; that is a bug to see, not an outage."""

    async def broken(session: DbSession) -> None:
        await session.execute(text("SELECT * FROM no_such_table"))

    app.add_api_route("/v1/test-broken", broken, methods=["GET"])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as raw:
        response = await raw.get("/v1/test-broken")
    assert response.status_code == 500, response.text
    assert "retry-after" not in response.headers


async def test_the_database_going_away_under_a_running_app(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, tmp_path: Path
) -> None:
    """Signed in while the database was up; then it goes away. Reads, and writes carrying an
    Idempotency-Key (whose middleware needs the database before the route runs), get a 503."""
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path}")  # a directory: cannot be opened
    app.state.sessionmaker = app.state.read_sessionmaker = create_sessionmaker(broken)
    try:
        listed = await client.get("/v1/jobs", headers=tenant.headers)
        _assert_unavailable(listed)
        created = await client.post(
            "/v1/candidates",
            headers={**tenant.headers, "Idempotency-Key": "down-1"},
            json={"full_name": "Ada Lovelace", "email": "ada@example.test"},
        )
        _assert_unavailable(created)
        assert created.headers["content-type"] == "application/problem+json"
    finally:
        await broken.dispose()
