"""The hiring team's assessment pages: a job's blueprint, invitations and sessions, the ranking, one
session's result, the marking queue and the question bank.

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
from starlette.datastructures import FormData

from rolecall.assessments import service
from rolecall.assessments.items import ITEM_TYPES
from rolecall.jobs import service as jobs
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, NotFound, PreconditionFailed, ProblemError, Unprocessable
from rolecall.platform.http import blind_index, etag_for, pii_keyring
from rolecall.platform.pagination import MAX_LIMIT, PageParams, decode_cursor
from rolecall.roles.taxonomy import default_taxonomy
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
BANK_PAGE = 25
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


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(raw: str) -> int | str:
    """A whole number as typed, or the text itself for the service's validation to name."""
    try:
        return int(raw)
    except ValueError:
        return raw


def _float(raw: str) -> float | str:
    try:
        return float(raw)
    except ValueError:
        return raw


def _query(request: Request, name: str, limit: int = 200) -> str | None:
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


def blueprint_form(document: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values for a stored blueprint document."""
    types = document.get("item_types")
    return {
        "title": document["title"],
        "time_limit_minutes": str(document["time_limit_minutes"]),
        "show_result": bool(document.get("show_result_to_candidate")),
        "item_types": set(types) if types else set(ITEM_TYPES),
        "skills": [
            {
                "skill_id": s["skill_id"],
                "name": s["name"],
                "proficiency": str(s["proficiency"]),
                "weight": f"{float(s['weight']):g}",
                "items": str(s["items"]),
                "remove": False,
            }
            for s in document["skills"]
        ],
        "new_skill": {"name": "", "weight": "", "items": "2", "proficiency": "3"},
    }


def posted_blueprint_form(form: FormData) -> dict[str, Any]:
    """The edit form's values as the person sent them (to show them again after a refusal)."""
    skills = []
    index = 0
    while f"skills.{index}.skill_id" in form:
        prefix = f"skills.{index}."
        skills.append(
            {
                "skill_id": _text(form, prefix + "skill_id"),
                "name": _text(form, prefix + "name"),
                "proficiency": _text(form, prefix + "proficiency"),
                "weight": _text(form, prefix + "weight"),
                "items": _text(form, prefix + "items"),
                "remove": _text(form, prefix + "remove") == "true",
            }
        )
        index += 1
    return {
        "title": _text(form, "title"),
        "time_limit_minutes": _text(form, "time_limit_minutes"),
        "show_result": _text(form, "show_result_to_candidate") == "true",
        "item_types": {t for t in form.getlist("item_types") if isinstance(t, str)},
        "skills": skills,
        "new_skill": {k: _text(form, f"new_skill.{k}") for k in ("name", "weight", "items", "proficiency")},
    }


def blueprint_body(
    values: dict[str, Any], current: dict[str, Any]
) -> tuple[dict[str, Any], dict[int, str], dict[str, str]]:
    """The blueprint document the API's PUT would receive, which form row each skill came from (to
    put the service's messages next to the right fields), and problems found before asking it."""
    errors: dict[str, str] = {}
    skills: list[dict[str, Any]] = []
    rows: dict[int, str] = {}
    for index, row in enumerate(values["skills"]):
        if row["remove"]:
            continue
        rows[len(skills)] = f"skills.{index}"
        skills.append(
            {
                "skill_id": row["skill_id"],
                "name": row["name"],
                "weight": _float(row["weight"]),
                "items": _int(row["items"]),
                "proficiency": _int(row["proficiency"]),
            }
        )
    added = values["new_skill"]
    if added["name"]:
        skill = default_taxonomy().normalise(added["name"])
        if skill is None:
            errors["new_skill.name"] = "This skill is not in the skills taxonomy; try another name for it."
        else:
            rows[len(skills)] = "new_skill"
            skills.append(
                {
                    "skill_id": skill.id,
                    "name": skill.name,
                    "weight": _float(added["weight"] or "1"),
                    "items": _int(added["items"] or "2"),
                    "proficiency": _int(added["proficiency"] or "3"),
                }
            )
    chosen = [t for t in ITEM_TYPES if t in values["item_types"]]
    body = {
        "title": values["title"],
        "profile_slug": current["profile_slug"],
        "level": current["level"],
        "time_limit_minutes": _int(values["time_limit_minutes"]),
        "skills": skills,
        "item_types": chosen if chosen and len(chosen) < len(ITEM_TYPES) else None,
        "show_result_to_candidate": values["show_result"],
        "grace_seconds": current.get("grace_seconds", 30),
    }
    return body, rows, errors


def _located(errors: dict[str, str], rows: dict[int, str]) -> dict[str, str]:
    """The service names ``skills.<n>`` of the document sent; the form's rows may be numbered
    differently (removed rows, the added skill)."""
    located: dict[str, str] = {}
    for field, message in errors.items():
        parts = field.split(".")
        if len(parts) >= 2 and parts[0] == "skills" and parts[1].isdigit() and int(parts[1]) in rows:
            field = ".".join([rows[int(parts[1])], *parts[2:]])
        located.setdefault(field, message)
    return located


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
        number = _text(form, "version")
        if_match = etag_for(blueprint.id, int(number)) if number.isdigit() else ""
        try:
            async with session.begin_nested():
                _, saved = await service.update_blueprint(session, principal, job_id, body, if_match)
        except Unprocessable as exc:
            errors = _located(field_errors(exc), rows)
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
    raw_extra = _text(form, "extra_time_percent") or "0"
    try:
        application_id = uuid.UUID(_text(form, "application_id"))
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
    raw, number = _text(form, "extra_time_percent"), _text(form, "version")
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
    typed = {k: _text(form, f"weights.{k}") for k in EVIDENCE_WORDS}
    errors: dict[str, str] = {}
    numbers: dict[str, float] = {}
    for key, raw in typed.items():
        value = _float(raw or "0")
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
    stage = _query(request, "stage", 100)
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
    raw_job = _query(request, "job_id", 40)
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
    typed: dict[str, Any] = {"points": {}, "comment": _text(form, "comment")}
    errors: dict[str, str] = {}
    index = 0
    while f"criterion.{index}" in form:
        criterion, points = _text(form, f"criterion.{index}"), _text(form, f"points.{index}")
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
    skill = _query(request, "skill", 120)
    flagged = {"1": True, "0": False}.get(request.query_params.get("flagged", ""))
    cursor = _query(request, "cursor", 200)
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
