"""Retention-rule queries. Tenant filtering is added by the platform, except where a system job
deliberately crosses tenants (said so with ``all_tenants()``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.tenancy import all_tenants
from rolecall.privacy.models import RetentionRule


async def list_rules(session: AsyncSession) -> Sequence[RetentionRule]:
    return (await session.scalars(select(RetentionRule).order_by(RetentionRule.outcome))).all()


async def get_rule(session: AsyncSession, outcome: str) -> RetentionRule | None:
    stmt = select(RetentionRule).where(RetentionRule.outcome == outcome)
    return (await session.scalars(stmt)).first()


async def organisations_with_rules(session: AsyncSession) -> list[uuid.UUID]:
    """Every organisation that has at least one rule: the retention job's work list."""
    stmt = (
        select(RetentionRule.organisation_id)
        .distinct()
        .order_by(RetentionRule.organisation_id)
        .execution_options(**all_tenants())
    )
    return list((await session.scalars(stmt)).all())
