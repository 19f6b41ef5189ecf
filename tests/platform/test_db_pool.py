"""The PostgreSQL pool keeps every connection it opens and never opens more than its size.

With an overflow, a burst above the pool size opened connections and closed them again when they
were returned to the full pool, once per request for as long as the burst lasted; the soak test
(bench/soak.md) measured 2,600 new connections in its first four minutes.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from rolecall.platform.db import create_engine


async def test_a_burst_beyond_the_pool_waits_for_the_same_connections(db_url: str) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite opens a connection per unit of work")
    engine = create_engine(db_url, pool_size=3)
    try:

        async def backend_pid() -> int:
            async with engine.connect() as connection:
                pid = (await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one()
                await asyncio.sleep(0.02)  # hold it, so the burst really overlaps
                return int(pid)

        first = set(await asyncio.gather(*(backend_pid() for _ in range(12))))
        second = set(await asyncio.gather(*(backend_pid() for _ in range(12))))

        assert len(first) <= 3  # no overflow connection was opened for the burst
        assert second == first  # and none was closed after it: the next burst reuses them
        assert engine.sync_engine.pool.size() == 3
    finally:
        await engine.dispose()
