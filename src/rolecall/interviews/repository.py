"""Interview and scorecard queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.interviews.models import Interview, Scorecard
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.sorting import Sorting, paginate_sorted


@dataclass(frozen=True)
class InterviewFilter:
    application_id: uuid.UUID | None = None
    interviewer_id: uuid.UUID | None = None
    starts_from: datetime | None = None
    starts_before: datetime | None = None
    status: str | None = None
    job_id: uuid.UUID | None = None


SORT_COLUMNS = {"scheduled": Interview.starts_at, "created": Interview.created_at}


async def get_interview(session: AsyncSession, interview_id: uuid.UUID) -> Interview | None:
    return (await session.scalars(select(Interview).where(Interview.id == interview_id))).first()


async def list_interviews(
    session: AsyncSession, where: InterviewFilter, params: PageParams, sorting: Sorting | None = None
) -> Sequence[Interview]:
    stmt = select(Interview)
    if where.application_id is not None:
        stmt = stmt.where(Interview.application_id == where.application_id)
    if where.job_id is not None:
        stmt = stmt.where(Interview.job_id == where.job_id)
    if where.status is not None:
        stmt = stmt.where(Interview.status == where.status)
    if where.interviewer_id is not None:
        # interviewer_ids is a JSON list of canonical UUID strings. Matching the quoted id in its text
        # works the same on SQLite and PostgreSQL (a JSON column keeps its text); a UUID holds no
        # LIKE wildcards, so the pattern matches that exact id only.
        stmt = stmt.where(cast(Interview.interviewer_ids, String).like(f'%"{where.interviewer_id}"%'))
    if where.starts_from is not None:
        stmt = stmt.where(Interview.starts_at >= where.starts_from)
    if where.starts_before is not None:
        stmt = stmt.where(Interview.starts_at < where.starts_before)
    if sorting is not None:
        stmt = paginate_sorted(stmt, SORT_COLUMNS[sorting.key], Interview.id, sorting, params)
    else:
        stmt = paginate_by_id(stmt, Interview.id, params)
    return (await session.scalars(stmt)).all()


async def upcoming_of_application(
    session: AsyncSession, application_id: uuid.UUID, now: datetime
) -> Sequence[Interview]:
    stmt = (
        select(Interview)
        .where(
            Interview.application_id == application_id,
            Interview.status == "scheduled",
            Interview.starts_at > now,
        )
        .order_by(Interview.id)
    )
    return (await session.scalars(stmt)).all()


async def interviews_of_application(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Interview]:
    stmt = select(Interview).where(Interview.application_id == application_id).order_by(Interview.id)
    return (await session.scalars(stmt)).all()


async def interviews_of_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[Interview]:
    stmt = select(Interview).where(Interview.candidate_id == candidate_id).order_by(Interview.id)
    return (await session.scalars(stmt)).all()


async def get_scorecard(
    session: AsyncSession, interview_id: uuid.UUID, interviewer_id: uuid.UUID
) -> Scorecard | None:
    stmt = select(Scorecard).where(
        Scorecard.interview_id == interview_id, Scorecard.interviewer_id == interviewer_id
    )
    return (await session.scalars(stmt)).first()


async def scorecards_of_interviews(
    session: AsyncSession, interview_ids: Sequence[uuid.UUID], *, submitted_only: bool = False
) -> Sequence[Scorecard]:
    if not interview_ids:
        return []
    stmt = select(Scorecard).where(Scorecard.interview_id.in_(list(interview_ids)))
    if submitted_only:
        stmt = stmt.where(Scorecard.status == "submitted")
    return (await session.scalars(stmt.order_by(Scorecard.id))).all()


async def submitted_scorecards_of_application(
    session: AsyncSession, application_id: uuid.UUID
) -> Sequence[Scorecard]:
    stmt = (
        select(Scorecard)
        .where(Scorecard.application_id == application_id, Scorecard.status == "submitted")
        .order_by(Scorecard.id)
    )
    return (await session.scalars(stmt)).all()


async def submitted_scorecards_of_job(
    session: AsyncSession, job_id: uuid.UUID
) -> Sequence[tuple[uuid.UUID, list[dict[str, Any]]]]:
    """(application id, attributes) of every submitted scorecard of a job's interviews, in one query."""
    stmt = (
        select(Scorecard.application_id, Scorecard.attributes)
        .join(Interview, Interview.id == Scorecard.interview_id)
        .where(Interview.job_id == job_id, Scorecard.status == "submitted")
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]
