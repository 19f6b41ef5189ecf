"""OAuth 2.0 grants (RFC 6749), refresh-token rotation with reuse detection, revocation (RFC 7009).

Errors are :class:`OAuthError` with the RFC's error codes; the endpoint renders them as the RFC's
JSON body rather than problem+json because OAuth client libraries parse exactly that shape.
"""

from __future__ import annotations

import contextlib
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.config import Settings
from rolecall.identity import mfa, repository, throttle
from rolecall.identity.models import ApiClient, AuthSession, RefreshToken, RevokedAccessToken, User
from rolecall.identity.passwords import hash_password, needs_rehash, verify_password
from rolecall.identity.permissions import scopes_for_roles
from rolecall.identity.schemas import TokenResponse
from rolecall.identity.tokens import InvalidToken, KeyRing
from rolecall.platform.clock import utcnow
from rolecall.platform.tenancy import bind_organisation

FIRST_PARTY_CLIENT = "rolecall"


class OAuthError(Exception):
    def __init__(
        self,
        error: str,
        description: str,
        status: int = 400,
        headers: dict[str, str] | None = None,
        extra: dict[str, str] | None = None,
    ):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.headers = headers or {}
        # Members added to the error body (the MFA challenge's ``mfa_token``).
        self.extra = extra or {}


def _invalid_credentials() -> OAuthError:
    # One message for a wrong password, an unknown e-mail and a disabled account.
    return OAuthError("invalid_grant", "The e-mail address or password is incorrect.")


