"""Bearer-token verification on protected routes: every forged, stale or misdirected token gets 401."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fastapi import FastAPI

from rolecall.identity.tokens import KeyRing
from rolecall.platform.clock import utcnow
from tests.conftest import FrozenClock
from tests.factories import Tenant
from tests.identity.support import (
    b64url,
    b64url_decode,
    bearer,
    claims_of,
    header_of,
    me_status,
    segment,
)


def resign(app: FastAPI, claims: dict[str, Any], **changes: Any) -> str:
    """A token signed with the app's real signing key, with some claims changed or (None) removed."""
    keyring: KeyRing = app.state.keyring
    forged = {**claims, **changes}
    return keyring.sign({k: v for k, v in forged.items() if v is not None})


def hs256(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(signature)}"


async def assert_rejected(client: httpx.AsyncClient, token: str, why: str) -> None:
    response = await client.get("/v1/me", headers=bearer(token))
    assert response.status_code == 401, f"{why}: {response.status_code} {response.text}"
    assert response.headers["content-type"] == "application/problem+json", why
    assert response.headers["www-authenticate"].startswith("Bearer"), why
    assert "invalid_token" in response.headers["www-authenticate"], why
    # Same answer whatever the reason, so the response teaches an attacker nothing.
    assert response.json()["detail"] == "The access token is invalid, expired or revoked.", why


