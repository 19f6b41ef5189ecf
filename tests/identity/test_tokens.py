"""RFC 9068 access tokens signed with EdDSA, the published key set, and signing-key rotation."""

from __future__ import annotations

from typing import Any

import httpx
import jwt
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.config import Settings
from rolecall.platform.db import transaction
from tests.conftest import FrozenClock
from tests.factories import PASSWORD, Tenant
from tests.identity.support import claims_of, header_of, me_status, password_grant


async def fetch_jwks(client: httpx.AsyncClient) -> dict[str, Any]:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def kids(jwks: dict[str, Any]) -> list[str]:
    return [key["kid"] for key in jwks["keys"]]


def verify_with_jwks(token: str, jwks: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """What a resource server outside Rolecall would do: pick the key by kid, pin alg, iss and aud."""
    key = jwt.PyJWKSet.from_dict(jwks)[header_of(token)["kid"]]
    claims: dict[str, Any] = jwt.decode(
        token, key.key, algorithms=["EdDSA"], audience=settings.audience, issuer=settings.issuer
    )
    return claims


async def rotate(app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]) -> str:
    async with transaction(sessionmaker) as session:
        kid: str = await app.state.keyring.rotate(session)
    return kid


async def reload_keys(app: FastAPI, sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with transaction(sessionmaker) as session:
        await app.state.keyring.load(session)


async def test_access_token_is_an_rfc9068_jwt(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    header = header_of(tenant.token)
    assert header["alg"] == "EdDSA"
    assert header["typ"] == "at+jwt"
    assert isinstance(header["kid"], str)
    assert header["kid"]

    claims = claims_of(tenant.token)
    assert {"iss", "aud", "sub", "exp", "iat", "jti", "scope", "client_id"} <= set(claims)
    assert claims["iss"] == settings.issuer
    assert claims["aud"] == settings.audience
    assert claims["sub"] == str(tenant.admin_id)
    assert claims["client_id"] == "rolecall"
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    assert claims["org"] == str(tenant.organisation_id)
    # No personal data in a token that any holder can read.
    assert tenant.admin_email not in str(claims)

    another = (await password_grant(client, tenant.admin_email, PASSWORD)).json()["access_token"]
    assert claims_of(another)["jti"] != claims["jti"]


async def test_jwks_publishes_only_the_public_half(client: httpx.AsyncClient, tenant: Tenant) -> None:
    response = await client.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "public" in response.headers["cache-control"]
    (key,) = response.json()["keys"]
    assert key["kid"] == header_of(tenant.token)["kid"]
    assert key["kty"] == "OKP"
    assert key["crv"] == "Ed25519"
    assert key["alg"] == "EdDSA"
    assert key["use"] == "sig"
    assert "d" not in key


async def test_a_token_verifies_against_the_published_jwks(
    client: httpx.AsyncClient, tenant: Tenant, settings: Settings
) -> None:
    claims = verify_with_jwks(tenant.token, await fetch_jwks(client), settings)
    assert claims["sub"] == str(tenant.admin_id)


async def test_rotation_keeps_old_tokens_valid_and_signs_new_ones_with_the_new_key(
    client: httpx.AsyncClient,
    tenant: Tenant,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    old_kid = header_of(tenant.token)["kid"]

    new_kid = await rotate(app, sessionmaker)

    assert new_kid != old_kid
    jwks = await fetch_jwks(client)
    assert kids(jwks) == [old_kid, new_kid]
    assert await me_status(client, tenant.token) == 200
    verify_with_jwks(tenant.token, jwks, settings)

    fresh = (await password_grant(client, tenant.admin_email, PASSWORD)).json()["access_token"]
    assert header_of(fresh)["kid"] == new_kid
    assert await me_status(client, fresh) == 200
    verify_with_jwks(fresh, jwks, settings)


async def test_a_retired_key_is_unpublished_after_its_tokens_have_expired(
    client: httpx.AsyncClient,
    tenant: Tenant,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
) -> None:
    old_kid = header_of(tenant.token)["kid"]
    new_kid = await rotate(app, sessionmaker)

    # Still inside the grace period (a token's lifetime plus a minute): the old key stays.
    clock.advance(seconds=settings.access_token_ttl_seconds)
    await reload_keys(app, sessionmaker)
    assert kids(await fetch_jwks(client)) == [old_kid, new_kid]

    clock.advance(seconds=61)
    await reload_keys(app, sessionmaker)

    assert kids(await fetch_jwks(client)) == [new_kid]
    assert await me_status(client, tenant.token) == 401
    later = (await password_grant(client, tenant.admin_email, PASSWORD)).json()["access_token"]
    assert header_of(later)["kid"] == new_kid
    assert await me_status(client, later) == 200


async def test_a_key_rotated_in_by_another_process_is_picked_up(
    client: httpx.AsyncClient,
    tenant: Tenant,
    app: FastAPI,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
) -> None:
    """`rolecall rotate-signing-key` (or another replica) rotates with its own KeyRing."""
    from rolecall.identity.tokens import KeyRing

    async with transaction(sessionmaker) as session:
        new_kid = await KeyRing(settings).rotate(session)

    # A token signed by the other process is accepted once this one reloads on the unknown kid...
    async with transaction(sessionmaker) as session:
        other = KeyRing(settings)
        await other.load(session)
    foreign = other.sign(claims_of(tenant.token))
    assert header_of(foreign)["kid"] == new_kid
    assert await me_status(client, foreign) == 200
    # ...and from then on this process signs with the new key as well.
    fresh = (await password_grant(client, tenant.admin_email, PASSWORD)).json()["access_token"]
    assert header_of(fresh)["kid"] == new_kid
    assert new_kid in kids(await fetch_jwks(client))


async def test_a_key_rotated_elsewhere_is_used_for_signing_without_a_restart(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    clock: FrozenClock,
) -> None:
    from rolecall.identity.tokens import RELOAD_AFTER_SECONDS, KeyRing

    old_kid = header_of(tenant.token)["kid"]
    async with transaction(sessionmaker) as session:
        new_kid = await KeyRing(settings).rotate(session)

    clock.advance(seconds=RELOAD_AFTER_SECONDS + 1)

    fresh = (await password_grant(client, tenant.admin_email, PASSWORD)).json()["access_token"]
    assert header_of(fresh)["kid"] == new_kid
    assert await me_status(client, fresh) == 200
    assert kids(await fetch_jwks(client)) == [old_kid, new_kid]
    assert await me_status(client, tenant.token) == 200
