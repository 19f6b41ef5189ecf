"""The applications section of a candidate's page: each application's job, stage and status, its
match score with the components that add up to it, and its timeline of transitions.

The candidates context may not know about applications, so its page loads this section with htmx
(``HX-Request``: the section alone); opened as a plain link it is a page of its own. The data comes
from the same service functions as ``GET /v1/applications?candidate_id=`` and
``GET /v1/applications/{id}/transitions``, with the same scope. Nothing here is personal data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.jobs import service as jobs
from rolecall.pipeline import service
from rolecall.pipeline.board_view import match_words, source_label
from rolecall.pipeline.models import Application, ApplicationTransition
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import NotFound
from rolecall.platform.pagination import MAX_LIMIT, PageParams
from rolecall.web import words
from rolecall.web.auth import page_requires
from rolecall.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("applications:read"))]
STATUS_WORDS = {"active": "Active", "rejected": "Rejected", "withdrawn": "Withdrawn", "hired": "Hired"}


@dataclass(frozen=True)
class Step:
    """One transition of the timeline, in words."""

    at: Any
    words: str
    who: str
    stayed: str | None


@dataclass(frozen=True)
class Entry:
    application: Application
    job_title: str
    status: str
    steps: list[Step]


def _words(row: ApplicationTransition, reasons: dict[str, str]) -> str:
    if row.action == "applied":
        return f"Applied, into {row.to_stage}"
    if row.action == "move":
        return f"Moved from {row.from_stage} to {row.to_stage}"
    if row.action == "reject":
        reason = reasons.get(row.reason or "", row.reason or "no reason given")
        return f"Rejected at {row.from_stage}: {reason}"
    if row.action == "unreject":
        return f"Rejection undone, back to {row.to_stage}"
    if row.action == "withdraw":
        return f"Withdrawn at {row.from_stage}"
    if row.action == "hire":
        return "Hired"
    if row.action == "hire_reverted":
        return f"Hire undone, back to {row.to_stage}"
    return f"{row.action.replace('_', ' ').capitalize()}: {row.to_stage}"


async def _title(session: AsyncSession, principal: Principal, job_id: uuid.UUID) -> str:
    try:
        return (await jobs.get_job(session, principal, job_id)).title
    except NotFound:
        return "A removed job"


@router.get("/app/candidates/{candidate_id}/applications")
async def candidate_applications(
    candidate_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    await service.candidate_applications(session, candidate_id)  # 404 for another organisation's
    rows, more = await service.list_applications(
        session, PageParams(limit=MAX_LIMIT, after=None), candidate_id=candidate_id
    )
    settings = await service.get_settings(session, principal.organisation_id)
    reasons = {reason["key"]: reason["label"] for reason in settings.reject_reasons}
    entries = []
    for row in sorted(rows, key=lambda a: (a.created_at, a.id), reverse=True):
        steps = [
            Step(
                t.at,
                _words(t, reasons),
                words.actor(t.actor, principal),
                None if seconds is None else words.duration(seconds),
            )
            for t, seconds in await service.history(session, row.id)
        ]
        status = STATUS_WORDS.get(row.status, row.status)
        if row.status == "rejected" and row.reject_reason:
            status += f": {reasons.get(row.reject_reason, row.reject_reason)}"
        entries.append(Entry(row, await _title(session, principal, row.job_id), status, steps))
    fragment = is_htmx(request)
    context = {
        "candidate_id": candidate_id,
        "entries": entries,
        "more": more is not None,
        "match_words": match_words,
        "source_label": source_label,
        "heading": 3 if fragment else 2,
    }
    template = (
        "pipeline/candidate_applications.html" if fragment else "pipeline/candidate_applications_page.html"
    )
    return render(request, template, context)
