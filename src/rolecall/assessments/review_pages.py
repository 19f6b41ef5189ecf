"""The hiring team's review pages: one session's result, the marking queue and the question bank.

Like :mod:`rolecall.assessments.pages`, each calls the same service function as its JSON route with
the same scopes. None of them shows an accommodation: the people who score must not know it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import service
from rolecall.assessments.page_form import text_value
from rolecall.assessments.pages import STATUS_WORDS, TYPE_WORDS, Marker, Reader, query_value
from rolecall.jobs import service as jobs
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.http import pii_keyring
from rolecall.platform.pagination import PageParams, decode_cursor
from rolecall.roles.taxonomy import default_taxonomy
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
BANK_PAGE = 25


# --- one session's result -------------------------------------------------------------------------


@router.get("/app/assessments/sessions/{session_id}")
async def result_page(
    session_id: uuid.UUID, request: Request, session: DbSession, principal: Reader
) -> Response:
    result = await service.result(session, principal, session_id)
    job_title = None
    if result["job_id"] is not None:
        try:
            job_title = (await jobs.get_job(session, principal, result["job_id"])).title
        except NotFound:
            job_title = None
    context = {
        "result": result,
        "job_title": job_title,
        "skill_names": {s["skill_id"]: s["name"] for s in result["skills"]},
        "type_words": TYPE_WORDS,
        "status_words": STATUS_WORDS,
        "may_read_candidates": "candidates:read" in principal.scopes,
    }
    return render(request, "assessments/result.html", context)


# --- marking -------------------------------------------------------------------------------------


async def _marking_page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    *,
    errors: dict[tuple[str, int], dict[str, str]] | None = None,
    typed: dict[tuple[str, int], dict[str, Any]] | None = None,
    status: int = 200,
) -> Response:
    raw_job = query_value(request, "job_id", 40)
    try:
        job_id = uuid.UUID(raw_job) if raw_job else None
    except ValueError:
        job_id = None
    entries = await service.queue(session, principal, pii_keyring(request), job_id=job_id)
    titles: dict[uuid.UUID, str] = {}
    for entry_job in {e["job_id"] for e in entries if e["job_id"] is not None}:
        try:
            titles[entry_job] = (await jobs.get_job(session, principal, entry_job)).title
        except NotFound:
            titles[entry_job] = "A removed job"
    context = {
        "entries": entries,
        "titles": titles,
        "errors": errors or {},
        "typed": typed or {},
        "skill_names": {e["skill_id"]: _skill_name(e["skill_id"]) for e in entries},
    }
    return render(request, "assessments/marking.html", context, status_code=status)


def _skill_name(skill_id: str) -> str:
    skill = default_taxonomy().get(skill_id)
    return skill.name if skill is not None else skill_id


@router.get("/app/assessments/marking")
async def marking_queue(request: Request, session: DbSession, principal: Marker) -> Response:
    return await _marking_page(request, session, principal)


@router.post("/app/assessments/sessions/{session_id}/marks/{position}")
async def mark(
    session_id: uuid.UUID, position: int, request: Request, session: DbSession, principal: Marker
) -> Response:
    form = await request.form()
    awarded: dict[str, int] = {}
    typed: dict[str, Any] = {"points": {}, "comment": text_value(form, "comment")}
    errors: dict[str, str] = {}
    index = 0
    while f"criterion.{index}" in form:
        criterion, points = text_value(form, f"criterion.{index}"), text_value(form, f"points.{index}")
        typed["points"][index] = points
        if points.isdigit() and len(points) <= 3:
            awarded[criterion] = int(points)
        else:
            errors[f"points.{index}"] = "Choose the points for this criterion."
        index += 1
    if not errors:
        try:
            async with session.begin_nested():
                record = await service.mark(
                    session, principal, session_id, position, awarded, typed["comment"] or None
                )
        except Unprocessable as exc:
            errors = {"form": exc.detail or exc.title}
        except Conflict as exc:
            response = RedirectResponse("/app/assessments/marking", status_code=303)
            flash(request, response, exc.detail or exc.title)
            return response
        else:
            response = RedirectResponse("/app/assessments/marking", status_code=303)
            done = "The assessment is fully marked." if record.status == "scored" else "Marked."
            flash(request, response, f"{done} The score is updated.")
            return response
    key = (str(session_id), position)
    return await _marking_page(
        request, session, principal, errors={key: errors}, typed={key: typed}, status=422
    )


# --- the question bank ------------------------------------------------------------------------------


@router.get("/app/assessments/bank")
async def bank(request: Request, session: DbSession, principal: Reader) -> Response:
    skill = query_value(request, "skill", 120)
    flagged = {"1": True, "0": False}.get(request.query_params.get("flagged", ""))
    cursor = query_value(request, "cursor", 200)
    params = PageParams(limit=BANK_PAGE, after=decode_cursor(cursor) if cursor else None)
    items, following = await service.list_items(session, principal, params, skill=skill, flagged=flagged)
    entries = []
    for item in items:
        _, versions = await service.item_with_versions(session, item.id)
        stats = await service.item_statistics(session, item.id)
        by_number = {v["number"]: v for v in stats["versions"]}
        latest = versions[-1] if versions else None
        entries.append(
            {
                "item": item,
                "skill": _skill_name(item.skill_id),
                "prompt": latest.content.get("prompt", "") if latest is not None else "",
                "versions": [(v, by_number.get(v.number, {})) for v in versions],
            }
        )
    context = {
        "entries": entries,
        "skill": skill or "",
        "flagged": request.query_params.get("flagged", ""),
        "next_cursor": following,
        "type_words": TYPE_WORDS,
    }
    return render(request, "assessments/bank.html", context)
