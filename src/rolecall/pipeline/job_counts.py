"""Active applications per stage for many jobs at once, for the staff app's jobs list.

One grouped query for the whole page of jobs, so the list costs the same whether it shows three
jobs or fifty. Stage names are case-folded, as on the board, which matches them to the job's
stages the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.pipeline.board import CLOSED
from rolecall.pipeline.models import Application
from rolecall.platform.auth import Principal


async def active_stage_counts(
    session: AsyncSession, principal: Principal, job_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, dict[str, int]]:
    """``{job id: {case-folded stage name: active applications}}``; jobs without any are absent."""
    wanted = list(dict.fromkeys(job_ids))
    if not wanted:
        return {}
    stmt = (
        select(Application.job_id, Application.stage, func.count())
        .where(
            Application.job_id.in_(wanted),
            Application.merged_into_id.is_(None),
            Application.status.not_in(CLOSED),
        )
        .group_by(Application.job_id, Application.stage)
    )
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for job_id, stage, count in (await session.execute(stmt)).all():
        per_job = counts.setdefault(job_id, {})
        per_job[stage.casefold()] = per_job.get(stage.casefold(), 0) + count
    return counts
