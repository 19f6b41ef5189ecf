"""Expiry of identity rows that exist only for a bounded time."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity.mfa_models import MfaChallenge
from rolecall.identity.models import AuthSession, LoginThrottle, RefreshToken, RevokedAccessToken
from rolecall.platform.clock import utcnow
from rolecall.platform.tenancy import all_tenants


async def purge_expired_credentials(session: AsyncSession) -> dict[str, int]:
    now = utcnow()
    revoked = await session.execute(delete(RevokedAccessToken).where(RevokedAccessToken.expires_at < now))
    refresh = await session.execute(
        delete(RefreshToken).where(RefreshToken.expires_at < now).execution_options(**all_tenants())
    )
    # A login past its lifetime can never be refreshed again; its refresh tokens went just above.
    sessions = await session.execute(
        delete(AuthSession).where(AuthSession.expires_at < now).execution_options(**all_tenants())
    )
    throttles = await session.execute(
        delete(LoginThrottle).where(LoginThrottle.window_start < now - timedelta(days=1))
    )
    # An mfa_token lives five minutes; used or not, its row has no purpose after that.
    challenges = await session.execute(
        delete(MfaChallenge).where(MfaChallenge.expires_at < now).execution_options(**all_tenants())
    )
    return {
        "revoked_access_tokens": int(getattr(revoked, "rowcount", 0) or 0),
        "refresh_tokens": int(getattr(refresh, "rowcount", 0) or 0),
        "auth_sessions": int(getattr(sessions, "rowcount", 0) or 0),
        "login_throttles": int(getattr(throttles, "rowcount", 0) or 0),
        "mfa_challenges": int(getattr(challenges, "rowcount", 0) or 0),
    }
