"""The second step of a password sign-in: the ``mfa-otp`` grant and enrolment with an ``mfa_token``.

A password grant (or the sign-in page) that needs a second factor answers ``mfa_required`` or
``mfa_enrolment_required`` with an ``mfa_token`` (see :func:`rolecall.identity.oauth._second_step`).
The token is all the client holds until the sign-in completes, so it opens only these calls: the
enrolment of the user it is bound to, and the grant that spends it. Errors are :class:`OAuthError`,
rendered as RFC 6749 bodies like the other grants.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity import mfa, oauth, repository
from rolecall.identity.mfa_models import MfaChallenge
from rolecall.identity.models import User
from rolecall.identity.oauth import GrantContext, OAuthError
from rolecall.identity.permissions import scopes_for_roles
from rolecall.identity.schemas import TokenResponse
from rolecall.platform.errors import Conflict
from rolecall.platform.tenancy import bind_organisation

MFA_OTP_GRANT = "urn:rolecall:params:oauth:grant-type:mfa-otp"


INVALID_TOKEN = "The mfa_token is invalid, expired or already used."  # noqa: S105 - a message


def _invalid_token() -> OAuthError:
    return OAuthError("invalid_grant", INVALID_TOKEN)


async def _challenge(
    session: AsyncSession, token: str, channel: mfa.Channel, purpose: mfa.Purpose | None = None
) -> tuple[MfaChallenge, User]:
    challenge = await mfa.find_challenge(session, token, channel)
    if challenge is None or (purpose is not None and challenge.purpose != purpose):
        raise _invalid_token()
    bind_organisation(session, challenge.organisation_id)
    user = await repository.get_user(session, challenge.user_id)
    if user is None or not user.is_active:
        raise _invalid_token()
    return challenge, user


async def challenge_purpose(session: AsyncSession, token: str, channel: mfa.Channel) -> mfa.Purpose | None:
    """What a live token is for (pages choose the code form or the enrolment form), or ``None``."""
    try:
        challenge, _user = await _challenge(session, token, channel)
    except OAuthError:
        return None
    return "enrol" if challenge.purpose == "enrol" else "verify"


async def enrolment(ctx: GrantContext, token: str, channel: mfa.Channel, *, restart: bool) -> mfa.Enrolment:
    """The authenticator set-up a ``mfa_enrolment_required`` token allows.

    ``restart`` makes a new secret (the API call); the page shows the pending one again on reload.
    """
    if not token:
        raise OAuthError("invalid_request", "mfa_token is required.")
    _challenge_row, user = await _challenge(ctx.session, token, channel, "enrol")
    if not restart:
        pending = await mfa.pending_enrolment(ctx.session, ctx.settings, user)
        if pending is not None:
            return pending
    try:
        return await mfa.start_enrolment(ctx.session, ctx.settings, user, actor=f"user:{user.id}")
    except Conflict as exc:
        raise _invalid_token() from exc


async def _second_factor(
    ctx: GrantContext, challenge: MfaChallenge, user: User, code: str
) -> tuple[mfa.Method, list[str] | None]:
    try:
        if challenge.purpose == "enrol":
            codes = await mfa.confirm_enrolment(
                ctx.session, ctx.settings, user, code, ctx.address, actor=f"user:{user.id}"
            )
            return "totp", codes
        return await mfa.verify_second_factor(ctx.session, ctx.settings, user, code, ctx.address), None
    except mfa.CodeThrottled as exc:
        raise OAuthError(
            "slow_down",
            "Too many failed sign-in attempts; try again later.",
            429,
            {"Retry-After": str(exc.retry_after)},
        ) from exc
    except mfa.CodeRejected as exc:
        await mfa.record_rejection(ctx.session, ctx.settings, exc)
        raise OAuthError("invalid_grant", "The one-time code is incorrect or was already used.") from exc
    except Conflict as exc:
        raise OAuthError("invalid_grant", "Set up the authenticator with the mfa_token first.") from exc


async def _complete(
    ctx: GrantContext, token: str, code: str, channel: mfa.Channel
) -> tuple[MfaChallenge, User, mfa.Method, list[str] | None]:
    if not token or not code:
        raise OAuthError("invalid_request", "Both mfa_token and otp are required.")
    challenge, user = await _challenge(ctx.session, token, channel)
    method, codes = await _second_factor(ctx, challenge, user, code)
    if not await mfa.spend_challenge(ctx.session, challenge):
        raise _invalid_token()
    return challenge, user, method, codes


async def mfa_otp_grant(ctx: GrantContext, token: str, otp: str) -> TokenResponse:
    """Finish a password grant with a TOTP code or a recovery code (or a first code, enrolling)."""
    challenge, user, method, codes = await _complete(ctx, token, otp, "api")
    # Roles may have changed in the minutes since the password: grant what they allow now.
    scopes = oauth._narrow(challenge.scope, scopes_for_roles(user.roles))
    tokens = await oauth.issue_login_tokens(ctx, user, scopes, mfa=method)
    return tokens.model_copy(update={"recovery_codes": codes})


async def page_second_step(ctx: GrantContext, token: str, code: str) -> tuple[str, list[str] | None]:
    """Finish a sign-in on the pages; returns the session cookie and any new recovery codes."""
    _challenge_row, user, method, codes = await _complete(ctx, token, code, "page")
    return await oauth.start_page_login(ctx, user, mfa=method), codes
