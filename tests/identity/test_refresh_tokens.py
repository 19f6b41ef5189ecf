"""The refresh_token grant: rotation on every use, reuse detection that ends the family, scope rules."""

from __future__ import annotations

import anyio
import httpx
from fastapi import FastAPI

from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant
from tests.identity.support import (
    add_user,
    assert_oauth_error,
    bearer,
    claims_of,
    me_status,
    password_grant,
    refresh,
)


async def test_refresh_issues_a_new_pair_and_rotates_the_refresh_token(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await refresh(client, tenant.refresh_token)
    assert first.status_code == 200, first.text
    assert first.headers["cache-control"] == "no-store"
    body = first.json()
    assert body["refresh_token"] != tenant.refresh_token
    assert body["access_token"] != tenant.token
    assert claims_of(body["access_token"])["sid"] == claims_of(tenant.token)["sid"]
    assert await me_status(client, body["access_token"]) == 200

    second = await refresh(client, body["refresh_token"])
    assert second.status_code == 200, second.text
    assert await me_status(client, second.json()["access_token"]) == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    rotated = (await refresh(client, tenant.refresh_token)).json()
    newest = (await refresh(client, rotated["refresh_token"])).json()
    assert await me_status(client, newest["access_token"]) == 200

    replay = await refresh(client, tenant.refresh_token)

    assert_oauth_error(replay, 400, "invalid_grant")
    # Every token of that login is dead: the newest refresh token and each access token.
    assert_oauth_error(await refresh(client, newest["refresh_token"]), 400, "invalid_grant")
    for access_token in (tenant.token, rotated["access_token"], newest["access_token"]):
        assert await me_status(client, access_token) == 401

    # The theft signal is left for the admins to see.
    admin = (await password_grant(client, tenant.admin_email, PASSWORD)).json()["access_token"]
    audit = await client.get(
        "/v1/audit-events", params={"action": "auth.refresh_reuse_detected"}, headers=bearer(admin)
    )
    assert audit.status_code == 200
    assert [e["target_id"] for e in audit.json()["items"]] == [claims_of(tenant.token)["sid"]]


async def test_reuse_ends_only_the_affected_login(client: httpx.AsyncClient, tenant: Tenant) -> None:
    other_login = (await password_grant(client, tenant.admin_email, PASSWORD)).json()
    await refresh(client, tenant.refresh_token)

    assert_oauth_error(await refresh(client, tenant.refresh_token), 400, "invalid_grant")

    assert await me_status(client, other_login["access_token"]) == 200
    assert (await refresh(client, other_login["refresh_token"])).status_code == 200


async def test_refresh_can_narrow_the_scope_without_losing_the_rest(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    narrowed = await refresh(client, tenant.refresh_token, scope="organisation:read")
    assert narrowed.status_code == 200, narrowed.text
    body = narrowed.json()
    assert body["scope"] == "organisation:read"
    assert (await client.get("/v1/users", headers=bearer(body["access_token"]))).status_code == 403

    # RFC 6749 6: the new refresh token keeps the scope originally granted.
    widened = await refresh(client, body["refresh_token"])
    assert widened.status_code == 200, widened.text
    assert widened.json()["scope"] == claims_of(tenant.token)["scope"]
    assert (await client.get("/v1/users", headers=bearer(widened.json()["access_token"]))).status_code == 200


async def test_refresh_cannot_widen_the_scope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    _, email = await add_user(client, tenant, "recruiter")
    login = (await password_grant(client, email, PASSWORD)).json()

    widened = await refresh(client, login["refresh_token"], scope="organisation:read users:write")
    assert_oauth_error(widened, 400, "invalid_scope")

    # A refused request does not spend the refresh token (else the next use would look like theft).
    retry = await refresh(client, login["refresh_token"])
    assert retry.status_code == 200, retry.text
    assert await me_status(client, retry.json()["access_token"]) == 200


async def test_refresh_with_an_unknown_token_is_invalid_grant(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert_oauth_error(await refresh(client, "not-a-refresh-token"), 400, "invalid_grant")
    # An access token is not a refresh token.
    assert_oauth_error(await refresh(client, tenant.token), 400, "invalid_grant")
    assert (await refresh(client, tenant.refresh_token)).status_code == 200


async def test_refresh_token_expires(
    client: httpx.AsyncClient, tenant: Tenant, clock: FrozenClock, app: FastAPI
) -> None:
    login = (await password_grant(client, tenant.admin_email, PASSWORD)).json()
    clock.advance(seconds=app.state.settings.refresh_token_ttl_seconds + 1)
    assert_oauth_error(await refresh(client, login["refresh_token"]), 400, "invalid_grant")


async def test_refresh_stops_working_when_the_user_is_deactivated(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, email = await add_user(client, tenant, "recruiter")
    login = (await password_grant(client, email, PASSWORD)).json()
    read = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
    response = await client.patch(
        f"/v1/users/{user_id}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"is_active": False},
    )
    assert response.status_code == 200

    assert_oauth_error(await refresh(client, login["refresh_token"]), 400, "invalid_grant")


async def test_concurrent_use_of_one_refresh_token_yields_exactly_one_new_pair(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    results: list[httpx.Response] = []

    async def use() -> None:
        results.append(await refresh(client, tenant.refresh_token))

    async with anyio.create_task_group() as tg:
        for _ in range(4):
            tg.start_soon(use)

    assert sorted(r.status_code for r in results) == [200, 400, 400, 400]
    for response in results:
        if response.status_code != 200:
            assert_oauth_error(response, 400, "invalid_grant")
