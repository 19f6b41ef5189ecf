"""The hiring team's assessment pages: a job's blueprint, invitations and sessions, and the ranking
(one session's result, marking and the bank are in :mod:`rolecall.assessments.review_pages`).

Each action calls the same service function as its JSON route, with the same scopes, so a page can
never do what the API would refuse. Two rules of the context show here as well:

* **A link is shown once.** Inviting or issuing a new link answers with a page holding the link;
  only its hash is stored, so nothing can show it again.
* **Accommodations stay with the recruiter.** Extra time appears only beside an invitation that has
  not started (where it can still be granted); results, the ranking and the marking queue never
  show it, so the people who score cannot know it.
"""

from __future__ import annotations

import contextlib
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from rolecall.assessments import service
from rolecall.assessments.items import ITEM_TYPES
from rolecall.assessments.page_form import (
    blueprint_body,
    blueprint_form,
    located_errors,
    number_value,
    posted_blueprint_form,
    text_value,
)
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, NotFound, PreconditionFailed, ProblemError, Unprocessable
from rolecall.platform.http import blind_index, etag_for
from rolecall.platform.pagination import MAX_LIMIT, PageParams
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("assessments:read"))]
Writer = Annotated[Principal, Depends(page_requires("assessments:write"))]
Marker = Annotated[Principal, Depends(page_requires("assessments:mark"))]
Ranker = Annotated[Principal, Depends(page_requires("assessments:read", "applications:read"))]
LISTED = PageParams(limit=MAX_LIMIT, after=None)
RANKING_PAGE = 25
TAKEN = ("invited", "started", "marking", "scored")
STALE = (
    "Someone changed the blueprint while you were editing, so your changes were not saved. "
    "Check the current plan below and edit again."
)
TYPE_WORDS = {
    "single_choice": "Single choice",
    "multiple_choice": "Multiple choice",
    "numeric": "Number",
    "ordering": "Ordering",
    "short_text": "Short text",
    "sql": "SQL query",
}
STATUS_WORDS = {
    "invited": "Invited, not started",
    "started": "In progress",
    "marking": "Submitted, waiting for marking",
    "scored": "Scored",
    "expired": "Link expired unused",
    "cancelled": "Cancelled",
}
EVIDENCE_WORDS = {"assessment": "Assessment", "match": "Match score", "scorecards": "Interviews"}


def query_value(request: Request, name: str, limit: int = 200) -> str | None:
    value = request.query_params.get(name, "").strip()
    return value[:limit] or None


def _assessment_url(job_id: uuid.UUID) -> str:
    return f"/app/jobs/{job_id}/assessment"


def _link(request: Request, token: str) -> str:
    """The candidate's link, on the public address the API's invitations use."""
    settings = request.app.state.settings
    base = (settings.public_base_url or settings.issuer).rstrip("/")
    return f"{base}/assessments/{token}"


@router.get("/app/assessments")
async def assessments_home(principal: Reader) -> Response:
    """The navigation's entry: the marking queue for those who mark, else the bank."""
    target = "marking" if "assessments:mark" in principal.scopes else "bank"
    return RedirectResponse(f"/app/assessments/{target}", status_code=303)


# --- the job's assessment: blueprint, sessions, invitations, ranking weights --------------------


