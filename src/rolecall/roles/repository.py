"""Role-profile queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.roles.models import RoleProfileRecord, RoleProfileVersion


async def get_profile(session: AsyncSession, profile_id: uuid.UUID) -> RoleProfileRecord | None:
    return (
        await session.scalars(select(RoleProfileRecord).where(RoleProfileRecord.id == profile_id))
    ).first()


async def get_profile_by_slug(session: AsyncSession, slug: str) -> RoleProfileRecord | None:
    stmt = select(RoleProfileRecord).where(RoleProfileRecord.slug == slug)
    return (await session.scalars(stmt)).first()


async def list_profiles(session: AsyncSession, params: PageParams) -> Sequence[RoleProfileRecord]:
    stmt = paginate_by_id(select(RoleProfileRecord), RoleProfileRecord.id, params)
    return (await session.scalars(stmt)).all()


async def get_version(session: AsyncSession, profile_id: uuid.UUID, number: int) -> RoleProfileVersion | None:
    stmt = select(RoleProfileVersion).where(
        RoleProfileVersion.profile_id == profile_id, RoleProfileVersion.number == number
    )
    return (await session.scalars(stmt)).first()


async def list_versions(
    session: AsyncSession, profile_id: uuid.UUID, params: PageParams
) -> Sequence[RoleProfileVersion]:
    stmt = paginate_by_id(
        select(RoleProfileVersion).where(RoleProfileVersion.profile_id == profile_id),
        RoleProfileVersion.id,
        params,
    )
    return (await session.scalars(stmt)).all()


async def current_documents(
    session: AsyncSession, ids: Sequence[uuid.UUID] | None = None
) -> list[tuple[RoleProfileRecord, RoleProfileVersion]]:
    """The organisation's profiles (all, or those in ``ids``) with their latest versions."""
    stmt = select(RoleProfileRecord, RoleProfileVersion).join(
        RoleProfileVersion,
        (RoleProfileVersion.profile_id == RoleProfileRecord.id)
        & (RoleProfileVersion.number == RoleProfileRecord.version),
    )
    if ids is not None:
        stmt = stmt.where(RoleProfileRecord.id.in_(ids))
    return [(record, version) for record, version in await session.execute(stmt)]


async def has_profiles(session: AsyncSession) -> bool:
    return (await session.scalars(select(RoleProfileRecord.id).limit(1))).first() is not None
