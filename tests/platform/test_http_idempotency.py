"""Idempotency-Key on POST: replay a finished request, refuse a reused or in-flight key."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.auth import get_session
from rolecall.platform.db import transaction
from rolecall.platform.idempotency import MAX_KEY_LENGTH, PENDING_TIMEOUT
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant, create_user, login
from tests.platform.problems import assert_problem, user_ids

REPLAYED = "idempotent-replayed"


def new_user(prefix: str = "idem") -> dict[str, Any]:
    return {
        "email": f"{prefix}-{uuid.uuid4().hex[:8]}@example.com",
        "full_name": "Idem Potent",
        "password": PASSWORD,
        "roles": ["recruiter"],
    }


async def create(
    client: httpx.AsyncClient, headers: dict[str, str], key: str, body: dict[str, Any]
) -> httpx.Response:
    return await client.post("/v1/users", headers={**headers, "Idempotency-Key": key}, json=body)


async def test_a_retry_replays_the_first_response_and_creates_nothing_more(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    key = str(uuid.uuid4())
    body = new_user()

    first = await create(client, tenant.headers, key, body)
    second = await create(client, tenant.headers, key, body)

    assert first.status_code == 201, first.text
    assert REPLAYED not in first.headers
    assert second.status_code == 201
    assert second.headers[REPLAYED] == "true"
    assert second.content == first.content
    for header in ("location", "etag", "content-type", "cache-control"):
        assert second.headers[header] == first.headers[header], header
    assert "x-request-id" in second.headers
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    listed = await user_ids(client, tenant.headers)
    assert listed == [str(tenant.admin_id), first.json()["id"]]


async def test_the_same_key_with_a_different_request_is_a_422_problem(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    key = str(uuid.uuid4())
    assert (await create(client, tenant.headers, key, new_user())).status_code == 201
    before = await user_ids(client, tenant.headers)

    other_body = await create(client, tenant.headers, key, new_user())
    other_route = await client.post(
        "/v1/api-clients",
        headers={**tenant.headers, "Idempotency-Key": key},
        json={"name": "Sync", "scopes": ["users:read"]},
    )

    assert_problem(other_body, 422, "idempotency-key-reused")
    assert_problem(other_route, 422, "idempotency-key-reused")
    assert await user_ids(client, tenant.headers) == before
    clients = await client.get("/v1/api-clients", headers=tenant.headers)
    assert clients.json()["items"] == []


async def test_a_duplicate_sent_while_the_first_is_in_flight_is_a_409_problem(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """The first request is held inside the real POST /v1/users until the duplicate has been answered."""
    entered, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def held_session(request: Request) -> AsyncIterator[AsyncSession]:
        nonlocal calls
        calls += 1
        if calls == 1:
            entered.set()
            await asyncio.wait_for(release.wait(), timeout=10)
        async with transaction(request.app.state.sessionmaker) as session:
            yield session

    app.dependency_overrides[get_session] = held_session
    key, body = str(uuid.uuid4()), new_user()

    async def duplicate() -> httpx.Response:
        await asyncio.wait_for(entered.wait(), timeout=10)
        try:
            return await create(client, tenant.headers, key, body)
        finally:
            release.set()

    try:
        first, second = await asyncio.gather(create(client, tenant.headers, key, body), duplicate())
    finally:
        app.dependency_overrides.clear()

    assert first.status_code == 201, first.text
    problem = assert_problem(second, 409, "idempotency-in-progress")
    assert "retry" in problem["detail"]
    assert calls == 1, "the duplicate must not reach the route"
    # Once the first has finished, the same retry is a replay.
    third = await create(client, tenant.headers, key, body)
    assert third.status_code == 201
    assert third.headers[REPLAYED] == "true"
    assert third.content == first.content
    assert await user_ids(client, tenant.headers) == [str(tenant.admin_id), first.json()["id"]]


async def test_a_key_abandoned_in_flight_is_taken_over_and_the_late_original_cannot_spoil_it(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock
) -> None:
    """A process that died mid-request leaves its key pending; a retry much later must not get 409s
    for the whole retention period. If the original was only very slow, its late finish must not
    overwrite or delete what the retry stored."""
    entered, release = asyncio.Event(), asyncio.Event()
    calls = 0

    async def held_session(request: Request) -> AsyncIterator[AsyncSession]:
        nonlocal calls
        calls += 1
        if calls == 1:
            entered.set()
            await asyncio.wait_for(release.wait(), timeout=10)
        async with transaction(request.app.state.sessionmaker) as session:
            yield session

    app.dependency_overrides[get_session] = held_session
    key, body = str(uuid.uuid4()), new_user()
    try:
        original = asyncio.create_task(create(client, tenant.headers, key, body))
        await asyncio.wait_for(entered.wait(), timeout=10)
        assert_problem(await create(client, tenant.headers, key, body), 409, "idempotency-in-progress")

        clock.advance(seconds=PENDING_TIMEOUT.total_seconds() + 1)
        retry = await create(client, tenant.headers, key, body)
        release.set()
        late = await original
    finally:
        app.dependency_overrides.clear()

    assert retry.status_code == 201, retry.text
    assert REPLAYED not in retry.headers
    assert_problem(late, 409, "conflict")  # the retry already created this user
    replay = await create(client, tenant.headers, key, body)
    assert replay.headers[REPLAYED] == "true"
    assert replay.content == retry.content
    assert await user_ids(client, tenant.headers) == [str(tenant.admin_id), retry.json()["id"]]


async def test_keys_are_scoped_per_organisation(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    key = "shared-key-0001"
    mine = await create(client, tenant.headers, key, new_user("a"))
    theirs = await create(client, other_tenant.headers, key, new_user("b"))

    assert mine.status_code == theirs.status_code == 201
    assert REPLAYED not in theirs.headers
    assert theirs.json()["id"] != mine.json()["id"]
    assert await user_ids(client, other_tenant.headers) == [str(other_tenant.admin_id), theirs.json()["id"]]
    assert await user_ids(client, tenant.headers) == [str(tenant.admin_id), mine.json()["id"]]


async def test_a_replay_is_only_served_to_the_caller_who_made_the_request(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """A colleague who learns the key gets neither the stored response nor, without the scope, a 201."""
    key, body = str(uuid.uuid4()), new_user()
    original = await client.post(
        "/v1/api-clients",
        headers={**tenant.headers, "Idempotency-Key": key},
        json={"name": "Payroll", "scopes": ["users:read"]},
    )
    assert original.status_code == 201
    secret = original.json()["client_secret"]
    _, interviewer = await create_user(client, tenant, "interviewer")
    _, other_admin = await create_user(client, tenant, "admin")

    for token in (interviewer, other_admin):
        response = await client.post(
            "/v1/api-clients",
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            json={"name": "Payroll", "scopes": ["users:read"]},
        )
        assert_problem(response, 422, "idempotency-key-reused")
        assert secret not in response.text
        assert REPLAYED not in response.headers
    del body


async def test_an_overlong_or_empty_key_is_a_400_problem(client: httpx.AsyncClient, tenant: Tenant) -> None:
    before = await user_ids(client, tenant.headers)
    for key in ("k" * (MAX_KEY_LENGTH + 1), "   "):
        response = await create(client, tenant.headers, key, new_user())
        body = assert_problem(response, 400, "bad-request")
        assert "Idempotency-Key" in body["detail"]
    assert await user_ids(client, tenant.headers) == before

    longest = "k" * MAX_KEY_LENGTH
    body = new_user()
    assert (await create(client, tenant.headers, longest, body)).status_code == 201
    assert (await create(client, tenant.headers, longest, body)).headers[REPLAYED] == "true"


async def test_a_server_error_is_not_stored_so_the_retry_runs(
    app: FastAPI, client: httpx.AsyncClient, tenant: Tenant
) -> None:
    failures = 1

    async def flaky_session(request: Request) -> AsyncIterator[AsyncSession]:
        nonlocal failures
        if failures:
            failures -= 1
            raise RuntimeError("database fell over")
        async with transaction(request.app.state.sessionmaker) as session:
            yield session

    app.dependency_overrides[get_session] = flaky_session
    key, body = str(uuid.uuid4()), new_user()
    try:
        failed = await create(client, tenant.headers, key, body)
        retried = await create(client, tenant.headers, key, body)
    finally:
        app.dependency_overrides.clear()

    assert_problem(failed, 500, "internal-error")
    assert "fell over" not in failed.text
    assert retried.status_code == 201, retried.text
    assert REPLAYED not in retried.headers
    assert await user_ids(client, tenant.headers) == [str(tenant.admin_id), retried.json()["id"]]


async def test_an_unauthenticated_attempt_is_not_stored(client: httpx.AsyncClient, tenant: Tenant) -> None:
    key, body = str(uuid.uuid4()), new_user()
    revoked = (await login(client, tenant.admin_email))["access_token"]
    assert (await client.post("/v1/oauth/revoke", data={"token": revoked})).status_code == 200

    for headers in ({}, {"Authorization": "Bearer not-a-token"}, {"Authorization": f"Bearer {revoked}"}):
        assert_problem(await create(client, headers, key, body), 401, "unauthorized")
    created = await create(client, tenant.headers, key, body)

    assert created.status_code == 201, created.text
    assert REPLAYED not in created.headers


async def test_a_conflict_from_the_route_is_not_stored(client: httpx.AsyncClient, tenant: Tenant) -> None:
    """409 says the world was not ready (here: the address is taken); once it is, the retry runs."""
    taken = new_user()
    setup = await client.post("/v1/users", headers=tenant.headers, json=taken)
    assert setup.status_code == 201
    key = str(uuid.uuid4())
    assert_problem(await create(client, tenant.headers, key, taken), 409, "conflict")

    read = await client.get(f"/v1/users/{setup.json()['id']}", headers=tenant.headers)
    renamed = await client.patch(
        f"/v1/users/{setup.json()['id']}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"is_active": False},
    )
    assert renamed.status_code == 200
    # Still a conflict (addresses stay taken), but evaluated afresh rather than replayed.
    again = await create(client, tenant.headers, key, taken)
    assert_problem(again, 409, "conflict")
    assert REPLAYED not in again.headers


async def test_requests_without_a_key_are_not_deduplicated(client: httpx.AsyncClient, tenant: Tenant) -> None:
    body = new_user()
    first = await client.post("/v1/users", headers=tenant.headers, json=body)
    second = await client.post("/v1/users", headers=tenant.headers, json=body)
    assert first.status_code == 201
    assert_problem(second, 409, "conflict")
    assert REPLAYED not in second.headers
