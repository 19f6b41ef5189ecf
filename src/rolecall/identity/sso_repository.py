"""Queries for single sign-on. Domain routing runs before anyone is signed in, so the domain lookup
is the one deliberate cross-tenant statement here; the rest is filtered by the platform as usual."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity.models import User
from rolecall.identity.sso_models import SsoConnection, SsoDomain
from rolecall.platform.tenancy import all_tenants


async def connection(session: AsyncSession) -> SsoConnection | None:
    """The bound organisation's connection (there is at most one)."""
    return (await session.scalars(select(SsoConnection))).first()


async def connection_by_id(session: AsyncSession, connection_id: uuid.UUID) -> SsoConnection | None:
    return (await session.scalars(select(SsoConnection).where(SsoConnection.id == connection_id))).first()


async def domains(session: AsyncSession, connection_id: uuid.UUID) -> list[str]:
    stmt = select(SsoDomain.domain).where(SsoDomain.connection_id == connection_id).order_by(SsoDomain.domain)
    return list((await session.scalars(stmt)).all())


async def delete_domains(session: AsyncSession, connection_id: uuid.UUID) -> None:
    await session.execute(delete(SsoDomain).where(SsoDomain.connection_id == connection_id))


async def claimed_elsewhere(session: AsyncSession, names: list[str], organisation_id: uuid.UUID) -> bool:
    """Whether another organisation routes any of these domains (across tenants, by design)."""
    stmt = (
        select(SsoDomain.id)
        .where(SsoDomain.domain.in_(names), SsoDomain.organisation_id != organisation_id)
        .limit(1)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first() is not None


async def route(session: AsyncSession, domain: str) -> SsoConnection | None:
    """The connection an e-mail domain belongs to, in whichever organisation (before one is known)."""
    stmt = (
        select(SsoConnection)
        .join(SsoDomain, SsoDomain.connection_id == SsoConnection.id)
        .where(SsoDomain.domain == domain)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()


async def user_by_email(session: AsyncSession, email: str) -> User | None:
    """The bound organisation's account with this address, active or not."""
    return (await session.scalars(select(User).where(User.email == email))).first()
