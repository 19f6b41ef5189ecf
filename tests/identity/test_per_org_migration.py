"""Migration 0014 on a database with people in it: no account, login or audit entry is lost.

On SQLite the users table is rebuilt to change its unique constraint; with foreign keys on, the
rebuild would delete every login by cascade, so the migration turns them off for the rebuild.
"""

from __future__ import annotations

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit.models import AuditEntry
from rolecall.identity.models import AuthSession, RefreshToken, User
from rolecall.platform import schema
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant
from tests.identity.support import bearer, refresh


async def _counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with transaction(sessionmaker) as session:
        return {
            model.__tablename__: int(
                await session.scalar(
                    select(func.count()).select_from(model).execution_options(**all_tenants())
                )
                or 0
            )
            for model in (User, AuthSession, RefreshToken, AuditEntry)
        }


async def test_going_down_to_0013_and_back_keeps_accounts_and_logins(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    db_url: str,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    before = await _counts(sessionmaker)
    assert before["auth_sessions"] >= 2

    schema.downgrade(db_url, "0013")
    schema.upgrade(db_url)

    assert await _counts(sessionmaker) == before
    assert (await client.get("/v1/me", headers=bearer(tenant.token))).status_code == 200
    assert (await refresh(client, other_tenant.refresh_token)).status_code == 200
