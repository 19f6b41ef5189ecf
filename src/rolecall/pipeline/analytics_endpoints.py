"""Analytics routes: funnels, time-in-stage, time-to-hire and source effectiveness.

Read-only and aggregate: the responses hold counts, stage names, job ids and titles, never personal
data. ``from`` and ``to`` are days (UTC, both inclusive) on the applications' creation dates.
Every report is also a CSV download: ask with ``Accept: text/csv`` (content negotiation; JSON stays
the default) or with ``format=csv``, the form the staff pages' links use, since a plain link, a
browser or a spreadsheet's "from web" import cannot set ``Accept``.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from rolecall.pipeline import analytics, analytics_csv
from rolecall.pipeline.analytics_schemas import Funnel, Period, SourceReport, TimeToHireReport
from rolecall.pipeline.auth import AnalyticsRead
from rolecall.platform.auth import DbSession
from rolecall.platform.csv_export import csv_response, csv_responses, filename
from rolecall.platform.strict import IsoDate

router = APIRouter(prefix="/v1", tags=["analytics"])
JobFilter = Annotated[uuid.UUID | None, Query(description="Only this job's applications")]


def _period(
    start: Annotated[
        IsoDate | None, Query(alias="from", description="First day (UTC) of applications")
    ] = None,
    end: Annotated[IsoDate | None, Query(alias="to", description="Last day (UTC) of applications")] = None,
) -> Period:
    return analytics.period_of(start, end)


Window = Annotated[Period, Depends(_period)]
Format = Annotated[
    Literal["json", "csv"] | None,
    Query(
        description="`csv` answers the report as a CSV attachment (`text/csv`) instead of JSON; "
        "without it, `Accept: text/csv` does the same"
    ),
]


def _wants_csv(request: Request, format: str | None) -> bool:
    """``format`` wins when given; otherwise ``Accept`` decides (JSON when it does not name text/csv)."""
    if format is not None:
        return format == "csv"
    best: dict[str, float] = {}
    for part in request.headers.get("accept", "").split(","):
        media, *params = (piece.strip() for piece in part.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best[media.lower()] = max(quality, best.get(media.lower(), 0.0))
    csv_q = best.get("text/csv", 0.0)
    if "application/json" in best:  # both named: the higher quality wins, JSON on a tie
        return csv_q > best["application/json"]
    # JSON only through a wildcard: a client naming text/csv means it, unless it rates it lower.
    return csv_q > 0 and csv_q >= max(best.get("*/*", 0.0), best.get("application/*", 0.0))


def _csv(table: analytics_csv.Table, name: str) -> Response:
    header, rows = table
    return csv_response(header, rows, filename(name))


@router.get(
    "/analytics/jobs/{job_id}/funnel",
    response_model=Funnel,
    summary="A job's funnel in its stage order, with time in stage and time to hire",
    responses=csv_responses("The funnel (JSON, or CSV with one row per stage)"),
)
async def job_funnel(
    job_id: uuid.UUID,
    principal: AnalyticsRead,
    session: DbSession,
    request: Request,
    period: Window,
    format: Format = None,
) -> Funnel | Response:
    report = await analytics.job_funnel(session, principal, job_id, period)
    if _wants_csv(request, format):
        return _csv(analytics_csv.funnel_table(report), analytics_csv.download_name("funnel", period, job_id))
    return report


@router.get(
    "/analytics/funnel",
    response_model=Funnel,
    summary="The organisation's funnel by stage type, with time in stage and time to hire",
    responses=csv_responses("The funnel (JSON, or CSV with one row per stage type)"),
)
async def organisation_funnel(
    principal: AnalyticsRead,
    session: DbSession,
    request: Request,
    period: Window,
    job_id: JobFilter = None,
    format: Format = None,
) -> Funnel | Response:
    report = await analytics.organisation_funnel(session, principal, period, job_id)
    if _wants_csv(request, format):
        return _csv(analytics_csv.funnel_table(report), analytics_csv.download_name("funnel", period, job_id))
    return report


@router.get(
    "/analytics/time-to-hire",
    response_model=TimeToHireReport,
    summary="Days from application to hire, organisation-wide and per job",
    responses=csv_responses("The report (JSON, or CSV: the overall row, then one row per job)"),
)
async def time_to_hire(
    principal: AnalyticsRead,
    session: DbSession,
    request: Request,
    period: Window,
    job_id: JobFilter = None,
    format: Format = None,
) -> TimeToHireReport | Response:
    report = await analytics.time_to_hire_report(session, principal, period, job_id)
    if _wants_csv(request, format):
        name = analytics_csv.download_name("time-to-hire", period, job_id)
        return _csv(analytics_csv.time_to_hire_table(report), name)
    return report


@router.get(
    "/analytics/sources",
    response_model=SourceReport,
    summary="Source effectiveness: how far applications from each source get",
    responses=csv_responses("The report (JSON, or CSV with one row per source)"),
)
async def sources(
    principal: AnalyticsRead,
    session: DbSession,
    request: Request,
    period: Window,
    job_id: JobFilter = None,
    format: Format = None,
) -> SourceReport | Response:
    report = await analytics.source_report(session, principal, period, job_id)
    if _wants_csv(request, format):
        return _csv(
            analytics_csv.source_table(report), analytics_csv.download_name("sources", period, job_id)
        )
    return report
