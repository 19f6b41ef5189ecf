"""Job queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.jobs.models import Job, JobSettings
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.tenancy import all_tenants


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    return (await session.scalars(select(Job).where(Job.id == job_id))).first()


async def list_jobs(session: AsyncSession, params: PageParams, status: str | None = None) -> Sequence[Job]:
    stmt = select(Job)
    if status is not None:
        stmt = stmt.where(Job.status == status)
    return (await session.scalars(paginate_by_id(stmt, Job.id, params))).all()


async def open_jobs(session: AsyncSession) -> Sequence[Job]:
    return (await session.scalars(select(Job).where(Job.status == "open"))).all()


async def get_settings(session: AsyncSession) -> JobSettings | None:
    return (await session.scalars(select(JobSettings))).first()


async def slug_taken(session: AsyncSession, slug: str) -> bool:
    # Board slugs are public URLs, unique across every organisation.
    stmt = select(JobSettings.id).where(JobSettings.board_slug == slug).execution_options(**all_tenants())
    return (await session.scalars(stmt)).first() is not None


async def settings_by_slug(session: AsyncSession, slug: str) -> JobSettings | None:
    stmt = select(JobSettings).where(JobSettings.board_slug == slug).execution_options(**all_tenants())
    return (await session.scalars(stmt)).first()


async def settings_of(session: AsyncSession, organisation_id: uuid.UUID) -> JobSettings | None:
    """One organisation's settings whatever the session is bound to, for its public careers pages."""
    stmt = (
        select(JobSettings)
        .where(JobSettings.organisation_id == organisation_id)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()