def _hash_refresh(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _narrow(requested: str | None, granted: frozenset[str]) -> frozenset[str]:
    if not requested:
        return granted
    asked = frozenset(requested.split())
    if not asked <= granted:
        raise OAuthError("invalid_scope", "The requested scope exceeds what this account may be granted.")
    return asked


@dataclass
class GrantContext:
    session: AsyncSession
    settings: Settings
    keyring: KeyRing
    address: str


async def _issue_refresh(ctx: GrantContext, auth_session: AuthSession, scope: str) -> str:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    ctx.session.add(
        RefreshToken(
            organisation_id=auth_session.organisation_id,
            session_id=auth_session.id,
            token_hash=_hash_refresh(token),
            scope=scope,
            issued_at=now,
            expires_at=min(
                auth_session.expires_at, now + timedelta(seconds=ctx.settings.refresh_token_ttl_seconds)
            ),
        )
    )
    await ctx.session.flush()
    return token


def _user_tokens(
    ctx: GrantContext, user: User, scopes: frozenset[str], auth_session: AuthSession
) -> tuple[str, int]:
    access, _jti, ttl = ctx.keyring.issue_access_token(
        subject=user.id,
        organisation_id=user.organisation_id,
        scopes=scopes,
        client_id=FIRST_PARTY_CLIENT,
        kind="user",
        roles=frozenset(user.roles),
        session_id=auth_session.id,
    )
    return access, ttl


# An address may have an account in several organisations; a sign-in that names none tries the
# password on each (one argon2 verification apiece), up to this many.
MAX_ACCOUNTS_PER_ADDRESS = 5


def _organisation_id(organisation: str | None) -> uuid.UUID | None:
    if not organisation:
        return None
    try:
        return uuid.UUID(organisation.strip())
    except ValueError as exc:
        raise OAuthError("invalid_request", "organisation must be an organisation id (a UUID).") from exc


async def _check_password(
    ctx: GrantContext, email: str, password: str, organisation: str | None = None
) -> User:
    """The user behind an e-mail and password, with the failed-login throttle both sign-ins share.

    Addresses are unique per organisation only. Without ``organisation`` the password is tried on
    every active account with the address (an unknown address costs one verification against a
    dummy hash, like before); exactly one must match. If several do, the answer asks the caller to
    name the organisation and says nothing about which organisations those are.
    """
    if not email or not password:
        raise OAuthError("invalid_request", "Both username and password are required.")
    keys = throttle.keys_for(ctx.settings, email, ctx.address)
    wait = await throttle.retry_after(ctx.session, ctx.settings, keys)
    if wait is not None:
        raise OAuthError(
            "slow_down", "Too many failed sign-in attempts; try again later.", 429, {"Retry-After": str(wait)}
        )
    candidates = await repository.find_users_for_login(
        ctx.session, email.strip().lower(), _organisation_id(organisation), MAX_ACCOUNTS_PER_ADDRESS
    )
    # Every candidate is verified (no early exit), so the work does not depend on which one matches.
    verified = [verify_password(user.password_hash, password) for user in candidates] or [
        verify_password(None, password)
    ]
    matches = [user for user, valid in zip(candidates, verified, strict=False) if valid]
    if not matches:
        await throttle.record_failure(ctx.session, ctx.settings, keys)
        raise _invalid_credentials()
    if len(matches) > 1:
        raise OAuthError(
            "organisation_required",
            "This e-mail address and password open accounts in more than one organisation; "
            "send organisation with the id of the one to sign in to.",
        )
    user = matches[0]
    await throttle.clear_account(ctx.session, keys)
    bind_organisation(ctx.session, user.organisation_id)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


async def _start_login(
    ctx: GrantContext, user: User, seconds: int, cookie_hash: str | None = None, **facts: str
) -> AuthSession:
    now = utcnow()
    auth_session = AuthSession(
        user_id=user.id, created_at=now, expires_at=now + timedelta(seconds=seconds), cookie_hash=cookie_hash
    )
    ctx.session.add(auth_session)
    await ctx.session.flush()
    audit.record(
        ctx.session,
        actor=f"user:{user.id}",
        action="auth.login",
        target_type="auth_session",
        target_id=auth_session.id,
        **({"via": "sign-in page"} if cookie_hash else {}),
        **facts,
    )
    return auth_session


MFA_CHALLENGES = {
    "verify": (
        "mfa_required",
        "The password was right; this account also needs a one-time code. Send it with the "
        "mfa_token using grant_type urn:rolecall:params:oauth:grant-type:mfa-otp.",
    ),
    "enrol": (
        "mfa_enrolment_required",
        "The password was right; this organisation requires two-step sign-in and the account has "
        "no authenticator yet. Start the enrolment with the mfa_token at /v1/oauth/mfa/enrolment.",
    ),
}


async def _second_step(ctx: GrantContext, user: User, channel: mfa.Channel, scope: str | None) -> None:
    """Stop a password sign-in that needs a second factor with a challenge carrying an mfa_token."""
    purpose = await mfa.required_step(ctx.session, user)
    if purpose is None:
        return
    token = await mfa.create_challenge(ctx.session, user, purpose, channel, scope)
    error, description = MFA_CHALLENGES[purpose]
    # 401: the credentials are not complete yet (403 would say "never allowed"; RFC 9110 15.5).
    raise OAuthError(error, description, 401, extra={"mfa_token": token})


async def password_grant(
    ctx: GrantContext, email: str, password: str, scope: str | None, organisation: str | None = None
) -> TokenResponse:
    user = await _check_password(ctx, email, password, organisation)
    scopes = _narrow(scope, scopes_for_roles(user.roles))
    await _second_step(ctx, user, "api", scope)
    return await issue_login_tokens(ctx, user, scopes)


async def issue_login_tokens(
    ctx: GrantContext, user: User, scopes: frozenset[str], **facts: str
) -> TokenResponse:
    """Start a login for a user who proved who they are, and return its tokens."""
    auth_session = await _start_login(ctx, user, ctx.settings.refresh_token_ttl_seconds, **facts)
    access, ttl = _user_tokens(ctx, user, scopes, auth_session)
    refresh = await _issue_refresh(ctx, auth_session, " ".join(sorted(scopes)))
    return TokenResponse(
        access_token=access, expires_in=ttl, scope=" ".join(sorted(scopes)), refresh_token=refresh
    )


def cookie_hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


async def page_sign_in(ctx: GrantContext, email: str, password: str, organisation: str | None = None) -> str:
    """Start a login for the staff pages and return the session cookie's value.

    It is the same kind of login as a password grant (one ``auth_sessions`` row), so revoking the
    login, deactivating the user or a refresh-token reuse alarm ends the page session too. Only a
    hash of the cookie is stored. A second factor, when due, raises the same challenge as the grant.
    """
    user = await _check_password(ctx, email, password, organisation)
    await _second_step(ctx, user, "page", None)
    return await start_page_login(ctx, user)


async def start_page_login(ctx: GrantContext, user: User, **facts: str) -> str:
    cookie = secrets.token_urlsafe(32)
    await _start_login(ctx, user, ctx.settings.page_session_hours * 3600, cookie_hash(cookie), **facts)
    return cookie


async def page_sign_out(ctx: GrantContext, session_id: uuid.UUID, user_id: uuid.UUID) -> None:
    await repository.revoke_auth_sessions(ctx.session, session_id=session_id, reason="signed_out")
    audit.record(
        ctx.session,
        actor=f"user:{user_id}",
        action="auth.revoked",
        target_type="auth_session",
        target_id=session_id,
    )


async def refresh_grant(ctx: GrantContext, refresh_token: str, scope: str | None) -> TokenResponse:
    if not refresh_token:
        raise OAuthError("invalid_request", "refresh_token is required.")
    row = await repository.find_refresh_token(ctx.session, _hash_refresh(refresh_token))
    invalid = OAuthError("invalid_grant", "The refresh token is invalid, expired or revoked.")
    if row is None:
        raise invalid
    bind_organisation(ctx.session, row.organisation_id)
    auth_session = await repository.get_auth_session(ctx.session, row.session_id)
    now = utcnow()
    if auth_session is None or auth_session.revoked_at is not None or row.expires_at <= now:
        raise invalid
    if row.used_at is None:
        user = await repository.get_user(ctx.session, auth_session.user_id)
        if user is None or not user.is_active:
            raise invalid
        # Checked before the token is spent: a refused request must leave it usable.
        scopes = _narrow(scope, frozenset(row.scope.split()) & scopes_for_roles(user.roles))
        # Spend the token with a conditional update, so of two concurrent uses only one wins.
        if await repository.mark_refresh_token_used(ctx.session, row.id, now):
            access, ttl = _user_tokens(ctx, user, scopes, auth_session)
            # RFC 6749 6: the new refresh token carries the scope of the one it replaces, so
            # narrowing one access token does not shrink the login for good.
            new_refresh = await _issue_refresh(ctx, auth_session, row.scope)
            return TokenResponse(
                access_token=access, expires_in=ttl, scope=" ".join(sorted(scopes)), refresh_token=new_refresh
            )
    # A rotated token came back: someone holds a copy. End the whole family (RFC 9700 4.14.2).
    await repository.revoke_auth_sessions(ctx.session, session_id=auth_session.id, reason="refresh_reuse")
    audit.record(
        ctx.session,
        actor="system:auth",
        action="auth.refresh_reuse_detected",
        target_type="auth_session",
        target_id=auth_session.id,
    )
    raise invalid


async def authenticate_client(
    ctx: GrantContext, client_id: str | None, client_secret: str | None
) -> ApiClient:
    if not client_id or not client_secret:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    client = await repository.find_client_for_login(ctx.session, client_id)
    valid = verify_password(client.secret_hash if client else None, client_secret)
    if client is None or not valid or not client.is_active:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    bind_organisation(ctx.session, client.organisation_id)
    return client


async def client_credentials_grant(ctx: GrantContext, client: ApiClient, scope: str | None) -> TokenResponse:
    scopes = _narrow(scope, frozenset(client.scopes))
    access, _jti, ttl = ctx.keyring.issue_access_token(
        subject=client.id,
        organisation_id=client.organisation_id,
        scopes=scopes,
        client_id=client.client_id,
        kind="client",
    )
    audit.record(
        ctx.session,
        actor=f"client:{client.id}",
        action="auth.client_token",
        target_type="api_client",
        target_id=client.id,
    )
    return TokenResponse(access_token=access, expires_in=ttl, scope=" ".join(sorted(scopes)))


async def revoke(ctx: GrantContext, token: str, hint: str | None) -> None:
    """RFC 7009: revoke whatever the token is; unknown or already-invalid tokens are not an error.

    The hint only orders the search (section 2.1): a token not found under it is looked up as the
    other type too, so a wrong hint never leaves a token alive.
    """
    if hint == "access_token":
        if not await _revoke_access_token(ctx, token):
            await _revoke_refresh_token(ctx, token)
    elif not await _revoke_refresh_token(ctx, token):
        await _revoke_access_token(ctx, token)


async def _revoke_refresh_token(ctx: GrantContext, token: str) -> bool:
    row = await repository.find_refresh_token(ctx.session, _hash_refresh(token))
    if row is None:
        return False
    bind_organisation(ctx.session, row.organisation_id)
    await repository.revoke_auth_sessions(ctx.session, session_id=row.session_id, reason="revoked")
    audit.record(
        ctx.session,
        actor="system:auth",
        action="auth.revoked",
        target_type="auth_session",
        target_id=row.session_id,
    )
    return True


async def _revoke_access_token(ctx: GrantContext, token: str) -> bool:
    try:
        claims = ctx.keyring.verify(token)
    except InvalidToken:
        return False
    expires = datetime.fromtimestamp(int(claims["exp"]), tz=UTC)
    if await ctx.session.get(RevokedAccessToken, claims["jti"]) is None:
        # A concurrent revocation of the same token may insert it first; that is success too.
        with contextlib.suppress(IntegrityError):
            async with ctx.session.begin_nested():
                ctx.session.add(RevokedAccessToken(jti=claims["jti"], expires_at=expires))
    organisation_id = uuid.UUID(claims["org"])
    bind_organisation(ctx.session, organisation_id)
    if claims.get("sid"):
        # Logging out with an access token ends the login it belongs to, refresh tokens included.
        await repository.revoke_auth_sessions(
            ctx.session, session_id=uuid.UUID(claims["sid"]), reason="revoked"
        )
    audit.record(
        ctx.session,
        actor=f"{claims['kind']}:{claims['sub']}",
        action="auth.revoked",
        target_type="access_token",
        target_id=None,
    )
    return True
