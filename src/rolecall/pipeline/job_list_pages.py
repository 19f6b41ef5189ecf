"""The staff app's landing page: the organisation's jobs with their pipelines at a glance.

It lives in the pipeline context because each row shows how many active applications sit in each
of the job's stages, and applications are the pipeline's; the jobs themselves come through
``jobs.service`` like ``GET /v1/jobs``. The counts for the whole page are one grouped query, so the
page costs the same number of queries for three jobs or fifty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response

from rolecall.jobs import service as jobs
from rolecall.pipeline.board import open_columns
from rolecall.pipeline.job_counts import active_stage_counts
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.pagination import PageParams, decode_cursor
from rolecall.web.auth import page_requires
from rolecall.web.templating import render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("jobs:read"))]
StatusFilter = Literal["draft", "open", "paused", "closed"]
PAGE_SIZE = 50
STATUS_TABS: tuple[tuple[str, str], ...] = (
    ("", "All"),
    ("draft", "Drafts"),
    ("open", "Open"),
    ("paused", "Paused"),
    ("closed", "Closed"),
)
STATUS_WORDS = {"draft": "Draft", "open": "Open", "paused": "Paused", "closed": "Closed"}
ARRANGEMENTS = {"onsite": "On site", "hybrid": "Hybrid", "remote": "Remote"}
LEVELS = {
    "junior": "Junior",
    "mid": "Mid-level",
    "senior": "Senior",
    "lead": "Lead",
    "principal": "Principal",
}


@dataclass(frozen=True)
class StageCount:
    name: str
    count: int


@dataclass(frozen=True)
class JobRow:
    job: Any
    status_word: str
    level_word: str
    places: str
    date_label: str
    date: datetime
    stages: list[StageCount]


def _places(job: Any) -> str:
    cities = [", ".join(p for p in (loc["city"], loc["country"]) if p) for loc in job.locations]
    if job.work_arrangement == "remote" and job.remote_countries:
        cities.append("from " + ", ".join(job.remote_countries))
    where = "; ".join(cities)
    arrangement = ARRANGEMENTS.get(job.work_arrangement, job.work_arrangement)
    return f"{arrangement}: {where}" if where else arrangement


def _stages(job: Any, counts: dict[str, int]) -> list[StageCount]:
    """Every stage an active application can sit in, in the job's order, then any the job dropped."""
    shown = [StageCount(c.name, counts.get(c.name.casefold(), 0)) for c in open_columns(list(job.stages))]
    known = {s.name.casefold() for s in shown}
    shown += [StageCount(name, n) for name, n in sorted(counts.items()) if name not in known and n]
    return shown


def _row(job: Any, counts: dict[str, int]) -> JobRow:
    opened = job.first_opened_at
    return JobRow(
        job=job,
        status_word=STATUS_WORDS.get(job.status, job.status),
        level_word=LEVELS.get(job.level, job.level),
        places=_places(job),
        date_label="Opened" if opened else "Created",
        date=opened or job.created_at,
        stages=_stages(job, counts),
    )


def _next_url(status: str | None, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return "/app/jobs?" + urlencode({"status": status, "cursor": cursor} if status else {"cursor": cursor})


@router.get("/app/jobs")
async def jobs_list(
    request: Request,
    session: DbSession,
    principal: Reader,
    status: Annotated[StatusFilter | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    params = PageParams(limit=PAGE_SIZE, after=decode_cursor(cursor) if cursor else None)
    found, next_cursor = await jobs.list_jobs(session, principal, params, status)
    sees_pipeline = "applications:read" in principal.scopes
    counts = await active_stage_counts(session, principal, (j.id for j in found)) if sees_pipeline else {}
    context = {
        "rows": [_row(job, counts.get(job.id, {})) for job in found],
        "status": status or "",
        "tabs": STATUS_TABS,
        "caption": f"{STATUS_WORDS[status]} jobs" if status else "All jobs",
        "next_url": _next_url(status, next_cursor),
        "sees_pipeline": sees_pipeline,
        "may_write": "jobs:write" in principal.scopes,
    }
    return render(request, "pipeline/jobs_list.html", context)
