"""Liveness and readiness, as an orchestrator sees them."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform import schema
from tests.scratch import scratch_database


@asynccontextmanager
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as client:
        yield client


async def test_healthz_is_ok(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_on_a_migrated_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok"}}
    assert response.headers["cache-control"] == "no-store"


async def test_ops_endpoints_need_no_credentials(client: httpx.AsyncClient) -> None:
    for path in ("/healthz", "/readyz", "/metrics"):
        assert (await client.get(path, headers={"Authorization": "Bearer garbage"})).status_code == 200


async def test_readyz_is_not_ready_when_the_schema_is_behind_head(
    backend: str, settings: Settings, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with scratch_database(backend, tmp_path, request) as url:
        schema.upgrade(url)
        application = create_app(settings.model_copy(update={"database_url": url}))
        async with LifespanManager(application), http(application) as client:
            assert (await client.get("/readyz")).status_code == 200

            schema.downgrade(url, "base")
            response = await client.get("/readyz")
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "not ready"
            assert body["checks"]["database"] == "ok"
            assert body["checks"]["migrations"] == f"at None, head is {schema.head_revision()}"
            assert response.headers["cache-control"] == "no-store"
            # Liveness does not depend on the database.
            assert (await client.get("/healthz")).status_code == 200

            schema.upgrade(url)
            assert (await client.get("/readyz")).status_code == 200


def settings_for(url: str) -> Settings:
    # Index and files in a directory of the test's own: never in ./var, the demo's.
    scratch = Path(tempfile.mkdtemp(prefix="rolecall-health-test-"))
    return Settings(
        environment="test",
        database_url=url,
        embedded_worker=False,
        issuer="http://rolecall.test",
        search_index_path=scratch / "search-index",
        file_store_path=scratch / "files",
    )


async def test_readyz_is_not_ready_when_postgresql_is_unreachable() -> None:
    # Nothing listens on port 1; the password must not surface in the answer.
    url = "postgresql+asyncpg://rolecall:hunter2-secret@127.0.0.1:1/rolecall"
    application = create_app(settings_for(url))
    try:
        # No lifespan: start-up itself would need the database.
        async with http(application) as client:
            response = await client.get("/readyz")
            assert response.status_code == 503
            body = response.json()
            assert body["status"] == "not ready"
            assert body["checks"]["database"].startswith("unreachable: ")
            assert "migrations" not in body["checks"]
            assert "hunter2" not in response.text
            assert (await client.get("/healthz")).status_code == 200
    finally:
        await application.state.engine.dispose()


def replace_with_directory(database: Path) -> None:
    """Put a directory where the database file was: SQLite can no longer open it."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    database.mkdir()


async def test_readyz_is_not_ready_when_the_sqlite_file_becomes_unusable(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    async with scratch_database("sqlite", tmp_path, request) as url:
        schema.upgrade(url)
        application = create_app(settings_for(url))
        async with LifespanManager(application), http(application) as client:
            assert (await client.get("/readyz")).status_code == 200
            database = Path(str(make_url(url).database))
            replace_with_directory(database)
            try:
                response = await client.get("/readyz")
                assert response.status_code == 503
                assert response.json()["checks"]["database"].startswith("unreachable: ")
            finally:
                shutil.rmtree(database)


async def test_readiness_probes_do_not_fill_the_log(
    client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    for _ in range(3):
        assert (await client.get("/readyz")).status_code == 200
    out = capsys.readouterr().out.splitlines()
    # The test's own HTTP client logs its requests too; only the server's lines matter here.
    lines = [line for line in out if line.strip() and '"logger": "httpx"' not in line]
    assert len(lines) == 3, lines  # one access line per probe, nothing from the revision check
    assert all('"route": "/readyz"' in line for line in lines)
