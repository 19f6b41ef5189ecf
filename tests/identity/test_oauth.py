"""POST /v1/oauth/token: the password and client-credentials grants and RFC 6749 error responses."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx
from fastapi import FastAPI

from rolecall.config import Settings
from rolecall.identity.permissions import SCOPES
from tests.factories import PASSWORD, Tenant
from tests.identity.support import (
    TOKEN_URL,
    add_api_client,
    add_user,
    assert_oauth_error,
    bearer,
    claims_of,
    me_status,
    password_grant,
    token_request,
)


async def test_password_grant_issues_an_uncacheable_bearer_token_pair(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    response = await password_grant(client, tenant.admin_email, PASSWORD)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope", "refresh_token"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["scope"].split() == sorted(SCOPES)  # an admin gets every scope
    assert body["refresh_token"] != body["access_token"]

    me = await client.get("/v1/me", headers=bearer(body["access_token"]))
    assert me.status_code == 200
    assert me.json()["id"] == str(tenant.admin_id)


async def test_login_name_is_case_and_whitespace_insensitive(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await password_grant(client, f"  {tenant.admin_email.upper()} ", PASSWORD)
    assert response.status_code == 200, response.text


async def test_wrong_password_unknown_user_and_deactivated_user_are_indistinguishable(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    user_id, email = await add_user(client, tenant, "recruiter")
    read = await client.get(f"/v1/users/{user_id}", headers=tenant.headers)
    deactivated = await client.patch(
        f"/v1/users/{user_id}",
        headers={**tenant.headers, "If-Match": read.headers["etag"]},
        json={"is_active": False},
    )
    assert deactivated.status_code == 200

    wrong_password = await password_grant(client, tenant.admin_email, PASSWORD + "-wrong")
    unknown_user = await password_grant(client, "nobody-here@example.com", PASSWORD)
    inactive_user = await password_grant(client, email, PASSWORD)

    for response in (wrong_password, unknown_user, inactive_user):
        assert_oauth_error(response, 400, "invalid_grant")
    assert wrong_password.content == unknown_user.content == inactive_user.content


async def test_password_grant_can_narrow_the_scope(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await password_grant(client, tenant.admin_email, PASSWORD, scope="organisation:read")
    assert response.status_code == 200
    assert response.json()["scope"] == "organisation:read"
    token = response.json()["access_token"]
    assert claims_of(token)["scope"] == "organisation:read"

    assert (await client.get("/v1/organisation", headers=bearer(token))).status_code == 200
    refused = await client.get("/v1/users", headers=bearer(token))
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"


async def test_asking_for_more_scope_than_granted_is_invalid_scope(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, recruiter = await add_user(client, tenant, "recruiter")

    beyond_role = await password_grant(client, recruiter, PASSWORD, scope="organisation:read users:write")
    assert_oauth_error(beyond_role, 400, "invalid_scope")
    unknown = await password_grant(client, tenant.admin_email, PASSWORD, scope="payroll:write")
    assert_oauth_error(unknown, 400, "invalid_scope")


async def test_unsupported_grant_types_are_named_as_such(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for grant in ("authorization_code", "implicit", "urn:ietf:params:oauth:grant-type:device_code"):
        response = await token_request(client, grant_type=grant, code="x", username=tenant.admin_email)
        assert_oauth_error(response, 400, "unsupported_grant_type")


async def test_missing_parameters_are_invalid_request(client: httpx.AsyncClient, tenant: Tenant) -> None:
    no_password = await token_request(client, grant_type="password", username=tenant.admin_email)
    no_username = await token_request(client, grant_type="password", password=PASSWORD)
    no_refresh_token = await token_request(client, grant_type="refresh_token")
    # RFC 6749 5.2: a missing required parameter (grant_type included) is invalid_request.
    no_grant_type = await token_request(client, username=tenant.admin_email, password=PASSWORD)
    for response in (no_password, no_username, no_refresh_token, no_grant_type):
        assert_oauth_error(response, 400, "invalid_request")


async def test_repeated_parameters_are_invalid_request(client: httpx.AsyncClient, tenant: Tenant) -> None:
    # RFC 6749 3.2: request parameters MUST NOT be included more than once.
    response = await client.post(
        TOKEN_URL,
        content=(
            f"grant_type=password&username={quote(tenant.admin_email)}"
            f"&password={PASSWORD}&scope=organisation:read&scope=users:write"
        ),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_client_credentials_with_client_secret_basic(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await add_api_client(client, tenant, "users:read", "organisation:read")
    # RFC 6749 2.3.1: id and secret are form-urlencoded before being joined and Base64-encoded.
    basic = base64.b64encode(
        f"{quote(created['client_id'], safe='')}:{quote(created['client_secret'], safe='')}".encode()
    ).decode()

    response = await client.post(
        TOKEN_URL, data={"grant_type": "client_credentials"}, headers={"Authorization": f"Basic {basic}"}
    )

    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert "refresh_token" not in body
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "organisation:read users:read"
    claims = claims_of(body["access_token"])
    assert claims["client_id"] == created["client_id"]
    assert claims["sub"] == created["id"]
    assert (await client.get("/v1/users", headers=bearer(body["access_token"]))).status_code == 200


async def test_client_credentials_with_client_secret_post(client: httpx.AsyncClient, tenant: Tenant) -> None:
    created = await add_api_client(client, tenant, "users:read", "organisation:read")
    response = await token_request(
        client,
        grant_type="client_credentials",
        client_id=created["client_id"],
        client_secret=created["client_secret"],
        scope="organisation:read",
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert claims_of(token)["scope"] == "organisation:read"
    assert (await client.get("/v1/organisation", headers=bearer(token))).status_code == 200
    assert (await client.get("/v1/users", headers=bearer(token))).status_code == 403

    beyond = await token_request(
        client,
        grant_type="client_credentials",
        client_id=created["client_id"],
        client_secret=created["client_secret"],
        scope="users:write",
    )
    assert_oauth_error(beyond, 400, "invalid_scope")


async def test_failed_client_authentication_is_401_invalid_client(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await add_api_client(client, tenant, "users:read")
    wrong_secret_basic = base64.b64encode(f"{created['client_id']}:not-the-secret".encode()).decode()
    attempts = [
        client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": f"Basic {wrong_secret_basic}"},
        ),
        token_request(
            client, grant_type="client_credentials", client_id=created["client_id"], client_secret="nope"
        ),
        token_request(
            client, grant_type="client_credentials", client_id="rc_unknown", client_secret="whatever"
        ),
        token_request(client, grant_type="client_credentials"),
        client.post(
            TOKEN_URL,
            data={"grant_type": "client_credentials"},
            headers={"Authorization": "Basic !!!not-base64!!!"},
        ),
    ]
    for attempt in attempts:
        response = await attempt
        assert_oauth_error(response, 401, "invalid_client")
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_two_client_authentication_methods_at_once_are_invalid_request(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    created = await add_api_client(client, tenant, "users:read")
    basic = base64.b64encode(f"{created['client_id']}:{created['client_secret']}".encode()).decode()
    response = await client.post(
        TOKEN_URL,
        data={"grant_type": "client_credentials", "client_secret": created["client_secret"]},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert_oauth_error(response, 400, "invalid_request")


async def test_user_credentials_do_not_authenticate_a_client(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    # The password grant's user cannot authenticate as a client with their own password.
    response = await token_request(
        client, grant_type="client_credentials", client_id=tenant.admin_email, client_secret=PASSWORD
    )
    assert_oauth_error(response, 401, "invalid_client")
    assert await me_status(client, tenant.token) == 200


async def test_token_endpoint_metadata_describes_what_is_supported(
    client: httpx.AsyncClient, app: FastAPI
) -> None:
    response = await client.get("/.well-known/oauth-authorization-server")
    assert response.status_code == 200
    meta = response.json()
    issuer = app.state.settings.issuer
    assert meta["issuer"] == issuer
    assert meta["token_endpoint"] == f"{issuer}/v1/oauth/token"
    assert meta["jwks_uri"] == f"{issuer}/.well-known/jwks.json"
    assert set(meta["grant_types_supported"]) == {
        "password",
        "refresh_token",
        "client_credentials",
        "urn:rolecall:params:oauth:grant-type:mfa-otp",
    }
    assert set(meta["token_endpoint_auth_methods_supported"]) == {"client_secret_basic", "client_secret_post"}
    assert meta["scopes_supported"] == sorted(SCOPES)
