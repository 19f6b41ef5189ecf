"""What an access token stands for is reused for at most a second, and never past a revocation made
through the same process (rolecall.identity.principal_cache).

"Another process" is a second app on the same database with its own cache; the change it must
notice is written with a plain Core statement, as another replica, the CLI or an operator would
write it, so no event of this process announces it.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from sqlalchemy import update

from rolecall.app import create_app
from rolecall.config import Settings
from rolecall.identity.models import AuthSession, User
from rolecall.identity.principal_cache import PrincipalCache, Standing
from rolecall.platform.clock import utcnow
from tests.factories import Tenant, login


@pytest.fixture
async def other_process(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A second API process on the same database: its own app, key ring and principal cache."""
    application = create_app(settings)
    async with LifespanManager(application):
        transport = httpx.ASGITransport(app=application, client=("203.0.113.9", 51002))
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as http:
            yield http


async def _revoke_behind_its_back(app: FastAPI, tenant: Tenant) -> None:
    """Revoke every sign-in of the tenant's admin the way another process would: a Core statement
    on the engine, outside any session of this process."""
    async with app.state.engine.begin() as connection:
        await connection.execute(
            update(AuthSession.__table__)
            .where(AuthSession.__table__.c.user_id == tenant.admin_id)
            .values(revoked_at=utcnow(), revoked_reason="test")
        )


async def _refused_within(client: httpx.AsyncClient, tenant: Tenant, seconds: float) -> float:
    started = time.monotonic()
    while time.monotonic() - started < seconds + 0.5:
        response = await client.get(f"/v1/users/{tenant.admin_id}", headers=tenant.headers)
        if response.status_code == 401:
            return time.monotonic() - started
        assert response.status_code == 200, response.text
        await asyncio.sleep(0.05)
    raise AssertionError(f"still accepted {seconds + 0.5} s after the revocation")


async def test_a_revocation_made_elsewhere_is_obeyed_within_a_second_on_every_process(
    app: FastAPI, client: httpx.AsyncClient, other_process: httpx.AsyncClient, tenant: Tenant
) -> None:
    path = f"/v1/users/{tenant.admin_id}"
    for process in (client, other_process):  # both processes now hold the token's standing
        assert (await process.get(path, headers=tenant.headers)).status_code == 200
    await _revoke_behind_its_back(app, tenant)
    waits = [await _refused_within(process, tenant, 1.0) for process in (client, other_process)]
    assert max(waits) <= 1.0 + 0.2, waits


async def test_a_revocation_through_this_process_is_obeyed_on_the_next_request(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    path = f"/v1/users/{tenant.admin_id}"
    assert (await client.get(path, headers=tenant.headers)).status_code == 200
    revoked = await client.post("/v1/oauth/revoke", data={"token": tenant.refresh_token})
    assert revoked.status_code == 200, revoked.text
    assert (await client.get(path, headers=tenant.headers)).status_code == 401


async def test_a_deactivated_user_is_refused_on_the_next_request(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={
            "email": "rhea@example.com",
            "full_name": "Rhea",
            "password": "long-enough-password",
            "roles": ["recruiter"],
        },
    )
    assert created.status_code == 201, created.text
    recruiter = await login(client, "rhea@example.com", "long-enough-password")
    headers = {"Authorization": f"Bearer {recruiter['access_token']}"}
    assert (await client.get("/v1/jobs", headers=headers)).status_code == 200
    user = await client.get(f"/v1/users/{created.json()['id']}", headers=tenant.headers)
    changed = await client.patch(
        f"/v1/users/{created.json()['id']}",
        headers={**tenant.headers, "If-Match": user.headers["ETag"]},
        json={"is_active": False},
    )
    assert changed.status_code == 200, changed.text
    assert (await client.get("/v1/jobs", headers=headers)).status_code == 401


async def test_roles_taken_away_elsewhere_narrow_the_scopes_within_a_second(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    path = f"/v1/users/{tenant.admin_id}"
    assert (await client.get(path, headers=tenant.headers)).status_code == 200
    async with app.state.engine.begin() as connection:
        await connection.execute(
            update(User.__table__).where(User.__table__.c.id == tenant.admin_id).values(roles=["interviewer"])
        )
    await asyncio.sleep(1.05)
    assert (await client.get(path, headers=tenant.headers)).status_code == 403


async def test_with_the_cache_off_a_revocation_elsewhere_is_obeyed_at_once(
    settings: Settings, tenant: Tenant, app: FastAPI
) -> None:
    uncached = create_app(settings.model_copy(update={"auth_cache_seconds": 0.0}))
    async with LifespanManager(uncached):
        transport = httpx.ASGITransport(app=uncached)
        async with httpx.AsyncClient(transport=transport, base_url="http://rolecall.test") as process:
            path = f"/v1/users/{tenant.admin_id}"
            assert (await process.get(path, headers=tenant.headers)).status_code == 200
            await _revoke_behind_its_back(app, tenant)
            assert (await process.get(path, headers=tenant.headers)).status_code == 401


def _standing() -> Standing:
    return Standing("user", uuid.uuid4(), uuid.uuid4(), frozenset({"jobs:read"}), frozenset(), None, True)


def test_an_answer_read_before_a_local_change_committed_is_not_kept() -> None:
    """A request that looked the token up while another request's revocation committed must not
    keep the old answer for a second: it is stored under the generation read before the lookup."""
    from rolecall.identity import principal_cache

    cache = PrincipalCache(1.0)
    before = cache.generation()
    principal_cache._Generation.value += 1  # what the other request's commit does
    cache.put("jti-1", _standing(), before)
    assert cache.get("jti-1") is None
    cache.put("jti-2", _standing(), cache.generation())
    assert cache.get("jti-2") is not None


def test_entries_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    cache = PrincipalCache(1.0)
    now = [1000.0]
    monkeypatch.setattr("rolecall.identity.principal_cache.time.monotonic", lambda: now[0])
    cache.put("jti", _standing(), cache.generation())
    now[0] += 0.99
    assert cache.get("jti") is not None
    now[0] += 0.02
    assert cache.get("jti") is None


def test_the_cache_can_be_turned_off() -> None:
    cache = PrincipalCache(0.0)
    cache.put("jti", _standing(), cache.generation())
    assert cache.get("jti") is None


def test_the_setting_never_allows_more_than_a_second() -> None:
    with pytest.raises(ValueError, match="less than or equal to 1"):
        Settings(auth_cache_seconds=5)
