"""Throwaway, empty databases for tests that migrate, downgrade or break a schema on purpose.

The shared per-test databases (``db_url``) must stay at head; anything that moves a schema around
gets one of these instead: a temporary SQLite file, or a PostgreSQL database dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

from tests.databases import create_postgres_database, drop_postgres_database, unique_name


@asynccontextmanager
async def scratch_database(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[str]:
    """Yield the async URL of a new, empty database on ``backend``."""
    if backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / f'scratch-{uuid.uuid4().hex}.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    name = unique_name("rolecall_scratch")
    url = await create_postgres_database(server, name)
    try:
        yield url
    finally:
        await drop_postgres_database(server, name)
