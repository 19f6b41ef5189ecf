"""API clients: machine callers that hold scopes directly and authenticate with a one-time secret."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import repository
from rolecall.identity.passwords import verify_password
from rolecall.platform.db import transaction
from rolecall.platform.tenancy import bind_organisation
from tests.factories import Tenant, create_user
from tests.identity.support import add_api_client, assert_oauth_error, bearer, claims_of, client_token


async def test_the_secret_is_shown_once_and_stored_only_as_a_hash(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    response = await client.post(
        "/v1/api-clients",
        headers=tenant.headers,
        json={"name": " ATS sync ", "scopes": ["users:read", "organisation:read", "users:read"]},
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    created = response.json()
    assert response.headers["location"] == f"/v1/api-clients/{created['id']}"
    assert created["name"] == "ATS sync"
    assert created["scopes"] == ["organisation:read", "users:read"]
    assert created["client_id"].startswith("rc_")
    secret = created["client_secret"]
    assert len(secret) >= 32

    read = await client.get(response.headers["location"], headers=tenant.headers)
    assert read.status_code == 200
    assert "client_secret" not in read.json()
    assert secret not in read.text
    listed = await client.get("/v1/api-clients", headers=tenant.headers)
    assert [c["id"] for c in listed.json()["items"]] == [created["id"]]
    assert secret not in listed.text

    async with transaction(sessionmaker) as session:
        bind_organisation(session, tenant.organisation_id)
        stored = await repository.find_client_for_login(session, created["client_id"])
    assert stored is not None
    assert stored.secret_hash.startswith("$argon2id$")
    assert secret not in stored.secret_hash
    assert verify_password(stored.secret_hash, secret)


async def test_a_client_token_carries_only_the_clients_scopes(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await add_api_client(client, tenant, "users:read")
    response = await client_token(client, created)
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    claims = claims_of(token)
    assert claims["scope"] == "users:read"
    assert claims["client_id"] == created["client_id"]
    assert claims["sub"] == created["id"]
    assert "sid" not in claims

    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 200
    assert (await client.get("/v1/organisation", headers=bearer(token))).status_code == 403
    assert (await client.get("/v1/api-clients", headers=bearer(token))).status_code == 403
    # A client is not a user: it has no profile (rather than a confusing 404).
    me = await client.get("/v1/me", headers=bearer(token))
    assert me.status_code == 403
    assert me.headers["content-type"] == "application/problem+json"


async def test_revoking_a_client_stops_its_tokens_and_its_logins(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await add_api_client(client, tenant, "users:read")
    token = (await client_token(client, created)).json()["access_token"]
    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 200

    deleted = await client.delete(f"/v1/api-clients/{created['id']}", headers=tenant.headers)

    assert deleted.status_code == 204
    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 401
    refused = await client_token(client, created)
    assert_oauth_error(refused, 401, "invalid_client")
    read = await client.get(f"/v1/api-clients/{created['id']}", headers=tenant.headers)
    assert read.json()["is_active"] is False


async def test_unknown_scopes_are_refused(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for scopes in (["users:read", "payroll:write"], [], ["admin"]):
        response = await client.post(
            "/v1/api-clients", headers=tenant.headers, json={"name": "Bad", "scopes": scopes}
        )
        assert response.status_code == 422, scopes
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["body.scopes"]
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).json()["items"] == []


async def test_only_holders_of_client_scopes_manage_clients(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, recruiter = await create_user(client, tenant, "recruiter")
    created = await add_api_client(client, tenant, "users:read")

    attempt = await client.post(
        "/v1/api-clients", headers=bearer(recruiter), json={"name": "Mine", "scopes": ["users:read"]}
    )
    assert attempt.status_code == 403
    assert attempt.headers["content-type"] == "application/problem+json"
    assert (await client.get("/v1/api-clients", headers=bearer(recruiter))).status_code == 403
    assert (
        await client.delete(f"/v1/api-clients/{created['id']}", headers=bearer(recruiter))
    ).status_code == 403
    assert (await client_token(client, created)).status_code == 200


async def test_a_client_cannot_mint_a_client_with_more_scope_than_it_holds(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    manager = await add_api_client(client, tenant, "clients:read", "clients:write", "users:read")
    token = (await client_token(client, manager)).json()["access_token"]

    allowed = await client.post(
        "/v1/api-clients", headers=bearer(token), json={"name": "Reader", "scopes": ["users:read"]}
    )
    assert allowed.status_code == 201, allowed.text

    escalation = await client.post(
        "/v1/api-clients",
        headers=bearer(token),
        json={"name": "Root", "scopes": ["users:write", "users:read"]},
    )
    assert escalation.status_code == 403
    assert escalation.headers["content-type"] == "application/problem+json"
    assert "users:write" in escalation.json()["detail"]


async def test_clients_of_another_tenant_are_invisible(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await add_api_client(client, other_tenant, "users:read")
    read = await client.get(f"/v1/api-clients/{theirs['id']}", headers=tenant.headers)
    delete = await client.delete(f"/v1/api-clients/{theirs['id']}", headers=tenant.headers)
    assert read.status_code == delete.status_code == 404
    assert (await client.get("/v1/api-clients", headers=tenant.headers)).json()["items"] == []

    token = (await client_token(client, theirs)).json()["access_token"]
    listed = await client.get("/v1/users", headers=bearer(token))
    assert [u["id"] for u in listed.json()["items"]] == [str(other_tenant.admin_id)]
