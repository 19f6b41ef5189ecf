"""The audit trail: who did what to which object, in which request, and nothing personal or secret."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit import service as audit
from rolecall.audit.models import AuditEntry
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants, bind_organisation
from tests.factories import PASSWORD, Tenant, login


async def all_entries(sessionmaker: async_sessionmaker[AsyncSession]) -> list[AuditEntry]:
    async with transaction(sessionmaker) as session:
        stmt = select(AuditEntry).order_by(AuditEntry.id).execution_options(**all_tenants())
        return list((await session.scalars(stmt)).all())


async def entries_for(
    sessionmaker: async_sessionmaker[AsyncSession], action: str, target_id: uuid.UUID | str | None = None
) -> list[AuditEntry]:
    found = [e for e in await all_entries(sessionmaker) if e.action == action]
    if target_id is not None:
        found = [e for e in found if e.target_id == uuid.UUID(str(target_id))]
    return found


async def create_user(
    client: httpx.AsyncClient,
    tenant: Tenant,
    *,
    email: str | None = None,
    full_name: str = "Test Person",
    password: str = PASSWORD,
    roles: tuple[str, ...] = ("recruiter",),
    request_id: str | None = None,
) -> httpx.Response:
    headers = dict(tenant.headers)
    if request_id:
        headers["X-Request-ID"] = request_id
    body = {
        "email": email or f"user-{uuid.uuid4().hex[:8]}@example.com",
        "full_name": full_name,
        "password": password,
        "roles": list(roles),
    }
    response = await client.post("/v1/users", headers=headers, json=body)
    assert response.status_code == 201, response.text
    return response


def assert_recent(entry: AuditEntry) -> None:
    assert entry.occurred_at.tzinfo is not None
    assert abs(utcnow() - entry.occurred_at) < timedelta(minutes=1)


async def test_user_creation_is_audited_with_actor_target_and_request_id(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await create_user(client, tenant, request_id="create-user-1234")
    assert response.headers["x-request-id"] == "create-user-1234"

    [entry] = await entries_for(sessionmaker, "user.created", response.json()["id"])
    assert entry.actor == f"user:{tenant.admin_id}"
    assert entry.organisation_id == tenant.organisation_id
    assert entry.target_type == "user"
    assert entry.request_id == "create-user-1234"
    assert entry.details == {}
    assert_recent(entry)


async def test_generated_request_id_is_the_one_returned_to_the_caller(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    first = await create_user(client, tenant)
    second = await create_user(client, tenant, request_id="not a valid id!")  # replaced, not trusted
    for response in (first, second):
        [entry] = await entries_for(sessionmaker, "user.created", response.json()["id"])
        assert entry.request_id == response.headers["x-request-id"]
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
    assert second.headers["x-request-id"] != "not a valid id!"


async def test_user_update_records_changed_field_names_not_values(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    created = await create_user(client, tenant)
    user_id = created.json()["id"]
    canary_name = f"Canaryname {uuid.uuid4().hex}"
    canary_password = f"canary-password-{uuid.uuid4().hex}"
    response = await client.patch(
        f"/v1/users/{user_id}",
        headers={**tenant.headers, "If-Match": created.headers["etag"], "X-Request-ID": "patch-1"},
        json={"full_name": canary_name, "password": canary_password, "roles": ["hiring_manager"]},
    )
    assert response.status_code == 200, response.text

    [entry] = await entries_for(sessionmaker, "user.updated", user_id)
    assert entry.actor == f"user:{tenant.admin_id}"
    assert entry.organisation_id == tenant.organisation_id
    assert entry.target_type == "user"
    assert entry.request_id == "patch-1"
    assert entry.details == {"changed_fields": ["full_name", "password", "roles"]}
    assert canary_name not in json.dumps(entry.details)
    assert canary_password not in json.dumps(entry.details)
    assert_recent(entry)


async def test_login_and_revocation_are_audited(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(
        "/v1/oauth/token",
        data={"grant_type": "password", "username": tenant.admin_email, "password": PASSWORD},
        headers={"X-Request-ID": "login-42"},
    )
    assert response.status_code == 200
    tokens = response.json()
    logins = [e for e in await entries_for(sessionmaker, "auth.login") if e.request_id == "login-42"]
    assert len(logins) == 1
    login_entry = logins[0]
    assert login_entry.actor == f"user:{tenant.admin_id}"
    assert login_entry.organisation_id == tenant.organisation_id
    assert login_entry.target_type == "auth_session"
    assert login_entry.target_id is not None
    assert_recent(login_entry)

    revoke = await client.post(
        "/v1/oauth/revoke",
        data={"token": tokens["refresh_token"]},
        headers={"X-Request-ID": "revoke-refresh"},
    )
    assert revoke.status_code == 200
    [by_refresh] = [
        e for e in await entries_for(sessionmaker, "auth.revoked") if e.request_id == "revoke-refresh"
    ]
    assert by_refresh.organisation_id == tenant.organisation_id
    assert by_refresh.target_type == "auth_session"
    assert by_refresh.target_id == login_entry.target_id  # the login that was ended

    revoke = await client.post(
        "/v1/oauth/revoke", data={"token": tenant.token}, headers={"X-Request-ID": "revoke-access"}
    )
    assert revoke.status_code == 200
    [by_access] = [
        e for e in await entries_for(sessionmaker, "auth.revoked") if e.request_id == "revoke-access"
    ]
    assert by_access.actor == f"user:{tenant.admin_id}"
    assert by_access.organisation_id == tenant.organisation_id
    assert by_access.target_type == "access_token"


async def test_audit_entries_never_hold_secrets_or_personal_data(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    email = f"canary-{uuid.uuid4().hex[:10]}@example.com"
    name = f"Canary {uuid.uuid4().hex}"
    password = f"canary-pw-{uuid.uuid4().hex}"
    created = await create_user(client, tenant, email=email, full_name=name, password=password)
    tokens = await login(client, email, password)
    bad = await client.post(
        "/v1/oauth/token", data={"grant_type": "password", "username": email, "password": password + "x"}
    )
    assert bad.status_code == 400
    refreshed = await client.post(
        "/v1/oauth/token", data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed.status_code == 200
    new_name = f"Renamed {uuid.uuid4().hex}"
    patched = await client.patch(
        f"/v1/users/{created.json()['id']}",
        headers={**tenant.headers, "If-Match": created.headers["etag"]},
        json={"full_name": new_name},
    )
    assert patched.status_code == 200
    await client.post("/v1/oauth/revoke", data={"token": refreshed.json()["access_token"]})

    entries = await all_entries(sessionmaker)
    columns = [c.key for c in AuditEntry.__table__.columns]
    dumped = json.dumps([{c: getattr(e, c) for c in columns} for e in entries], default=str)
    canaries = [
        email,
        email.split("@")[0],
        name,
        new_name,
        password,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed.json()["access_token"],
        refreshed.json()["refresh_token"],
    ]
    assert len(entries) >= 6
    for canary in canaries:
        assert canary not in dumped


@pytest.mark.parametrize("key", ["password", "token", "email", "name", "full_name", "secret", "phone"])
async def test_recording_personal_data_or_secrets_is_refused(
    key: str, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        with pytest.raises(ValueError, match="must not carry"):
            audit.record(session, actor="system:test", action="test.leak", target_type="user", **{key: "x"})
    assert await entries_for(sessionmaker, "test.leak") == []


async def list_audit(client: httpx.AsyncClient, tenant: Tenant, **params: Any) -> httpx.Response:
    return await client.get("/v1/audit-events", headers=tenant.headers, params=params)


async def test_reading_the_audit_log_needs_audit_read(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    email = "reader@example.com"
    await create_user(client, tenant, email=email, roles=("recruiter", "hiring_manager"))
    recruiter = (await login(client, email))["access_token"]
    response = await client.get("/v1/audit-events", headers={"Authorization": f"Bearer {recruiter}"})
    assert response.status_code == 403
    assert "audit:read" in response.json()["detail"]
    assert (await client.get("/v1/audit-events")).status_code == 401
    assert (await list_audit(client, tenant)).status_code == 200


async def test_audit_log_lists_paginates_and_filters_within_the_callers_organisation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    created_ids = [(await create_user(client, tenant)).json()["id"] for _ in range(3)]
    await create_user(client, other_tenant)

    mine = [e for e in await all_entries(sessionmaker) if e.organisation_id == tenant.organisation_id]
    theirs = {
        str(e.id)
        for e in await all_entries(sessionmaker)
        if e.organisation_id == other_tenant.organisation_id
    }
    assert len(mine) >= 6
    assert theirs

    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        response = await list_audit(client, tenant, **params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= 2
        seen.extend(page["items"])
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    # The listing is a snapshot of this organisation's entries in order, each exactly once.
    assert [item["id"] for item in seen] == [str(e.id) for e in mine]
    assert pages == -(-len(mine) // 2)
    assert not theirs & {item["id"] for item in seen}
    first = seen[0]
    assert set(first) == {
        "id",
        "occurred_at",
        "actor",
        "action",
        "target_type",
        "target_id",
        "request_id",
        "details",
    }

    filtered = (await list_audit(client, tenant, action="user.created")).json()
    assert {item["action"] for item in filtered["items"]} == {"user.created"}
    assert {item["target_id"] for item in filtered["items"]} == {str(tenant.admin_id), *created_ids}
    assert (await list_audit(client, tenant, action="no.such.action")).json()["items"] == []

    bad = await list_audit(client, tenant, cursor="not-a-cursor")
    assert bad.status_code == 400


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET actor = 'user:forged'",
        "UPDATE audit_log SET details = '{}' WHERE action = 'user.created'",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE action = 'organisation.created'",
    ],
)
async def test_the_database_refuses_to_change_or_delete_audit_entries(
    statement: str, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    before = [(e.id, e.actor, e.action, e.details) for e in await all_entries(sessionmaker)]
    assert before
    with pytest.raises(DBAPIError, match="append-only"):
        async with transaction(sessionmaker) as session:
            await session.execute(text(statement))
    after = [(e.id, e.actor, e.action, e.details) for e in await all_entries(sessionmaker)]
    assert after == before
