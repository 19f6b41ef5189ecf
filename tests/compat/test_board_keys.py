"""Board keys: shown once, stored hashed, rotated and revoked by an admin only."""

from __future__ import annotations

import base64

import httpx
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.compat.models import BoardKey
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import all_tenants
from tests.factories import Tenant, create_user, open_job

KEYS = "/v1/compat/board-keys"


async def can_apply(client: httpx.AsyncClient, slug: str, job_number: int, key: str) -> int:
    auth = {"Authorization": "Basic " + base64.b64encode(f"{key}:".encode()).decode()}
    body = {"first_name": "Key", "last_name": "Test", "email": "key-test@example.com"}
    # Consent is missing on purpose: a good key gets as far as validation (400), a bad one 401.
    response = await client.post(
        f"/compat/greenhouse/v1/boards/{slug}/jobs/{job_number}", json=body, headers=auth
    )
    return response.status_code


async def test_keys_are_shown_once_hashed_rotated_and_revoked(
    client: httpx.AsyncClient, app: FastAPI, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    await open_job(client, app, tenant)
    slug = (await client.get("/v1/job-settings", headers=tenant.headers)).json()["board_slug"]
    number = (await client.get(f"/compat/greenhouse/v1/boards/{slug}/jobs")).json()["jobs"][0]["id"]

    created = await client.post(KEYS, headers=tenant.headers, json={"label": "careers site"})
    assert created.status_code == 201, created.text
    assert created.headers["cache-control"] == "no-store"
    key, key_id = created.json()["key"], created.json()["id"]
    assert key.startswith("rcbk_")
    assert created.json()["prefix"] in key
    listed = await client.get(KEYS, headers=tenant.headers)
    assert [k["id"] for k in listed.json()] == [key_id]
    assert "key" not in listed.json()[0]
    async with transaction(sessionmaker) as session:
        row = (await session.scalars(select(BoardKey).execution_options(**all_tenants()))).one()
        assert key not in row.secret_hash
        assert row.secret_hash.startswith("$argon2id$")

    assert await can_apply(client, slug, number, key) == 400
    assert (await client.get(f"{KEYS}/{key_id}", headers=tenant.headers)).json()["last_used_at"] is not None

    rotated = await client.post(f"{KEYS}/{key_id}/rotate", headers=tenant.headers)
    assert rotated.status_code == 200, rotated.text
    new_key = rotated.json()["key"]
    assert new_key != key
    assert rotated.json()["id"] == key_id
    assert await can_apply(client, slug, number, key) == 401
    assert await can_apply(client, slug, number, new_key) == 400

    revoked = await client.delete(f"{KEYS}/{key_id}", headers=tenant.headers)
    assert revoked.status_code == 204
    assert await can_apply(client, slug, number, new_key) == 401
    assert (await client.get(f"{KEYS}/{key_id}", headers=tenant.headers)).json()["revoked_at"] is not None
    assert (await client.post(f"{KEYS}/{key_id}/rotate", headers=tenant.headers)).status_code == 404

    audit = await client.get("/v1/audit-events", headers=tenant.headers, params={"limit": 200})
    actions = {entry["action"] for entry in audit.json()["items"]}
    assert {"board_key.created", "board_key.rotated", "board_key.revoked"} <= actions


async def test_only_admins_manage_keys(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _user_id, token = await create_user(client, tenant, "recruiter")
    recruiter = {"Authorization": f"Bearer {token}"}
    assert (await client.post(KEYS, headers=recruiter, json={})).status_code == 403
    assert (await client.get(KEYS, headers=recruiter)).status_code == 403
    assert (await client.get(KEYS)).status_code == 401
