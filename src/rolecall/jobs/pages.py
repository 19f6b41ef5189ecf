"""The staff app's job pages: create a draft, edit it beside a live description preview, and move
it through its lifecycle. (The jobs list is the pipeline context's ``job_list_pages``: it counts
applications.)

Every change calls the same service function as the API with the same body: ``JobCreate`` for a
new job, a ``JobUpdate`` of the changed fields with the version the form was read at as the
``If-Match`` the API would send (so a colleague's save in between is reported, not overwritten),
and ``transition`` for open, pause and close.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup
from pydantic import ValidationError

from rolecall.identity import service as identity
from rolecall.jobs import page_form, posting, preview, render_ahead, service
from rolecall.jobs.models import Job
from rolecall.jobs.schemas import CloseJob, JobCreate, JobUpdate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, PreconditionFailed, ProblemError, Unprocessable
from rolecall.platform.http import AfterTransaction, etag_for, follow_up_transaction
from rolecall.platform.pagination import PageParams
from rolecall.roles import service as roles
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
Reader = Annotated[Principal, Depends(page_requires("jobs:read"))]
Writer = Annotated[Principal, Depends(page_requires("jobs:write"))]
STALE = "Someone changed this job since you opened it, so nothing was saved."
STATUS_WORDS = {"draft": "Draft", "open": "Open", "paused": "Paused", "closed": "Closed"}
_ALL = PageParams(limit=200, after=None)


def _editor_url(job_id: uuid.UUID) -> str:
    return f"/app/jobs/{job_id}"


async def _staff(session: DbSession, principal: Principal) -> list[Any]:
    """Staff who may join a hiring team: names are shown only to people who may list staff."""
    if "users:read" not in principal.scopes:
        return []
    users, _ = await identity.list_users(session, principal, _ALL)
    return users


async def _team(session: DbSession, principal: Principal, team: set[str]) -> dict[str, Any]:
    rows = page_form.staff_rows(await _staff(session, principal), team)
    return {
        "staff": rows,
        "unseen_team": page_form.unseen_team(team, rows),
        "sees_staff": "users:read" in principal.scopes,
    }


async def _profile_choices(session: DbSession, principal: Principal) -> list[dict[str, Any]]:
    profiles, _ = await roles.list_profiles(session, principal, _ALL)
    return [
        {
            "title": p.title,
            "options": [
                (f"{p.id}:{level}", f"{page_form.level_word(level)} {p.title}") for level in p.levels
            ],
        }
        for p in sorted(profiles, key=lambda p: p.title.casefold())
    ]


def _choices() -> dict[str, Any]:
    return {
        "employment_types": page_form.EMPLOYMENT_TYPES,
        "arrangements": page_form.ARRANGEMENTS,
        "periods": page_form.PERIODS,
        "team_roles": page_form.TEAM_ROLES,
        "close_reasons": page_form.CLOSE_REASONS,
    }


# --- a new draft --------------------------------------------------------------------------------


async def _new_page(
    request: Request,
    session: DbSession,
    principal: Principal,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Response:
    context = {
        "form": values,
        "errors": errors,
        "profiles": await _profile_choices(session, principal),
        **await _team(session, principal, values["team"]),
        **_choices(),
    }
    return render(request, "jobs/new.html", context, status_code=status)


@router.get("/app/jobs/new")
async def new_job(request: Request, session: DbSession, principal: Writer) -> Response:
    return await _new_page(request, session, principal, page_form.blank_values(), {})


@router.post("/app/jobs/new")
async def create_job(request: Request, session: DbSession, principal: Writer) -> Response:
    form = await request.form()
    values = page_form.read_form(form, [str(v) for v in form.getlist("team")])
    try:
        job = await service.create_job(
            session, principal, JobCreate.model_validate(page_form.create_body(values))
        )
    except (ValidationError, Unprocessable) as exc:
        errors = page_form.error_homes(field_errors(exc))
        return await _new_page(request, session, principal, values, errors, status=422)
    response = RedirectResponse(_editor_url(job.id), status_code=303)
    flash(request, response, f"Draft job “{job.title}” created. Open it when it is ready to publish.")
    return response


# --- the editor ---------------------------------------------------------------------------------


async def _editor(
    request: Request,
    session: DbSession,
    principal: Principal,
    job: Job,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    status: int = 200,
) -> Response:
    shown = values if values is not None else page_form.job_values(job)
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    changes = preview.acceptable(page_form.job_fields(shown)) if values is not None else {}
    may_write = "jobs:write" in principal.scopes
    context = {
        "job": job,
        "form": shown,
        "errors": errors or {},
        "stale": stale,
        "status_word": STATUS_WORDS.get(job.status, job.status),
        "level_word": page_form.level_word(job.level),
        "profile_title": profile.title,
        "may_write": may_write,
        "editable": may_write and job.status != "closed",
        **await _team(session, principal, shown["team"]),
        "sees_pipeline": "applications:read" in principal.scopes,
        "sees_assessment": "assessments:read" in principal.scopes,
        **_choices(),
    }
    data, settings = await preview.description_input(session, principal, job, changes)

    async def produce() -> Response:
        # After the transaction: an override renders under its budget holding no lock. The
        # renderer's own output: every value in it was escaped when it was rendered.
        context["description"] = Markup(await preview.html_of(data, settings))  # noqa: S704
        return render(request, "jobs/editor.html", context, status_code=status)

    return AfterTransaction(produce)


@router.get("/app/jobs/{job_id}")
async def job_editor(job_id: uuid.UUID, request: Request, session: DbSession, principal: Reader) -> Response:
    return await _editor(request, session, principal, await service.get_job(session, principal, job_id))


async def _default_title(session: DbSession, job: Job) -> str:
    profile = (await roles.pinned_profile(session, job.role_profile_id, job.profile_version)).document
    return posting.default_title(job.level, profile.title)


@router.post("/app/jobs/{job_id}")
async def save_job(job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer) -> Response:
    job = await service.get_job(session, principal, job_id)
    form = await request.form()
    values = page_form.read_form(form, [str(v) for v in form.getlist("team")])
    version = values["version"]
    try:
        JobUpdate.model_validate(page_form.job_fields(values))  # every typed field, checked as the API would
        changes = page_form.update_body(values, job, await _default_title(session, job))
        body = JobUpdate.model_validate(changes)
    except (ValidationError, Unprocessable) as exc:
        errors = page_form.error_homes(field_errors(exc))
        return await _editor(request, session, principal, job, values=values, errors=errors, status=422)
    if_match = etag_for(job.id, int(version)) if version.isdigit() else ""
    if not changes and if_match == etag_for(job.id, job.version):
        return _saved(request, job_id, "Nothing had changed, so nothing was saved.")

    async def produce() -> Response:
        # As PATCH /v1/jobs/{id}: render what the save publishes, then write in a short transaction.
        await render_ahead.job(request, principal, job_id, preview.acceptable(changes))
        try:
            async with follow_up_transaction(request) as writing:
                await service.update_job(writing, principal, job_id, body, if_match)
        except (ValidationError, Unprocessable) as exc:
            return await _editor_again(
                request, principal, job_id, values, errors=page_form.error_homes(field_errors(exc))
            )
        except PreconditionFailed:
            return await _editor_again(request, principal, job_id, values, stale=True, status=409)
        except Conflict as exc:
            return await _editor_again(
                request, principal, job_id, values, errors={"form": exc.detail or exc.title}, status=409
            )
        return _saved(
            request, job_id, "Job saved." if changes else "Nothing had changed, so nothing was saved."
        )

    return AfterTransaction(produce)


def _saved(request: Request, job_id: uuid.UUID, message: str) -> Response:
    response = RedirectResponse(_editor_url(job_id), status_code=303)
    flash(request, response, message)
    return response


async def _editor_again(
    request: Request,
    principal: Principal,
    job_id: uuid.UUID,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    stale: bool = False,
    status: int = 422,
) -> Response:
    """The editor with the refused form, read afresh after a write that was rolled back."""
    async with follow_up_transaction(request) as reading:
        job = await service.get_job(reading, principal, job_id)
        return await _editor(
            request, reading, principal, job, values=values, errors=errors, stale=stale, status=status
        )


@router.post("/app/jobs/{job_id}/preview")
async def preview_job(job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer) -> Response:
    """The description with the form's current values, for the editor's live preview (htmx)."""
    job = await service.get_job(session, principal, job_id)
    form = await request.form()
    values = page_form.read_form(form, [str(v) for v in form.getlist("team")])
    changes = preview.acceptable(page_form.job_fields(values))
    data, settings = await preview.description_input(session, principal, job, changes)

    async def produce() -> Response:
        # After the request's transaction: an override renders under its budget holding no lock.
        html = Markup(await preview.html_of(data, settings))  # noqa: S704 - renderer output
        return render(request, "jobs/editor_preview.html", {"description": html})

    return AfterTransaction(produce)


# --- lifecycle ------------------------------------------------------------------------------------

_DONE = {
    "open": "Job opened. Its posting is on the careers board within a minute.",
    "pause": "Job paused. Its posting is off the careers board until you open it again.",
    "close": "Job closed. Its posting is off the careers board for good.",
}


async def _move(
    request: Request,
    session: DbSession,
    principal: Principal,
    job_id: uuid.UUID,
    action: service.Transition,
    body: CloseJob | None = None,
) -> Response:
    await service.get_job(session, principal, job_id)  # 404 for another organisation's job

    async def produce() -> Response:
        # As POST /v1/jobs/{id}/open: an opening publishes a posting, rendered before the write.
        now = utcnow()
        if action == "open":
            await render_ahead.job(request, principal, job_id, {}, opening_at=now)
        response = RedirectResponse(_editor_url(job_id), status_code=303)
        try:
            async with follow_up_transaction(request) as writing:
                await service.transition(writing, principal, job_id, action, body, at=now)
        except ProblemError as exc:
            if exc.status not in (409, 422):
                raise
            flash(request, response, f"Nothing changed: {exc.detail or exc.title}")
            return response
        flash(request, response, _DONE[action])
        return response

    return AfterTransaction(produce)


@router.post("/app/jobs/{job_id}/open")
async def open_job(job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer) -> Response:
    return await _move(request, session, principal, job_id, "open")


@router.post("/app/jobs/{job_id}/pause")
async def pause_job(job_id: uuid.UUID, request: Request, session: DbSession, principal: Writer) -> Response:
    return await _move(request, session, principal, job_id, "pause")


@router.post("/app/jobs/{job_id}/close")
async def close_job(
    job_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: Writer,
    reason: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        body = CloseJob.model_validate({"reason": reason, "note": note.strip() or None})
    except ValidationError as exc:
        await service.get_job(session, principal, job_id)
        response = RedirectResponse(_editor_url(job_id), status_code=303)
        problem = field_errors(exc)
        message = "Choose why the job is closing." if "reason" in problem else problem.get("note", "")
        flash(request, response, f"Nothing changed: {message}")
        return response
    return await _move(request, session, principal, job_id, "close", body)
