"""Expired credentials and stale throttle counters are purged, and nothing that still matters is."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.identity.housekeeping import purge_expired_credentials
from rolecall.platform.db import transaction
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant
from tests.identity.support import password_grant, refresh, revoke

DAY = 86_400


async def purge(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with transaction(sessionmaker) as session:
        return await purge_expired_credentials(session)


async def test_purge_removes_only_what_has_expired(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
) -> None:
    assert (await revoke(client, tenant.token)).status_code == 200
    assert (await password_grant(client, tenant.admin_email, "wrong-password!")).status_code == 400
    nothing = {
        "revoked_access_tokens": 0,
        "refresh_tokens": 0,
        "auth_sessions": 0,
        "login_throttles": 0,
        "mfa_challenges": 0,
    }
    assert await purge(sessionmaker) == nothing

    # Past the access token's lifetime: only the deny-list entry can go.
    clock.advance(seconds=settings.access_token_ttl_seconds + 1)
    assert await purge(sessionmaker) == {**nothing, "revoked_access_tokens": 1}

    # A day on, the throttle counters are stale.
    clock.advance(seconds=DAY)
    assert await purge(sessionmaker) == {**nothing, "login_throttles": 2}
    live = (await password_grant(client, tenant.admin_email, PASSWORD)).json()

    # Past the first login's lifetime: it and its refresh token go, the later login stays.
    clock.advance(seconds=settings.refresh_token_ttl_seconds - DAY - settings.access_token_ttl_seconds)
    assert await purge(sessionmaker) == {**nothing, "refresh_tokens": 1, "auth_sessions": 1}
    assert (await refresh(client, live["refresh_token"])).status_code == 200
