"""Real databases for the test run: a migrated SQLite file and a throwaway PostgreSQL database.

PostgreSQL comes from ``ROLECALL_TEST_POSTGRES_URL`` (default: the local server on 127.0.0.1:5432).
If no server answers, a private one is started with the ``pgserver`` package — except in CI
(``CI=true``), where a missing server is an error, never a silent downgrade to SQLite only.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from rolecall.models import Base
from rolecall.platform import schema
from rolecall.platform.db import create_engine

T = TypeVar("T")
DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
_private_server: object | None = None


async def _reachable(url: str) -> bool:
    try:
        connection = await asyncpg.connect(url, timeout=3)
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return False
    await connection.close()
    return True


def _run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code that may itself be inside an event loop."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def postgres_server_url() -> str:
    """A superuser URL (libpq form) for a running PostgreSQL server."""
    global _private_server
    url = os.environ.get("ROLECALL_TEST_POSTGRES_URL", DEFAULT_SERVER)
    if _run(_reachable(url)):
        return url
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"CI needs the PostgreSQL server at {url}; it did not answer")
    import pgserver

    # pgserver logs from an atexit hook, after pytest has closed the streams our handlers point at.
    pg_log = logging.getLogger("pgserver")
    pg_log.propagate = False
    pg_log.addHandler(logging.NullHandler())
    data_dir = Path(tempfile.gettempdir()) / "rolecall-pgserver"
    _private_server = pgserver.get_server(str(data_dir), cleanup_mode="stop")
    uri: str = _private_server.get_uri()  # type: ignore[attr-defined]
    return uri


def _async_url(libpq_url: str, database: str) -> str:
    return (
        make_url(libpq_url)
        .set(drivername="postgresql+asyncpg", database=database)
        .render_as_string(hide_password=False)
    )


async def create_postgres_database(server_url: str, name: str) -> str:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return _async_url(server_url, name)


async def drop_postgres_database(server_url: str, name: str) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def unique_name(prefix: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"{prefix}_{worker}_{uuid.uuid4().hex[:8]}"


class MigratedSQLite:
    """One migrated template file; each test gets a byte copy, which is faster than re-migrating."""

    def __init__(self, directory: Path) -> None:
        self.template = directory / "template.db"
        schema.upgrade(f"sqlite+aiosqlite:///{self.template}")

    def fresh(self, directory: Path) -> str:
        target = directory / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, target)
        return f"sqlite+aiosqlite:///{target}"


class MigratedPostgres:
    """One migrated database per test process; tables are truncated between tests."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = unique_name("rolecall_test")
        self.url = _run(create_postgres_database(server_url, self.name))
        schema.upgrade(self.url)
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        self._truncate = f"TRUNCATE {tables} RESTART IDENTITY CASCADE"

    async def reset(self) -> None:
        engine = create_engine(self.url)
        try:
            async with engine.begin() as connection:
                # audit_log refuses TRUNCATE by trigger (migration 0016); the test superuser turns
                # ordinary triggers off for this one transaction to empty it between tests.
                await connection.execute(text("SET LOCAL session_replication_role = replica"))
                await connection.execute(text(self._truncate))
        finally:
            await engine.dispose()

    def drop(self) -> None:
        _run(drop_postgres_database(self.server_url, self.name))
