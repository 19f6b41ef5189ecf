"""Interview pages: "My interviews", scheduling for an application, one interview's page (details,
calendar invite, the panel's scorecards under blind review, reschedule and cancel).

Every action calls the same service function as its API route, with the same scopes; which
interviews a person sees (an interviewer only their own) and whose scorecards (nobody else's before
submitting one's own) is decided by the services, so the pages cannot show more than the API.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.interviews import page_forms, page_views, scorecards, service
from rolecall.interviews.models import Interview
from rolecall.interviews.repository import InterviewFilter
from rolecall.interviews.schemas import InterviewCreate, InterviewUpdate
from rolecall.interviews.scorecard_pages import RATING_WORDS, RECOMMENDATION_WORDS
from rolecall.interviews.scorecard_pages import router as scorecard_router
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform import ics
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, Forbidden, PreconditionFailed, Unprocessable
from rolecall.platform.http import etag_for, pii_keyring
from rolecall.platform.pagination import MAX_LIMIT, PageParams
from rolecall.web.auth import page_requires
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
router.include_router(scorecard_router)
Reader = Annotated[Principal, Depends(page_requires("interviews:read"))]
Writer = Annotated[Principal, Depends(page_requires("interviews:write"))]
LISTED = PageParams(limit=MAX_LIMIT, after=None)
STALE = "Someone changed this interview while you were editing. Check the details and save again."


async def _listed(
    session: AsyncSession, principal: Principal, where: InterviewFilter
) -> tuple[list[Interview], bool]:
    found, cursor = await service.list_interviews(session, principal, where, LISTED)
    return found, cursor is not None


@router.get("/app/interviews")
async def interviews_page(request: Request, session: DbSession, principal: Reader) -> Response:
    now = utcnow()
    me = principal.subject_id
    upcoming, more_upcoming = await _listed(
        session, principal, InterviewFilter(interviewer_id=me, starts_from=now)
    )
    past, more_past = await _listed(session, principal, InterviewFilter(interviewer_id=me, starts_before=now))
    everyone: list[Interview] = []
    more_everyone = False
    if "interviews:write" in principal.scopes:
        everyone, more_everyone = await _listed(session, principal, InterviewFilter(starts_from=now))
    context = {
        "upcoming": await page_views.rows(session, principal, sorted(upcoming, key=_start)),
        "past": await page_views.rows(session, principal, sorted(past, key=_start, reverse=True)),
        "everyone": await page_views.rows(session, principal, sorted(everyone, key=_start)),
        "show_everyone": "interviews:write" in principal.scopes,
        "truncated": more_upcoming or more_past or more_everyone,
        "limit": MAX_LIMIT,
    }
    return render(request, "interviews/list.html", context)


def _start(interview: Interview) -> datetime:
    return page_views.aware(interview.starts_at)


# --- scheduling ---------------------------------------------------------------------------------


async def _schedule_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    form: dict[str, str],
    chosen: list[str],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    facts = await pipeline.application_facts(session, application_id)
    job = await jobs.get_job(session, principal, facts.job_id)
    context = {
        "facts": facts,
        "job": job,
        "form": form,
        "chosen": chosen,
        "errors": errors,
        "staff": await page_views.staff_choices(session, principal),
        "zones": page_views.ZONE_CHOICES,
    }
    return render(request, "interviews/schedule.html", context, status_code=status)


@router.get("/app/applications/{application_id}/interviews/new")
async def schedule_form(
    application_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    form = {"title": "Interview", **page_forms.defaults()}
    return await _schedule_page(request, session, principal, application_id, form, [], {})


async def _submitted(request: Request) -> tuple[dict[str, str], list[str]]:
    data = await request.form()
    form = {key: value for key, value in data.items() if isinstance(value, str) and key != "interviewer_ids"}
    chosen = [value for value in data.getlist("interviewer_ids") if isinstance(value, str)]
    return form, chosen


@router.post("/app/applications/{application_id}/interviews/new")
async def schedule(
    application_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    form, chosen = await _submitted(request)
    body, errors = page_forms.interview_body(form, chosen)
    parsed, errors = page_forms.checked(InterviewCreate, body, errors)
    if parsed is not None:
        try:
            interview = await service.schedule_interview(session, principal, application_id, parsed)
        except Unprocessable as exc:
            errors = page_forms.refusal(exc)
        except Conflict as exc:
            errors = {"form": exc.detail or exc.title}
        else:
            response = RedirectResponse(f"/app/interviews/{interview.id}", status_code=303)
            flash(request, response, "Interview scheduled. Download the calendar invite below.")
            return response
    return await _schedule_page(request, session, principal, application_id, form, chosen, errors, 422)


# --- one interview ------------------------------------------------------------------------------


async def _panel(
    request: Request, session: AsyncSession, principal: Principal, interview: Interview
) -> tuple[list[dict[str, Any]], str]:
    """Each interviewer with what the viewer may know of their scorecard, and which rule applied."""
    names = await page_views.people(session, principal, list(interview.interviewer_ids))
    mine = await page_views.my_scorecard_status(session, principal, interview)
    try:
        cards = await scorecards.interview_scorecards(
            session, principal, interview.id, keyring=pii_keyring(request)
        )
    except Forbidden:
        rule = "blind" if service.sits_on(interview, principal) else "hidden"
        panel = []
        for user_id in interview.interviewer_ids:
            own = user_id == str(principal.subject_id)
            panel.append(
                {
                    "id": user_id,
                    "name": names[user_id],
                    "me": own,
                    "card": None,
                    "state": mine if own else rule,
                }
            )
        return panel, rule
    by_person = {str(card.interviewer_id): card for card in cards}
    panel = [
        {
            "id": user_id,
            "name": names[user_id],
            "me": user_id == str(principal.subject_id),
            "card": by_person.get(user_id),
            "state": "submitted" if user_id in by_person else "pending",
        }
        for user_id in interview.interviewer_ids
    ]
    return panel, "open"


async def _interview_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    interview_id: uuid.UUID,
    *,
    form: dict[str, str] | None = None,
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    interview = await service.get_interview(session, principal, interview_id)
    panel, rule = await _panel(request, session, principal, interview)
    may_write = "interviews:write" in principal.scopes and interview.status == "scheduled"
    stage = await page_views.stages(session, {interview.application_id})
    context = {
        "interview": interview,
        "starts_at": page_views.aware(interview.starts_at),
        "ends_at": page_views.aware(service.ends_at(interview)),
        "job_title": (await page_views.job_titles(session, principal, {interview.job_id}))[interview.job_id],
        "stage": stage.get(interview.application_id, ""),
        "panel": panel,
        "rule": rule,
        "sits_on": service.sits_on(interview, principal),
        "may_score": service.sits_on(interview, principal) and "scorecards:write" in principal.scopes,
        "may_write": may_write,
        "may_read_candidate": "candidates:read" in principal.scopes,
        "form": form if form is not None else page_forms.current(interview),
        "chosen": chosen if chosen is not None else list(interview.interviewer_ids),
        "errors": errors or {},
        "staff": await page_views.staff_choices(session, principal) if may_write else [],
        "zones": page_views.ZONE_CHOICES,
        "rating_words": dict(RATING_WORDS),
        "recommendation_words": RECOMMENDATION_WORDS,
    }
    return render(request, "interviews/interview.html", context, status_code=status)


@router.get("/app/interviews/{interview_id}")
async def interview_page(
    interview_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    return await _interview_page(request, session, principal, interview_id)


@router.get("/app/interviews/{interview_id}/invite.ics")
async def invite(interview_id: uuid.UUID, session: DbSession, principal: Reader) -> Response:
    """The same iCalendar message as ``GET /v1/interviews/{id}/invite.ics``."""
    body, method, interview = await service.invite(session, principal, interview_id)
    response = Response(content=body, media_type=ics.content_type(method))
    response.headers["Content-Disposition"] = f'attachment; filename="interview-{interview.id}.ics"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _changes(interview: Interview, parsed: InterviewUpdate) -> InterviewUpdate:
    """Only what the person changed, so an unchanged form sends no new invite."""
    now = page_forms.current(interview)
    sent: dict[str, Any] = {}
    if parsed.title != interview.title:
        sent["title"] = parsed.title
    if parsed.starts_at is not None and parsed.starts_at != page_views.aware(interview.starts_at):
        sent["starts_at"] = parsed.starts_at
    if parsed.duration_minutes != interview.duration_minutes:
        sent["duration_minutes"] = parsed.duration_minutes
    if [str(i) for i in parsed.interviewer_ids or []] != list(interview.interviewer_ids):
        sent["interviewer_ids"] = parsed.interviewer_ids
    for field in ("location", "video_url"):
        if (getattr(parsed, field) or "") != now[field]:
            sent[field] = getattr(parsed, field)
    return InterviewUpdate.model_validate(sent)


@router.post("/app/interviews/{interview_id}/reschedule")
async def reschedule(
    interview_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    form, chosen = await _submitted(request)
    body, errors = page_forms.interview_body(form, chosen)
    parsed, errors = page_forms.checked(InterviewUpdate, body, errors)
    if parsed is not None:
        interview = await service.get_interview(session, principal, interview_id)
        version = form.get("version", "")
        if_match = etag_for(interview.id, int(version)) if version.isdigit() else ""
        try:
            changes = _changes(interview, parsed)
            await service.reschedule_interview(session, principal, interview_id, changes, if_match)
        except Unprocessable as exc:
            errors = page_forms.refusal(exc)
        except PreconditionFailed:
            errors = {"form": STALE}
        except Conflict as exc:
            errors = {"form": exc.detail or exc.title}
        else:
            response = RedirectResponse(f"/app/interviews/{interview_id}", status_code=303)
            message = (
                "Interview rescheduled. Send the updated calendar invite."
                if changes.model_fields_set
                else "Nothing changed."
            )
            flash(request, response, message)
            return response
    return await _interview_page(
        request, session, principal, interview_id, form=form, chosen=chosen, errors=errors, status=422
    )


@router.post("/app/interviews/{interview_id}/cancel")
async def cancel(
    interview_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    response = RedirectResponse(f"/app/interviews/{interview_id}", status_code=303)
    try:
        await service.cancel_interview(session, principal, interview_id)
    except Conflict as exc:
        flash(request, response, exc.detail or exc.title)
        return response
    flash(request, response, "Interview cancelled. The calendar invite now cancels the event.")
    return response