async def _job_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    weights: dict[str, str] | None = None,
    weight_errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    job = await jobs.get_job(session, principal, job_id)
    blueprint = version = None
    with contextlib.suppress(NotFound):  # no blueprint yet: the page offers to generate one
        blueprint, version = await service.get_blueprint(session, principal, job_id)
    records, more = await service.list_sessions(session, LISTED, job_id=job_id)
    rows = [
        {"record": record, "percentile": await service.percentile(session, record)}
        for record in sorted(records, key=lambda r: r.created_at, reverse=True)
    ]
    may_write = "assessments:write" in principal.scopes
    invitable = []
    if may_write and blueprint is not None:
        taken = {r.application_id for r in records if r.status in TAKEN and r.source != "vendor"}
        invitable = [a for a in await pipeline.job_applications(session, job_id) if a.id not in taken]
    settings = await service.job_settings(session, principal, job_id)
    document = version.document if version is not None else None
    context = {
        "job": job,
        "blueprint": blueprint,
        "version": version,
        "document": document,
        "values": values or (blueprint_form(document) if document else None),
        "errors": errors or {},
        "sessions": rows,
        "more_sessions": more is not None,
        "invitable": invitable,
        "may_write": may_write,
        "may_rank": "applications:read" in principal.scopes,
        "may_read_candidates": "candidates:read" in principal.scopes,
        "weights": weights or {k: f"{float(settings.weights.get(k, 0.0)):g}" for k in EVIDENCE_WORDS},
        "weight_errors": weight_errors or {},
        "evidence_words": EVIDENCE_WORDS,
        "status_words": STATUS_WORDS,
        "type_words": TYPE_WORDS,
        "item_types": ITEM_TYPES,
        "extra_choices": service.EXTRA_TIME_CHOICES,
    }
    return render(request, "assessments/job.html", context, status_code=status)


