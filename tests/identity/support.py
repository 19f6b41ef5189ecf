"""Small helpers shared by the identity tests: token requests, JWT inspection and forging."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import jwt

from tests.factories import PASSWORD, Tenant

TOKEN_URL = "/v1/oauth/token"
WRONG = "definitely-not-the-password"
UNKNOWN = "nobody-at-all@example.com"
REVOKE_URL = "/v1/oauth/revoke"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def token_request(client: httpx.AsyncClient, **form: str) -> httpx.Response:
    return await client.post(TOKEN_URL, data=form)


async def password_grant(
    client: httpx.AsyncClient, email: str, password: str, **extra: str
) -> httpx.Response:
    return await token_request(client, grant_type="password", username=email, password=password, **extra)


async def refresh(client: httpx.AsyncClient, refresh_token: str, **extra: str) -> httpx.Response:
    return await token_request(client, grant_type="refresh_token", refresh_token=refresh_token, **extra)


async def revoke(client: httpx.AsyncClient, token: str, **extra: str) -> httpx.Response:
    return await client.post(REVOKE_URL, data={"token": token, **extra})


async def me_status(client: httpx.AsyncClient, token: str) -> int:
    return (await client.get("/v1/me", headers=bearer(token))).status_code


def claims_of(token: str) -> dict[str, Any]:
    """The token's claims, unverified: for inspecting what the server put in it."""
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


def header_of(token: str) -> dict[str, Any]:
    return jwt.get_unverified_header(token)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segment(value: dict[str, Any]) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def assert_oauth_error(response: httpx.Response, status: int, error: str) -> None:
    """An RFC 6749 section 5.2 error: exactly ``error`` and ``error_description``, never cached."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == error
    assert isinstance(body["error_description"], str)
    assert body["error_description"]


def new_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


async def add_user(client: httpx.AsyncClient, tenant: Tenant, *roles: str) -> tuple[str, str]:
    """Create a staff user through the API; returns (user id, e-mail). The password is ``PASSWORD``."""
    email = new_email("-".join(roles) or "user")
    response = await client.post(
        "/v1/users",
        headers=tenant.headers,
        json={"email": email, "full_name": "Test Person", "password": PASSWORD, "roles": list(roles)},
    )
    assert response.status_code == 201, response.text
    user_id: str = response.json()["id"]
    return user_id, email


async def client_token(client: httpx.AsyncClient, created: dict[str, Any], **extra: str) -> httpx.Response:
    """The client_credentials grant (client_secret_post) for a client made by :func:`add_api_client`."""
    return await token_request(
        client,
        grant_type="client_credentials",
        client_id=created["client_id"],
        client_secret=created["client_secret"],
        **extra,
    )


async def add_api_client(client: httpx.AsyncClient, tenant: Tenant, *scopes: str) -> dict[str, Any]:
    """Create an API client through the API; returns the creation body (including the secret)."""
    response = await client.post(
        "/v1/api-clients", headers=tenant.headers, json={"name": "Integration", "scopes": list(scopes)}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_slowed_down(response: httpx.Response, window: int) -> None:
    """A throttled sign-in: RFC 6749-shaped ``slow_down`` with a Retry-After inside the window."""
    assert_oauth_error(response, 429, "slow_down")
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= window + 1
