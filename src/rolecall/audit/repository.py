from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit.models import AuditEntry
from rolecall.platform.pagination import PageParams, paginate_by_id


async def list_entries(session: AsyncSession, params: PageParams, action: str | None) -> Sequence[AuditEntry]:
    stmt = select(AuditEntry)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    return (await session.scalars(paginate_by_id(stmt, AuditEntry.id, params, AuditEntry.occurred_at))).all()
