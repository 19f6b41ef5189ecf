"""Shared fixtures: every test that asks for ``db_url`` runs once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.platform.clock import set_clock
from tests import route_cache
from tests.databases import MigratedPostgres, MigratedSQLite, postgres_server_url
from tests.factories import Tenant

route_cache.install()

BACKENDS = ("sqlite", "postgresql")


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> None:
    """Every ``async def`` test runs on asyncio through anyio's plugin, without a marker per test."""
    if inspect.iscoroutinefunction(obj) and collector.funcnamefilter(name):  # type: ignore[attr-defined]
        pytest.mark.anyio(obj)


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> MigratedSQLite:
    return MigratedSQLite(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_server() -> str:
    return postgres_server_url()


@pytest.fixture(scope="session")
def postgres_db(postgres_server: str) -> Iterator[MigratedPostgres]:
    database = MigratedPostgres(postgres_server)
    yield database
    database.drop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
async def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if backend == "sqlite":
        template: MigratedSQLite = request.getfixturevalue("sqlite_template")
        yield template.fresh(tmp_path)
    else:
        postgres: MigratedPostgres = request.getfixturevalue("postgres_db")
        await postgres.reset()
        yield postgres.url


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(
        environment="test",
        database_url=db_url,
        embedded_worker=False,
        log_json=True,
        issuer="http://rolecall.test",
        search_index_path=tmp_path / "search-index",
        file_store_path=tmp_path / "files",
        mail_outbox_dir=tmp_path / "mail",
        search_sync_seconds=0,  # tests sync the index explicitly (see tests.factories.publish)
        public_base_url="http://rolecall.test",
        gc_freeze=False,  # a collection per app start would cost minutes over the suite
    )


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with LifespanManager(application):
        yield application


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as http:
        yield http


@pytest.fixture
async def pages(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client for the web pages: https (so Secure cookies are kept), cookies on."""
    transport = httpx.ASGITransport(app=app, client=("203.0.113.8", 51001))
    async with httpx.AsyncClient(transport=transport, base_url="https://rolecall.test") as http:
        yield http


@pytest.fixture
def sessionmaker(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    maker: async_sessionmaker[AsyncSession] = app.state.sessionmaker
    return maker


class FrozenClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> Iterator[FrozenClock]:
    frozen = FrozenClock(datetime.now(UTC))
    set_clock(frozen)
    yield frozen
    set_clock(None)


@pytest.fixture
async def tenant(client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]) -> Tenant:
    from tests.factories import create_tenant

    return await create_tenant(client, sessionmaker, "Tenant A")


@pytest.fixture
async def other_tenant(client: httpx.AsyncClient, sessionmaker: async_sessionmaker[AsyncSession]) -> Tenant:
    from tests.factories import create_tenant

    return await create_tenant(client, sessionmaker, "Tenant B")
