"""Job queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.jobs.models import Job, JobSettings
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.sorting import Sorting, paginate_sorted
from rolecall.platform.tenancy import all_tenants

# The statements of the hottest reads are built once and run with bound parameters: building a
# statement costs as much as running it through the ORM's compiled cache.
_JOB_BY_ID = select(Job).where(Job.id == bindparam("job_id"))
_SETTINGS = select(JobSettings)


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    return (await session.scalars(_JOB_BY_ID, {"job_id": job_id})).first()


async def job_titles(session: AsyncSession, job_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(Job.id, Job.title).where(Job.id.in_(job_ids)))
    return {row.id: row.title for row in rows}


@dataclass(frozen=True)
class JobFilter:
    """What ``GET /v1/jobs`` narrows the list by; every field left empty does not filter."""

    statuses: tuple[str, ...] = ()
    department: str | None = None
    hiring_team_member: uuid.UUID | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    updated_after: datetime | None = None
    updated_before: datetime | None = None


SORT_COLUMNS = {"created": Job.created_at, "updated": Job.updated_at, "title": Job.title}


def _with_team_member(stmt: Any, user_id: uuid.UUID) -> Any:
    # hiring_team is a JSON list of {"user_id": "<canonical uuid>", "role": ...}; only user ids are
    # UUIDs in it, so matching the quoted id in the column's text finds exactly that member, the same
    # way on SQLite and PostgreSQL (a UUID holds no LIKE wildcards).
    return stmt.where(cast(Job.hiring_team, String).like(f'%"{user_id}"%'))


async def list_jobs(
    session: AsyncSession,
    params: PageParams,
    where: JobFilter | None = None,
    sorting: Sorting | None = None,
) -> Sequence[Job]:
    where = where or JobFilter()
    stmt = select(Job)
    if where.statuses:
        stmt = stmt.where(Job.status.in_(where.statuses))
    if where.department is not None:
        stmt = stmt.where(func.lower(Job.department) == where.department.lower())
    if where.hiring_team_member is not None:
        stmt = _with_team_member(stmt, where.hiring_team_member)
    if where.created_after is not None:
        stmt = stmt.where(Job.created_at >= where.created_after)
    if where.created_before is not None:
        stmt = stmt.where(Job.created_at < where.created_before)
    if where.updated_after is not None:
        stmt = stmt.where(Job.updated_at >= where.updated_after)
    if where.updated_before is not None:
        stmt = stmt.where(Job.updated_at < where.updated_before)
    if sorting is not None:
        stmt = paginate_sorted(stmt, SORT_COLUMNS[sorting.key], Job.id, sorting, params)
    else:
        stmt = paginate_by_id(stmt, Job.id, params)
    return (await session.scalars(stmt)).all()


async def job_ids_with_team_member(session: AsyncSession, user_id: uuid.UUID) -> list[uuid.UUID]:
    return list((await session.scalars(_with_team_member(select(Job.id), user_id))).all())


async def open_jobs(session: AsyncSession) -> Sequence[Job]:
    return (await session.scalars(select(Job).where(Job.status == "open"))).all()


async def get_settings(session: AsyncSession) -> JobSettings | None:
    return (await session.scalars(_SETTINGS)).first()


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
