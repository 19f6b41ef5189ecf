"""OAuth 2.0 token and revocation endpoints, and the public key set that verifies our tokens."""

from __future__ import annotations

import base64
import binascii
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse

from rolecall.config import Settings
from rolecall.identity import mfa_oauth, oauth
from rolecall.identity.mfa_oauth import MFA_OTP_GRANT
from rolecall.identity.oauth import GrantContext, OAuthError
from rolecall.identity.schemas import TokenResponse
from rolecall.identity.tokens import KeyRing
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.net import client_address

router = APIRouter(tags=["oauth"])
_NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
GRANTS = ("password", "refresh_token", "client_credentials", MFA_OTP_GRANT)


def _oauth_error(err: OAuthError) -> JSONResponse:
    headers = {**_NO_CACHE, **err.headers}
    if err.error == "invalid_client":
        headers["WWW-Authenticate"] = 'Basic realm="rolecall"'
    return JSONResponse(
        {"error": err.error, "error_description": err.description, **err.extra}, err.status, headers=headers
    )


def _basic_credentials(request: Request) -> tuple[str | None, str | None]:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = base64.b64decode(value, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401) from exc
    client_id, sep, secret = decoded.partition(":")
    if not sep:
        raise OAuthError("invalid_client", "Malformed Basic credentials.", 401)
    # RFC 6749 2.3.1: id and secret are form-urlencoded before Base64.
    return unquote(client_id), unquote(secret)


async def _repeated_parameter(request: Request) -> str | None:
    """RFC 6749 3.1/3.2: parameters MUST NOT be included more than once."""
    seen: set[str] = set()
    for name, _value in (await request.form()).multi_items():
        if name in seen:
            return name
        seen.add(name)
    return None


def _client_credentials(
    request: Request, client_id: str | None, client_secret: str | None
) -> tuple[str | None, str | None]:
    basic_id, basic_secret = _basic_credentials(request)
    if basic_id is None:
        return client_id, client_secret
    # RFC 6749 2.3: a client MUST NOT use more than one authentication method in a request.
    if client_secret is not None or (client_id is not None and client_id != basic_id):
        raise OAuthError("invalid_request", "Authenticate the client with one method only.")
    return basic_id, basic_secret


def _context(request: Request, session: DbSession) -> GrantContext:
    settings: Settings = request.app.state.settings
    keyring: KeyRing = request.app.state.keyring
    return GrantContext(session, settings, keyring, client_address(request, settings.trust_forwarded_for))


@router.post(
    "/v1/oauth/token",
    dependencies=[PUBLIC],
    summary="Issue tokens (RFC 6749)",
    responses={
        200: {
            "model": TokenResponse,
            "description": "The tokens (RFC 6749 section 5.1); `recovery_codes` only after an enrolment",
        }
    },
)
async def token(
    request: Request,
    session: DbSession,
    grant_type: Annotated[str, Form()] = "",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    refresh_token: Annotated[str, Form()] = "",
    scope: Annotated[str | None, Form()] = None,
    client_id: Annotated[str | None, Form()] = None,
    client_secret: Annotated[str | None, Form()] = None,
    organisation: Annotated[str | None, Form()] = None,
    mfa_token: Annotated[str, Form()] = "",
    otp: Annotated[str, Form()] = "",
) -> JSONResponse:
    # Errors are returned, not raised, so the request transaction still commits what they record
    # (failed-login counters, a revoked token family).
    ctx = _context(request, session)
    # Sign with the newest key even if another replica (or the CLI) rotated it.
    await ctx.keyring.refresh(session)
    try:
        repeated = await _repeated_parameter(request)
        if repeated is not None:
            raise OAuthError("invalid_request", f"The parameter {repeated!r} was sent more than once.")
        if not grant_type:
            raise OAuthError("invalid_request", "grant_type is required.")
        if grant_type not in GRANTS:
            raise OAuthError("unsupported_grant_type", f"grant_type must be one of: {', '.join(GRANTS)}.")
        if grant_type == "password":
            result = await oauth.password_grant(ctx, username, password, scope, organisation)
        elif grant_type == MFA_OTP_GRANT:
            result = await mfa_oauth.mfa_otp_grant(ctx, mfa_token, otp)
        elif grant_type == "refresh_token":
            result = await oauth.refresh_grant(ctx, refresh_token, scope)
        else:
            client = await oauth.authenticate_client(
                ctx, *_client_credentials(request, client_id, client_secret)
            )
            result = await oauth.client_credentials_grant(ctx, client, scope)
    except OAuthError as err:
        return _oauth_error(err)
    return JSONResponse(result.model_dump(exclude_none=True), headers=_NO_CACHE)


@router.post("/v1/oauth/revoke", dependencies=[PUBLIC], summary="Revoke a token (RFC 7009)")
async def revoke(
    request: Request,
    session: DbSession,
    token: Annotated[str, Form()] = "",
    token_type_hint: Annotated[str | None, Form()] = None,
) -> JSONResponse:
    repeated = await _repeated_parameter(request)
    if repeated is not None:
        return _oauth_error(
            OAuthError("invalid_request", f"The parameter {repeated!r} was sent more than once.")
        )
    if not token:
        return _oauth_error(OAuthError("invalid_request", "token is required."))
    await oauth.revoke(_context(request, session), token, token_type_hint)
    return JSONResponse({}, headers=_NO_CACHE)


@router.get("/.well-known/jwks.json", dependencies=[PUBLIC], summary="Public keys that verify access tokens")
async def jwks(request: Request, session: DbSession) -> JSONResponse:
    keyring: KeyRing = request.app.state.keyring
    await keyring.refresh(session)
    return JSONResponse(keyring.jwks(), headers={"Cache-Control": "public, max-age=300"})


@router.get("/.well-known/oauth-authorization-server", dependencies=[PUBLIC], summary="RFC 8414 metadata")
async def metadata(request: Request) -> dict[str, Any]:
    settings: Settings = request.app.state.settings
    return {
        "issuer": settings.issuer,
        "token_endpoint": f"{settings.issuer}/v1/oauth/token",
        "revocation_endpoint": f"{settings.issuer}/v1/oauth/revoke",
        "jwks_uri": f"{settings.issuer}/.well-known/jwks.json",
        "grant_types_supported": list(GRANTS),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "scopes_supported": sorted(request.app.state.scope_catalogue),
    }