async def test_a_resigned_copy_of_a_real_token_is_accepted(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    """Control for the tests below: re-signing unchanged claims yields a working token."""
    assert await me_status(client, resign(app, claims_of(tenant.token))) == 200


async def test_missing_or_malformed_credentials_are_401(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for headers in ({}, {"Authorization": tenant.token}, {"Authorization": "Basic " + tenant.token}):
        response = await client.get("/v1/me", headers=headers)
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    for garbage in ("not-a-jwt", "a.b.c", tenant.refresh_token, tenant.token + "x"):
        await assert_rejected(client, garbage, garbage)


async def test_unsigned_and_hmac_confused_tokens_are_rejected(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    claims = claims_of(tenant.token)
    kid = header_of(tenant.token)["kid"]

    for alg in ("none", "None", "NONE"):
        unsigned = f"{segment({'alg': alg, 'typ': 'at+jwt', 'kid': kid})}.{segment(claims)}."
        await assert_rejected(client, unsigned, f"alg={alg}")

    # HS256 "signed" with the public key, as a library that trusts the header's alg would verify it.
    jwks = (await client.get("/.well-known/jwks.json")).json()
    public_jwk = next(k for k in jwks["keys"] if k["kid"] == kid)
    public_key = jwt.PyJWK.from_dict(public_jwk).key
    secrets = {
        "raw public key": b64url_decode(public_jwk["x"]),
        "x member": public_jwk["x"].encode(),
        "PEM": public_key.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
        "JWK JSON": json.dumps(public_jwk).encode(),
    }
    for name, secret in secrets.items():
        token = hs256({"alg": "HS256", "typ": "at+jwt", "kid": kid}, claims, secret)
        await assert_rejected(client, token, f"HS256 with {name}")


async def test_tampered_tokens_are_rejected(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    header_part, payload_part, signature_part = tenant.token.split(".")

    signature = bytearray(b64url_decode(signature_part))
    signature[0] ^= 0x01
    await assert_rejected(client, f"{header_part}.{payload_part}.{b64url(bytes(signature))}", "flipped bit")

    widened = {**claims_of(tenant.token), "scope": "audit:read users:write"}
    await assert_rejected(client, f"{header_part}.{segment(widened)}.{signature_part}", "edited payload")

    # A signature from another token does not transfer.
    other_signature = resign(app, claims_of(tenant.token), jti=uuid.uuid4().hex).split(".")[2]
    await assert_rejected(client, f"{header_part}.{payload_part}.{other_signature}", "swapped signature")


async def test_tokens_from_keys_we_do_not_hold_are_rejected(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    claims = claims_of(tenant.token)
    stranger = Ed25519PrivateKey.generate()
    known_kid = header_of(tenant.token)["kid"]

    for kid in (uuid.uuid4().hex, known_kid):
        token = jwt.encode(claims, stranger, algorithm="EdDSA", headers={"kid": kid, "typ": "at+jwt"})
        await assert_rejected(client, token, f"foreign key with kid {kid}")
    without_kid = jwt.encode(claims, stranger, algorithm="EdDSA", headers={"typ": "at+jwt"})
    await assert_rejected(client, without_kid, "no kid")


async def test_wrong_audience_issuer_or_type_is_rejected(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    claims = claims_of(tenant.token)
    await assert_rejected(client, resign(app, claims, aud="some-other-api"), "wrong aud")
    await assert_rejected(client, resign(app, claims, aud=["some-other-api"]), "wrong aud list")
    await assert_rejected(client, resign(app, claims, iss="https://evil.example"), "wrong iss")

    # RFC 8725 3.11: an ID token or other JWT signed with the same key is not an access token.
    keyring: KeyRing = app.state.keyring
    key = keyring._active_or_none()
    assert key is not None
    assert key.private is not None
    for typ in ("JWT", "id_token+jwt"):
        token = jwt.encode(claims, key.private, algorithm="EdDSA", headers={"kid": key.kid, "typ": typ})
        await assert_rejected(client, token, f"typ={typ}")


async def test_tokens_missing_required_claims_are_rejected(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI
) -> None:
    claims = claims_of(tenant.token)
    for claim in ("exp", "iat", "iss", "aud", "sub", "jti", "client_id", "org", "kind"):
        await assert_rejected(client, resign(app, claims, **{claim: None}), f"without {claim}")
    await assert_rejected(client, resign(app, claims, exp="tomorrow"), "non-numeric exp")
    await assert_rejected(client, resign(app, claims, kind="robot"), "unknown kind")


async def test_expired_tokens_are_rejected(client: httpx.AsyncClient, tenant: Tenant, app: FastAPI) -> None:
    claims = claims_of(tenant.token)
    now = int(utcnow().timestamp())
    expired = resign(app, claims, iat=now - 3600, exp=now - 60)
    await assert_rejected(client, expired, "expired an hour ago")
    # Issued "in the future" is as suspicious as expired.
    await assert_rejected(client, resign(app, claims, iat=now + 3600, exp=now + 4500), "iat in the future")
    await assert_rejected(client, resign(app, claims, nbf=now + 3600), "nbf in the future")


async def test_a_token_expires_by_the_application_clock(
    client: httpx.AsyncClient, tenant: Tenant, app: FastAPI, clock: FrozenClock
) -> None:
    from tests.factories import login

    token = (await login(client, tenant.admin_email))["access_token"]
    ttl = app.state.settings.access_token_ttl_seconds
    clock.advance(seconds=ttl - 10)
    assert await me_status(client, token) == 200
    clock.advance(seconds=20)
    await assert_rejected(client, token, "past exp")


async def test_a_token_naming_another_organisation_is_rejected(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant, app: FastAPI
) -> None:
    # Even with a valid signature, a user is only found inside their own organisation.
    claims = claims_of(tenant.token)
    await assert_rejected(client, resign(app, claims, org=str(other_tenant.organisation_id)), "other org")
    await assert_rejected(client, resign(app, claims, sub=str(uuid.uuid4())), "unknown subject")
    await assert_rejected(client, resign(app, claims, sid=str(uuid.uuid4())), "unknown session")
    await assert_rejected(client, resign(app, claims, sid=None), "no session")
    await assert_rejected(client, resign(app, claims, org="not-a-uuid"), "malformed org")


async def test_tenants_cannot_see_each_other(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    listed = await client.get("/v1/users", headers=tenant.headers)
    assert [u["id"] for u in listed.json()["items"]] == [str(tenant.admin_id)]

    theirs = await client.get(f"/v1/users/{other_tenant.admin_id}", headers=tenant.headers)
    missing = await client.get(f"/v1/users/{uuid.uuid4()}", headers=tenant.headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.content == missing.content

    patch = await client.patch(
        f"/v1/users/{other_tenant.admin_id}",
        headers={**tenant.headers, "If-Match": "*"},
        json={"is_active": False},
    )
    assert patch.status_code == 404
    assert (await client.get("/v1/me", headers=other_tenant.headers)).status_code == 200
