"""Pipeline queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.pipeline.models import Application, ApplicationTransition, PipelineSettings
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.sorting import Sorting, paginate_sorted
from rolecall.platform.tenancy import all_tenants


async def get_settings(session: AsyncSession) -> PipelineSettings | None:
    return (await session.scalars(select(PipelineSettings))).first()


async def get_application(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    return (await session.scalars(select(Application).where(Application.id == application_id))).first()


async def live_application(
    session: AsyncSession, job_id: uuid.UUID, candidate_id: uuid.UUID
) -> Application | None:
    stmt = select(Application).where(
        Application.job_id == job_id,
        Application.candidate_id == candidate_id,
        Application.merged_into_id.is_(None),
    )
    return (await session.scalars(stmt)).first()


async def by_status_token(session: AsyncSession, token_hash: str) -> Application | None:
    """Across organisations on purpose: the status link is the candidate's only key, and the hash is
    unique across the table, so it names exactly one application wherever it lives."""
    stmt = (
        select(Application)
        .where(Application.status_token_hash == token_hash)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).first()


SORT_COLUMNS = {
    "applied": Application.created_at,
    "updated": Application.updated_at,
    "last_activity": Application.last_activity_at,
}


async def list_applications(
    session: AsyncSession,
    params: PageParams,
    *,
    job_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    status: str | None = None,
    stage: str | None = None,
    source: str | None = None,
    job_ids: Collection[uuid.UUID] | None = None,
    applied_after: datetime | None = None,
    applied_before: datetime | None = None,
    sorting: Sorting | None = None,
) -> Sequence[Application]:
    """``job_ids``: only applications to these jobs (the hiring-team filter; empty finds nothing)."""
    stmt = select(Application).where(Application.merged_into_id.is_(None))
    if job_id is not None:
        stmt = stmt.where(Application.job_id == job_id)
    if candidate_id is not None:
        stmt = stmt.where(Application.candidate_id == candidate_id)
    if status is not None:
        stmt = stmt.where(Application.status == status)
    if stage is not None:
        stmt = stmt.where(func.lower(Application.stage) == stage.lower())
    if source is not None:
        stmt = stmt.where(Application.source == source)
    if job_ids is not None:
        stmt = stmt.where(Application.job_id.in_(list(job_ids)))
    if applied_after is not None:
        stmt = stmt.where(Application.created_at >= applied_after)
    if applied_before is not None:
        stmt = stmt.where(Application.created_at < applied_before)
    if sorting is not None:
        stmt = paginate_sorted(stmt, SORT_COLUMNS[sorting.key], Application.id, sorting, params)
    else:
        stmt = paginate_by_id(stmt, Application.id, params)
    return (await session.scalars(stmt)).all()


async def ranked_for_job(session: AsyncSession, job_id: uuid.UUID, limit: int) -> Sequence[Application]:
    """A job's active applications, best match first (unscored last, then oldest first)."""
    stmt = (
        select(Application)
        .where(
            Application.job_id == job_id,
            Application.status == "active",
            Application.merged_into_id.is_(None),
        )
        .order_by(Application.match_score.is_(None), Application.match_score.desc(), Application.id)
        .limit(limit)
    )
    return (await session.scalars(stmt)).all()


async def applications_where(
    session: AsyncSession, *, include_merged: bool = False, **equal: object
) -> Sequence[Application]:
    """Live applications matching ``equal``; with ``include_merged``, those folded by a merge too
    (export and erasure must reach every row that holds a person's data)."""
    stmt = select(Application)
    if not include_merged:
        stmt = stmt.where(Application.merged_into_id.is_(None))
    for column, value in equal.items():
        stmt = stmt.where(getattr(Application, column) == value)
    return (await session.scalars(stmt.order_by(Application.id))).all()


async def candidate_ids_where(session: AsyncSession, **equal: object) -> list[uuid.UUID]:
    """Distinct candidate ids of the live applications matching ``equal``: the column alone, so a
    filter over a large job does not load every application."""
    stmt = select(Application.candidate_id).where(Application.merged_into_id.is_(None)).distinct()
    for column, value in equal.items():
        stmt = stmt.where(getattr(Application, column) == value)
    return list((await session.scalars(stmt)).all())


async def transitions(session: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationTransition]:
    stmt = (
        select(ApplicationTransition)
        .where(ApplicationTransition.application_id == application_id)
        .order_by(ApplicationTransition.at, ApplicationTransition.id)
    )
    return (await session.scalars(stmt)).all()


async def last_transition(
    session: AsyncSession, application_id: uuid.UUID, action: str
) -> ApplicationTransition | None:
    stmt = (
        select(ApplicationTransition)
        .where(ApplicationTransition.application_id == application_id, ApplicationTransition.action == action)
        .order_by(ApplicationTransition.at.desc(), ApplicationTransition.id.desc())
        .limit(1)
    )
    return (await session.scalars(stmt)).first()


async def ended_before(session: AsyncSession, outcome: str, cutoff: datetime) -> list[uuid.UUID]:
    """Candidates whose every live application has ``outcome`` and went quiet before ``cutoff``."""
    stmt = (
        select(Application.candidate_id)
        .where(Application.merged_into_id.is_(None))
        .group_by(Application.candidate_id)
        .having(
            func.min(Application.status) == outcome,
            func.max(Application.status) == outcome,
            func.max(Application.last_activity_at) < cutoff,
        )
    )
    return list((await session.scalars(stmt)).all())


async def ranking_rows(
    session: AsyncSession, job_id: uuid.UUID, stage: str | None
) -> Sequence[tuple[uuid.UUID, uuid.UUID, str, datetime, int | None]]:
    """(id, candidate id, stage, created at, match score) of a job's active applications: the columns a
    ranking of thousands needs, without loading whole rows."""
    stmt = select(
        Application.id,
        Application.candidate_id,
        Application.stage,
        Application.created_at,
        Application.match_score,
    ).where(
        Application.job_id == job_id, Application.status == "active", Application.merged_into_id.is_(None)
    )
    if stage is not None:
        stmt = stmt.where(func.lower(Application.stage) == stage.casefold())
    return [tuple(row) for row in (await session.execute(stmt)).all()]  # type: ignore[misc]


async def matches_of(
    session: AsyncSession, application_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, dict[str, Any]]:
    if not application_ids:
        return {}
    stmt = select(Application.id, Application.match).where(Application.id.in_(list(application_ids)))
    return {row[0]: row[1] or {} for row in (await session.execute(stmt)).all()}
