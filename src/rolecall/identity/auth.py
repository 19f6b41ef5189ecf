"""Who may call identity routes, and how a bearer token becomes a :class:`Principal`.

The authenticator is installed on the app for every context; the aliases below are this context's
permission dependencies, so a route's signature states what it needs.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity import repository
from rolecall.identity.models import RevokedAccessToken, User
from rolecall.identity.oauth import cookie_hash
from rolecall.identity.permissions import Role, scopes_for_roles
from rolecall.identity.principal_cache import PrincipalCache, Standing
from rolecall.identity.tokens import InvalidToken, KeyRing, unverified_kid
from rolecall.platform.access import restrict_session
from rolecall.platform.auth import Principal, requires
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Unauthorized
from rolecall.platform.tenancy import bind_organisation

_RELOAD_INTERVAL = 5.0


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def _verify(keyring: KeyRing, request: Request, session: AsyncSession, token: str) -> dict[str, object]:
    try:
        return keyring.verify(token)
    except InvalidToken:
        # A kid we have not seen may come from a key another replica just rotated in. Only an
        # unknown kid can be cured by reloading, and reloads are rate-limited, so made-up kids
        # cannot turn into a database query per request.
        kid = unverified_kid(token)
        state = request.app.state
        if kid is None or keyring.knows(kid):
            raise
        if time.monotonic() - getattr(state, "keyring_loaded_at", 0.0) < _RELOAD_INTERVAL:
            raise
        await keyring.load(session)
        state.keyring_loaded_at = time.monotonic()
        return keyring.verify(token)


def sees_all_jobs(user: User) -> bool:
    """Admins and organisation-wide staff see every job; everyone else only their teams' jobs."""
    return user.sees_all_jobs or Role.ADMIN.value in user.roles


def staff_principal(
    session: AsyncSession,
    user_id: uuid.UUID,
    organisation_id: uuid.UUID,
    scopes: frozenset[str],
    roles: frozenset[str],
    *,
    sees_all: bool,
    token_id: str | None,
    session_id: uuid.UUID | None,
) -> Principal:
    """The principal of an authenticated staff member, with the session narrowed to what they may see.

    The one place need-to-know access is bound (bearer tokens and page cookies both come here), as
    tenancy is bound just before: from here on every statement of the request is filtered by
    :mod:`rolecall.platform.access`. API clients and system work never pass through it.
    """
    if not sees_all:
        restrict_session(session, user_id)
    return Principal("user", user_id, organisation_id, scopes, roles, token_id, session_id)


async def _standing(session: AsyncSession, claims: dict[str, object]) -> Standing | None:
    """What the database says of a verified token now: ``None`` when it must be refused."""
    if await session.get(RevokedAccessToken, str(claims["jti"])) is not None:
        return None
    organisation_id = uuid.UUID(str(claims["org"]))
    subject = uuid.UUID(str(claims["sub"]))
    token_scopes = frozenset(str(claims.get("scope", "")).split())
    if claims["kind"] == "user":
        user = await repository.get_user(session, subject)
        sid = claims.get("sid")
        auth_session = await repository.get_auth_session(session, uuid.UUID(str(sid))) if sid else None
        if user is None or not user.is_active or auth_session is None or auth_session.revoked_at is not None:
            return None
        roles = frozenset(user.roles)
        # Roles may have shrunk since the token was issued: never grant more than they allow now.
        scopes = token_scopes & scopes_for_roles(roles)
        return Standing("user", subject, organisation_id, scopes, roles, auth_session.id, sees_all_jobs(user))
    if claims["kind"] == "client":
        client = await repository.get_client(session, subject)
        if client is None or not client.is_active:
            return None
        scopes = token_scopes & frozenset(client.scopes)
        return Standing("client", subject, organisation_id, scopes, frozenset(), None, True)
    return None


async def authenticate_bearer(request: Request, session: AsyncSession) -> Principal:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("Send an access token as 'Authorization: Bearer <token>'.")
    keyring: KeyRing = request.app.state.keyring
    denied = Unauthorized(
        "The access token is invalid, expired or revoked.",
        headers={"WWW-Authenticate": 'Bearer realm="rolecall", error="invalid_token"'},
    )
    try:
        claims = await _verify(keyring, request, session, token)
        organisation_id = uuid.UUID(str(claims["org"]))
        uuid.UUID(str(claims["sub"]))
        if claims.get("sid") is not None:
            uuid.UUID(str(claims["sid"]))
    except (InvalidToken, ValueError) as exc:
        raise denied from exc
    bind_organisation(session, organisation_id)
    cache: PrincipalCache = request.app.state.principal_cache
    token_id = str(claims["jti"])
    standing = cache.get(token_id)
    if standing is None:
        generation = cache.generation()
        standing = await _standing(session, claims)
        if standing is None:
            raise denied
        cache.put(token_id, standing, generation)
    if standing.kind == "client":
        return Principal("client", standing.subject_id, organisation_id, standing.scopes, token_id=token_id)
    return staff_principal(
        session,
        standing.subject_id,
        organisation_id,
        standing.scopes,
        standing.roles,
        sees_all=standing.sees_all_jobs,
        token_id=token_id,
        session_id=standing.session_id,
    )


OrganisationRead = Annotated[Principal, Depends(requires("organisation:read"))]
OrganisationWrite = Annotated[Principal, Depends(requires("organisation:write"))]
UsersRead = Annotated[Principal, Depends(requires("users:read"))]
UsersWrite = Annotated[Principal, Depends(requires("users:write"))]
ClientsRead = Annotated[Principal, Depends(requires("clients:read"))]
ClientsWrite = Annotated[Principal, Depends(requires("clients:write"))]
AnyStaff = Annotated[Principal, Depends(requires())]


PAGE_COOKIE = "__Host-rolecall-session"


async def authenticate_page(request: Request, session: AsyncSession) -> Principal:
    """The signed-in staff member of a page request, from the session cookie of the sign-in page.

    Scopes come from the user's roles as they are now, so a role change takes effect at once.
    """
    cookie = request.cookies.get(PAGE_COOKIE)
    if not cookie:
        raise Unauthorized("Sign in to continue.")
    login = await repository.find_page_session(session, cookie_hash(cookie))
    if login is None or login.revoked_at is not None or login.expires_at <= utcnow():
        raise Unauthorized("Your session has ended; sign in again.")
    bind_organisation(session, login.organisation_id)
    user = await repository.get_user(session, login.user_id)
    if user is None or not user.is_active:
        raise Unauthorized("Your session has ended; sign in again.")
    roles = frozenset(user.roles)
    return staff_principal(
        session,
        user.id,
        login.organisation_id,
        scopes_for_roles(roles),
        roles,
        sees_all=sees_all_jobs(user),
        token_id=None,
        session_id=login.id,
    )
