"""Queries of board keys. The tenancy guard adds the organisation filter."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.compat.models import BoardKey


async def list_keys(session: AsyncSession) -> list[BoardKey]:
    stmt = select(BoardKey).order_by(BoardKey.id)
    return list((await session.scalars(stmt)).all())


async def get_key(session: AsyncSession, key_id: uuid.UUID) -> BoardKey | None:
    return (await session.scalars(select(BoardKey).where(BoardKey.id == key_id))).one_or_none()


async def live_key_by_prefix(session: AsyncSession, prefix: str) -> BoardKey | None:
    stmt = select(BoardKey).where(BoardKey.prefix == prefix, BoardKey.revoked_at.is_(None))
    return (await session.scalars(stmt)).one_or_none()
