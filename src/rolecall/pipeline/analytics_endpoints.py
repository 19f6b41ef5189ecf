"""Analytics routes: funnels, time-in-stage, time-to-hire and source effectiveness.

Read-only and aggregate: the responses hold counts, stage names and ids, never personal data.
``from`` and ``to`` are days (UTC, both inclusive) on the applications' creation dates.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from rolecall.pipeline import analytics
from rolecall.pipeline.analytics_schemas import Funnel, Period, SourceReport, TimeToHireReport
from rolecall.pipeline.auth import AnalyticsRead
from rolecall.platform.auth import DbSession

router = APIRouter(prefix="/v1", tags=["analytics"])
JobFilter = Annotated[uuid.UUID | None, Query(description="Only this job's applications")]


def _period(
    start: Annotated[date | None, Query(alias="from", description="First day (UTC) of applications")] = None,
    end: Annotated[date | None, Query(alias="to", description="Last day (UTC) of applications")] = None,
) -> Period:
    return analytics.period_of(start, end)


Window = Annotated[Period, Depends(_period)]


@router.get(
    "/analytics/jobs/{job_id}/funnel",
    response_model=Funnel,
    summary="A job's funnel in its stage order, with time in stage and time to hire",
)
async def job_funnel(
    job_id: uuid.UUID, principal: AnalyticsRead, session: DbSession, period: Window
) -> Funnel:
    return await analytics.job_funnel(session, principal, job_id, period)


@router.get(
    "/analytics/funnel",
    response_model=Funnel,
    summary="The organisation's funnel by stage type, with time in stage and time to hire",
)
async def organisation_funnel(
    principal: AnalyticsRead, session: DbSession, period: Window, job_id: JobFilter = None
) -> Funnel:
    return await analytics.organisation_funnel(session, principal, period, job_id)


@router.get(
    "/analytics/time-to-hire",
    response_model=TimeToHireReport,
    summary="Days from application to hire, organisation-wide and per job",
)
async def time_to_hire(
    principal: AnalyticsRead, session: DbSession, period: Window, job_id: JobFilter = None
) -> TimeToHireReport:
    return await analytics.time_to_hire_report(session, principal, period, job_id)


@router.get(
    "/analytics/sources",
    response_model=SourceReport,
    summary="Source effectiveness: how far applications from each source get",
)
async def sources(
    principal: AnalyticsRead, session: DbSession, period: Window, job_id: JobFilter = None
) -> SourceReport:
    return await analytics.source_report(session, principal, period, job_id)