@router.get("/app/jobs/{job_id}/assessment")
async def job_assessment(
    job_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    return await _job_page(request, session, principal, job_id)


@router.post("/app/jobs/{job_id}/assessment/generate")
async def generate_blueprint(
    job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    response = RedirectResponse(_assessment_url(job_id), status_code=303)
    try:
        async with session.begin_nested():
            await service.generate_blueprint(session, principal, job_id)
    except Conflict as exc:
        flash(request, response, exc.detail or exc.title)
        return response
    flash(
        request, response, "Blueprint generated from the job's role profile. Check it before inviting anyone."
    )
    return response


@router.post("/app/jobs/{job_id}/assessment/blueprint")
async def update_blueprint(
    job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    form = await request.form()
    blueprint, version = await service.get_blueprint(session, principal, job_id)
    values = posted_blueprint_form(form)
    body, rows, errors = blueprint_body(values, version.document)
    if not errors:
        number = text_value(form, "version")
        if_match = etag_for(blueprint.id, int(number)) if number.isdigit() else ""
        try:
            async with session.begin_nested():
                _, saved = await service.update_blueprint(session, principal, job_id, body, if_match)
        except Unprocessable as exc:
            errors = located_errors(field_errors(exc), rows)
        except (PreconditionFailed, StaleDataError):
            errors = {"form": STALE}
        else:
            response = RedirectResponse(_assessment_url(job_id), status_code=303)
            message = (
                f"Blueprint saved as version {saved.number}. "
                "People invited before keep the version they drew."
                if saved.number != version.number
                else "Nothing changed."
            )
            flash(request, response, message)
            return response
    return await _job_page(request, session, principal, job_id, values=values, errors=errors, status=422)


def _link_page(request: Request, link: str, back: str, intro: str) -> Response:
    return render(request, "assessments/link.html", {"link": link, "back": back, "intro": intro})


@router.post("/app/jobs/{job_id}/assessment/invite")
async def invite(job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer) -> Response:
    form = await request.form()
    response = RedirectResponse(_assessment_url(job_id), status_code=303)
    raw_extra = text_value(form, "extra_time_percent") or "0"
    try:
        application_id = uuid.UUID(text_value(form, "application_id"))
        facts = await pipeline.application_facts(session, application_id)
        if facts.job_id != job_id:
            raise NotFound("That application is not one of this job's.")
        async with session.begin_nested():
            _, token = await service.invite(
                session,
                principal,
                application_id,
                blind_index(request),
                extra_time_percent=int(raw_extra) if raw_extra.isdigit() else -1,
            )
    except ValueError:
        flash(request, response, "Choose an application to invite.")
        return response
    except ProblemError as exc:
        flash(request, response, exc.detail or exc.title)
        return response
    assert token is not None
    intro = "The candidate is invited. Send them this link; it is shown only now."
    return _link_page(request, _link(request, token), _assessment_url(job_id), intro)


async def _session_back(session: AsyncSession, session_id: uuid.UUID) -> str:
    record = await service.get_session(session, session_id)  # 404 for another organisation's
    return _assessment_url(record.job_id) if record.job_id else f"/app/assessments/sessions/{record.id}"


@router.post("/app/assessments/sessions/{session_id}/link")
async def new_link(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    back = await _session_back(session, session_id)
    try:
        async with session.begin_nested():
            _, token = await service.reissue_link(session, principal, session_id, blind_index(request))
    except Conflict as exc:
        response = RedirectResponse(back, status_code=303)
        flash(request, response, exc.detail or exc.title)
        return response
    intro = "Here is the new link; the previous one no longer works. It is shown only now."
    return _link_page(request, _link(request, token), back, intro)


@router.post("/app/assessments/sessions/{session_id}/accommodation")
async def set_accommodation(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: Writer
) -> Response:
    form = await request.form()
    back = await _session_back(session, session_id)
    response = RedirectResponse(back, status_code=303)
    raw, number = text_value(form, "extra_time_percent"), text_value(form, "version")
    try:
        async with session.begin_nested():
            await service.set_accommodation(
                session,
                principal,
                session_id,
                int(raw) if raw.isdigit() else -1,
                etag_for(session_id, int(number)) if number.isdigit() else "",
            )
    except (PreconditionFailed, StaleDataError):
        flash(
            request,
            response,
            "The invitation changed meanwhile (perhaps the candidate started). Check it and try again.",
        )
        return response
    except ProblemError as exc:
        flash(request, response, exc.detail or exc.title)
        return response
    flash(request, response, "Extra time saved. The candidate sees it on their assessment page.")
    return response


@router.post("/app/jobs/{job_id}/ranking-weights")
async def set_weights(job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer) -> Response:
    form = await request.form()
    typed = {k: text_value(form, f"weights.{k}") for k in EVIDENCE_WORDS}
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}
    for key, raw in typed.items():
        value = number_value(raw or "0")
        if isinstance(value, str) or not 0 <= value <= 100:
            errors[f"weights.{key}"] = "Enter a number from 0 to 100."
        else:
            numbers[key] = value
    if not errors:
        try:
            async with session.begin_nested():
                await service.set_weights(session, principal, job_id, numbers)
        except Unprocessable as exc:
            errors = {"weights.form": (exc.detail or exc.title)}
        else:
            response = RedirectResponse(_assessment_url(job_id), status_code=303)
            flash(request, response, "Ranking weights saved.")
            return response
    return await _job_page(
        request, session, principal, job_id, weights=typed, weight_errors=errors, status=422
    )


# --- the ranking ---------------------------------------------------------------------------------


@router.get("/app/jobs/{job_id}/ranking")
async def ranking(job_id: uuid.UUID, request: Request, session: DbSession, principal: Ranker) -> Response:
    job = await jobs.get_job(session, principal, job_id)
    stage = query_value(request, "stage", 100)
    raw_offset = request.query_params.get("offset", "")
    offset = int(raw_offset) if raw_offset.isdigit() and len(raw_offset) <= 7 else 0
    result = await service.ranked(session, principal, job_id, stage=stage, offset=offset, limit=RANKING_PAGE)
    stages = [s["name"] for s in job.stages if s.get("type") not in ("hired", "rejected")]
    context = {
        "job": job,
        "result": result,
        "stage": stage,
        "stages": stages,
        "offset": offset,
        "page_size": RANKING_PAGE,
        "evidence_words": EVIDENCE_WORDS,
        "may_read_candidates": "candidates:read" in principal.scopes,
    }
    return render(request, "assessments/ranking.html", context)
