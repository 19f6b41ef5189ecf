"""Analytics pages: the organisation's and a job's funnel, time in stage, time to hire and sources,
each chart drawn as SVG on the server with its data table beside it. The numbers are exactly the
analytics API's (same service functions)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from rolecall.jobs import service as jobs
from rolecall.pipeline import analytics, analytics_csv, service
from rolecall.pipeline.analytics_schemas import Funnel, Period, SourceReport, TimeToHireReport
from rolecall.pipeline.board_view import source_label
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.csv_export import csv_response, filename
from rolecall.platform.errors import Unprocessable
from rolecall.platform.pagination import PageParams
from rolecall.web.auth import page_requires
from rolecall.web.charts import bar_chart
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False)
AnalyticsReader = Annotated[Principal, Depends(page_requires("analytics:read"))]
DateText = Annotated[str, Query(alias="from", max_length=10)]
MAX_JOBS_LISTED = 200


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[field] = "Enter a date as YYYY-MM-DD, for example 2026-11-30."
        return None


def _period(start: str, end: str, errors: dict[str, str]) -> Period:
    first, last = _day(start, "from", errors), _day(end, "to", errors)
    try:
        return analytics.period_of(first, last)
    except Unprocessable:
        errors["to"] = "The last day must not be before the first day."
        return analytics.period_of(None, None)


def _hours(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 1:
        return "under 1 h"
    return f"{value:.1f} h" if value < 48 else f"{value / 24:.1f} days"


def _label(name: str) -> str:
    """Stage types ("applied") read as words; a job's own stage names are shown as written."""
    return name[:1].upper() + name[1:]


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _funnel_charts(funnel: Funnel) -> dict[str, Any]:
    stages = funnel.stages
    return {
        "reached": bar_chart(
            "Applications that reached each stage",
            [(_label(s.name), s.reached, str(s.reached)) for s in stages],
        ),
        "conversion": bar_chart(
            "Conversion to the next stage",
            [(_label(s.name), s.conversion_to_next, _percent(s.conversion_to_next)) for s in stages[:-1]],
        ),
        "time": bar_chart(
            "Median time in stage",
            [
                (_label(s.name), s.time_in_stage.median_hours, _hours(s.time_in_stage.median_hours))
                for s in stages
            ],
        ),
    }


async def _jobs(session: DbSession, principal: Principal) -> list[Any]:
    found, _cursor = await jobs.list_jobs(
        session, principal, PageParams(limit=MAX_JOBS_LISTED, after=None), None
    )
    return sorted(found, key=lambda job: job.title.lower())


async def _report(
    request: Request,
    session: DbSession,
    principal: Principal,
    form: dict[str, str],
    errors: dict[str, str],
    *,
    funnel: Funnel,
    sources: SourceReport,
    hires: TimeToHireReport | None,
    titles: dict[uuid.UUID, str],
    job: Any = None,
) -> Response:
    """The organisation's and a job's report share one page; only their figures differ."""
    settings = await service.get_settings(session, principal.organisation_id)
    context = {
        "reason_labels": {reason["key"]: reason["label"] for reason in settings.reject_reasons},
        "funnel": funnel,
        "figures": _funnel_charts(funnel),
        "sources": sources,
        "source_chart": bar_chart(
            "Share of applications hired, by source",
            [(source_label(row.source), row.hire_rate, _percent(row.hire_rate)) for row in sources.sources],
        ),
        "hires": hires,
        "titles": titles,
        "form": form,
        "errors": errors,
        "hours": _hours,
        "percent": _percent,
        "label": _label,
        "source_label": source_label,
        "job": job,
        # The "Download CSV" links repeat the period (and job) shown, leaving out empty fields.
        "csv_query": urlencode(
            {key: value for key, value in {**form, "job_id": str(job.id) if job else ""}.items() if value}
        ),
    }
    return render(request, "pipeline/analytics.html", context, status_code=422 if errors else 200)


@router.get("/app/analytics")
async def organisation_report(
    request: Request,
    session: DbSession,
    principal: AnalyticsReader,
    start: DateText = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    errors: dict[str, str] = {}
    period = _period(start, end, errors)
    return await _report(
        request,
        session,
        principal,
        {"from": start, "to": end},
        errors,
        funnel=await analytics.organisation_funnel(session, principal, period),
        sources=await analytics.source_report(session, principal, period),
        hires=await analytics.time_to_hire_report(session, principal, period),
        titles={job.id: job.title for job in await _jobs(session, principal)},
    )


@router.get("/app/analytics/jobs/{job_id}")
async def job_report(
    job_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: AnalyticsReader,
    start: DateText = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
) -> Response:
    errors: dict[str, str] = {}
    period = _period(start, end, errors)
    job = await jobs.get_job(session, principal, job_id)
    return await _report(
        request,
        session,
        principal,
        {"from": start, "to": end},
        errors,
        funnel=await analytics.job_funnel(session, principal, job_id, period),
        sources=await analytics.source_report(session, principal, period, job_id),
        hires=None,
        titles={job.id: job.title},
        job=job,
    )


@router.get("/app/analytics/{report}.csv")
async def download_report(
    report: Literal["funnel", "time-to-hire", "sources"],
    session: DbSession,
    principal: AnalyticsReader,
    start: DateText = "",
    end: Annotated[str, Query(alias="to", max_length=10)] = "",
    job_id: uuid.UUID | None = None,
) -> Response:
    """The "Download CSV" links: the API's CSV for a signed-in page user (the API wants a token).

    A job's funnel follows the job's own stages, as on the job's page; without a job it is by type.
    """
    errors: dict[str, str] = {}
    period = _period(start, end, errors)
    if errors:
        raise Unprocessable("Enter the days as YYYY-MM-DD, the last not before the first.")
    table: analytics_csv.Table
    if report == "funnel":
        if job_id is not None:
            found = await analytics.job_funnel(session, principal, job_id, period)
        else:
            found = await analytics.organisation_funnel(session, principal, period)
        table = analytics_csv.funnel_table(found)
    elif report == "time-to-hire":
        table = analytics_csv.time_to_hire_table(
            await analytics.time_to_hire_report(session, principal, period, job_id)
        )
    else:
        table = analytics_csv.source_table(await analytics.source_report(session, principal, period, job_id))
    header, rows = table
    return csv_response(header, rows, filename(analytics_csv.download_name(report, period, job_id)))
