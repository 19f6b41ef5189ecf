"""Identity queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity.models import ApiClient, AuthSession, Organisation, RefreshToken, User
from rolecall.identity.permissions import Role
from rolecall.platform.clock import utcnow
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.tenancy import all_tenants, current_organisation


async def get_organisation(session: AsyncSession, organisation_id: uuid.UUID) -> Organisation | None:
    return await session.get(Organisation, organisation_id)


# Built once, run with a bound parameter: the hottest read of the API (see jobs.repository).
_USER_BY_ID = select(User).where(User.id == bindparam("user_id"))


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return (await session.scalars(_USER_BY_ID, {"user_id": user_id})).first()


async def list_users(session: AsyncSession, params: PageParams) -> Sequence[User]:
    return (await session.scalars(paginate_by_id(select(User), User.id, params))).all()


async def active_admin_ids(session: AsyncSession) -> list[uuid.UUID]:
    # Roles are a JSON list, which the two databases query differently; organisations are small.
    rows = await session.execute(select(User.id, User.roles).where(User.is_active.is_(True)))
    return [user_id for user_id, roles in rows if Role.ADMIN.value in roles]


async def email_taken(session: AsyncSession, email: str) -> bool:
    # Unique per organisation only (the tenant filter applies): another tenant's staff stay unseen.
    stmt = select(User.id).where(User.email == email)
    return (await session.scalars(stmt)).first() is not None


async def find_users_for_login(
    session: AsyncSession, email: str, organisation_id: uuid.UUID | None, limit: int
) -> list[User]:
    """The active accounts a sign-in with this address may mean, across tenants (before one is known).

    With an organisation it is at most one account; without, one per organisation holding the
    address, oldest first, at most ``limit``.
    """
    stmt = select(User).where(User.email == email, User.is_active.is_(True))
    if organisation_id is not None:
        stmt = stmt.where(User.organisation_id == organisation_id)
    stmt = stmt.order_by(User.id).limit(limit).execution_options(**all_tenants())
    return list((await session.scalars(stmt)).all())


async def get_client(session: AsyncSession, client_pk: uuid.UUID) -> ApiClient | None:
    return (await session.scalars(select(ApiClient).where(ApiClient.id == client_pk))).first()


async def find_client_for_login(session: AsyncSession, client_id: str) -> ApiClient | None:
    stmt = select(ApiClient).where(ApiClient.client_id == client_id).execution_options(**all_tenants())
    return (await session.scalars(stmt)).first()


async def list_clients(session: AsyncSession, params: PageParams) -> Sequence[ApiClient]:
    return (await session.scalars(paginate_by_id(select(ApiClient), ApiClient.id, params))).all()


async def find_refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    stmt = (
        select(RefreshToken).where(RefreshToken.token_hash == token_hash).execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()


async def mark_refresh_token_used(session: AsyncSession, token_pk: uuid.UUID, when: datetime) -> bool:
    """Spend a refresh token; ``False`` if it was already spent (by this or a concurrent request)."""
    stmt = (
        update(RefreshToken)
        .where(RefreshToken.id == token_pk, RefreshToken.used_at.is_(None))
        .values(used_at=when)
        .execution_options(synchronize_session="fetch")
    )
    result = cast("CursorResult[Any]", await session.execute(stmt))
    return result.rowcount == 1


async def find_page_session(session: AsyncSession, cookie_hash: str) -> AuthSession | None:
    """The login a sign-in page cookie belongs to; looked up before the tenant is known."""
    stmt = (
        select(AuthSession).where(AuthSession.cookie_hash == cookie_hash).execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()


async def get_auth_session(session: AsyncSession, session_id: uuid.UUID) -> AuthSession | None:
    return (await session.scalars(select(AuthSession).where(AuthSession.id == session_id))).first()


async def revoke_auth_sessions(
    session: AsyncSession,
    *,
    session_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
    reason: str,
) -> None:
    stmt = update(AuthSession).where(AuthSession.revoked_at.is_(None))
    if session_id is not None:
        stmt = stmt.where(AuthSession.id == session_id)
    if user_id is not None:
        stmt = stmt.where(AuthSession.user_id == user_id)
    await session.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason))


async def find_login(session: AsyncSession, email: str) -> tuple[uuid.UUID, uuid.UUID] | None:
    # An address may exist in several organisations: a bound session means its own; otherwise the
    # oldest account, so the answer is the same every time.
    stmt = select(User.id, User.organisation_id).where(User.email == email).order_by(User.id)
    bound = current_organisation(session)
    if bound is not None:
        stmt = stmt.where(User.organisation_id == bound)
    row = (await session.execute(stmt.execution_options(**all_tenants()))).first()
    return (row[0], row[1]) if row is not None else None
