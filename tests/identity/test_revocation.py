"""POST /v1/oauth/revoke (RFC 7009): revocation takes effect at once and never reveals what a token was."""

from __future__ import annotations

import anyio
import httpx

from tests.factories import PASSWORD, Tenant
from tests.identity.support import (
    REVOKE_URL,
    add_api_client,
    assert_oauth_error,
    client_token,
    me_status,
    password_grant,
    refresh,
    revoke,
)


async def test_revoking_an_access_token_rejects_it_immediately(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert await me_status(client, tenant.token) == 200

    response = await revoke(client, tenant.token, token_type_hint="access_token")

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert await me_status(client, tenant.token) == 401
    # Revoking it again is harmless.
    assert (await revoke(client, tenant.token)).status_code == 200


async def test_revoking_one_login_leaves_other_logins_alone(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    other = (await password_grant(client, tenant.admin_email, PASSWORD)).json()
    assert (await revoke(client, tenant.token)).status_code == 200
    assert await me_status(client, tenant.token) == 401
    assert await me_status(client, other["access_token"]) == 200


async def test_revoking_a_refresh_token_ends_its_login(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await revoke(client, tenant.refresh_token, token_type_hint="refresh_token")

    assert response.status_code == 200
    assert_oauth_error(await refresh(client, tenant.refresh_token), 400, "invalid_grant")
    assert await me_status(client, tenant.token) == 401


async def test_a_wrong_hint_does_not_stop_revocation(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # RFC 7009 2.1: if the token is not found under the hint, the other token types are searched too.
    response = await revoke(client, tenant.refresh_token, token_type_hint="access_token")

    assert response.status_code == 200
    assert_oauth_error(await refresh(client, tenant.refresh_token), 400, "invalid_grant")
    assert await me_status(client, tenant.token) == 401


async def test_revoking_a_client_token(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await add_api_client(client, tenant, "users:read")
    token = (await client_token(client, created)).json()["access_token"]
    assert (await client.get("/v1/users", headers={"Authorization": f"Bearer {token}"})).status_code == 200

    assert (await revoke(client, token)).status_code == 200

    assert (await client.get("/v1/users", headers={"Authorization": f"Bearer {token}"})).status_code == 401


async def test_unknown_tokens_are_accepted_silently(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for token, hint in (
        ("not-a-token", None),
        ("eyJhbGciOi.nope.nope", "access_token"),
        ("x", "refresh_token"),
    ):
        response = await (
            revoke(client, token) if hint is None else revoke(client, token, token_type_hint=hint)
        )
        assert response.status_code == 200
        assert response.json() == {}
    assert await me_status(client, tenant.token) == 200


async def test_revocation_needs_a_token(client: httpx.AsyncClient) -> None:
    assert_oauth_error(await client.post(REVOKE_URL, data={}), 400, "invalid_request")


async def test_concurrent_revocations_of_one_token_all_succeed(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    results: list[httpx.Response] = []

    async def revoke_it() -> None:
        results.append(await revoke(client, tenant.token))

    async with anyio.create_task_group() as tg:
        for _ in range(3):
            tg.start_soon(revoke_it)

    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    assert await me_status(client, tenant.token) == 401
