"""One round trip where one suffices: an authenticated read, once its token's standing is known, runs
the route's own statement and nothing else; on PostgreSQL it runs outside a transaction until its
first write, and from that write on the request is one transaction again
(rolecall.platform.db.create_read_sessionmaker, rolecall.identity.principal_cache).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from rolecall.audit import service as audit
from rolecall.audit.models import AuditEntry
from rolecall.platform.auth import DbSession
from rolecall.platform.db import _plain_read
from rolecall.platform.errors import Conflict
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant
from tests.web.support import counted_statements


async def test_a_cached_read_runs_only_its_own_statement(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.state.principal_cache, "_ttl", 60.0)  # a slow machine must not age it out
    path = f"/v1/users/{tenant.admin_id}"
    assert (
        await client.get(path, headers=tenant.headers)
    ).status_code == 200  # the token's standing is now known
    with counted_statements(app) as sent:
        assert (await client.get(path, headers=tenant.headers)).status_code == 200
    statements = [s for s in sent if not s.startswith("BEGIN")]  # SQLite's, see ADR 0008
    assert len(statements) == 1, statements
    assert "FROM users" in statements[0]


async def _in_transaction(session: Any) -> bool:
    """What the PostgreSQL server told the driver after the last statement: inside a BEGIN block?"""
    raw = await (await session.connection()).get_raw_connection()
    return bool(raw.driver_connection.is_in_transaction())


@pytest.fixture
def probe_routes(app: FastAPI, tenant: Tenant) -> FastAPI:
    async def pure_read(session: DbSession) -> dict[str, bool]:
        await session.execute(text("SELECT 1"))
        return {"in_transaction": await _in_transaction(session)}

    async def read_then_write(session: DbSession) -> dict[str, bool]:
        bind_organisation(session, tenant.organisation_id)
        await session.execute(select(AuditEntry.id).limit(1))
        before = await _in_transaction(session)
        audit.record(session, actor="system:test", action="probe.read", target_type="probe")
        await session.flush()
        return {"before": before, "after": await _in_transaction(session)}

    async def locking_read(session: DbSession) -> dict[str, bool]:
        bind_organisation(session, tenant.organisation_id)
        await session.execute(select(AuditEntry.id).limit(1).with_for_update())
        return {"in_transaction": await _in_transaction(session)}

    async def two_writes_then_fail(session: DbSession) -> None:
        bind_organisation(session, tenant.organisation_id)
        audit.record(session, actor="system:test", action="probe.first", target_type="probe")
        await session.flush()
        audit.record(session, actor="system:test", action="probe.second", target_type="probe")
        await session.flush()
        raise Conflict("the request fails after both writes")

    for path, route in {
        "/v1/test-pure-read": pure_read,
        "/v1/test-read-then-write": read_then_write,
        "/v1/test-locking-read": locking_read,
        "/v1/test-two-writes-then-fail": two_writes_then_fail,
    }.items():
        app.add_api_route(path, route, methods=["GET"])
    return app


async def test_a_get_reads_outside_a_transaction_until_it_writes(
    probe_routes: FastAPI, client: httpx.AsyncClient, backend: str
) -> None:
    if backend != "postgresql":
        pytest.skip("SQLite keeps every request in its transaction")
    assert (await client.get("/v1/test-pure-read")).json() == {"in_transaction": False}
    assert (await client.get("/v1/test-read-then-write")).json() == {"before": False, "after": True}
    assert (await client.get("/v1/test-locking-read")).json() == {"in_transaction": True}


async def test_the_writes_of_a_failing_get_are_rolled_back_together(
    probe_routes: FastAPI, client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    assert (await client.get("/v1/test-two-writes-then-fail")).status_code == 409
    async with app.state.sessionmaker() as session:
        bind_organisation(session, tenant.organisation_id)
        written = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action.in_(["probe.first", "probe.second"]))
        )
    assert written == 0


@pytest.mark.parametrize(
    ("sql", "plain"),
    [
        ("SELECT users.id FROM users WHERE users.id = $1", True),
        ("  select 1", True),
        ("SELECT id FROM candidates WHERE id = $1 FOR UPDATE", False),
        ("SELECT id FROM jobs FOR NO KEY UPDATE SKIP LOCKED", False),
        ("SELECT id FROM jobs FOR SHARE", False),
        ("SELECT pg_advisory_xact_lock(42)", False),
        ("INSERT INTO audit_log (id) VALUES ($1)", False),
        ("WITH moved AS (DELETE FROM outbox RETURNING id) SELECT id FROM moved", False),
        ("SAVEPOINT sa_savepoint_1", False),
    ],
)
def test_what_counts_as_a_plain_read(sql: str, plain: bool) -> None:
    assert _plain_read(sql) is plain


async def test_a_connection_the_server_dropped_costs_one_request_then_the_pool_recovers(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, backend: str
) -> None:
    """Connections are not pinged on checkout (a round trip per request). The price: when the
    server drops them (a restart, a failover, an idle timeout), the request that finds out gets a
    503 with Retry-After, the pool replaces every connection older than that moment, and the next
    request is served."""
    if backend != "postgresql":
        pytest.skip("SQLite opens a connection per unit of work")
    path = f"/v1/users/{tenant.admin_id}"
    assert (await client.get(path, headers=tenant.headers)).status_code == 200
    killer = create_async_engine(app.state.settings.database_url, poolclass=NullPool)
    try:
        async with killer.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await killer.dispose()
    dropped = await client.get(path, headers=tenant.headers)
    assert dropped.status_code == 503, dropped.text
    assert "retry-after" in dropped.headers
    assert (await client.get(path, headers=tenant.headers)).status_code == 200
