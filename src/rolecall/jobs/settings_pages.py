"""Settings pages of the jobs context: the careers site (address, branding, company facts) and the
stage template new jobs start with. Both save through ``service.update_settings``, exactly as
``PATCH /v1/job-settings`` does (open postings rendered ahead of the write, see ``render_ahead``),
with the version that was read carried in the form as If-Match."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from rolecall.jobs import render_ahead, service
from rolecall.jobs.models import JobSettings
from rolecall.jobs.schemas import DEFAULT_STAGES, JobSettingsUpdate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, PreconditionFailed, Unprocessable
from rolecall.platform.http import AfterTransaction, etag_for, follow_up_transaction
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
SettingsEditor = Annotated[Principal, Depends(page_requires("jobs:read", "jobs:settings"))]
STAGE_TYPES = ("applied", "screen", "assessment", "interview", "offer", "hired", "rejected")
BLANK_STAGE_ROWS = 3
TEXTS = ("about", "website", "logo_url", "accent_colour", "careers_intro", "equal_opportunity")
STALE = "Someone else saved these settings since you opened the page. Reload it to see their changes."


def _careers_values(settings: JobSettings) -> dict[str, Any]:
    return {
        "board_slug": settings.board_slug,
        "listed": settings.listed,
        "show_salary": settings.show_salary,
        **{name: getattr(settings, name) or "" for name in TEXTS},
        "benefits": "\n".join(settings.benefits or []),
        "version": settings.version,
    }


def _careers_page(
    request: Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    return render(
        request, "jobs/settings_careers.html", {"form": values, "errors": errors}, status_code=status
    )


@router.get("/app/settings/careers")
async def careers_settings(request: Request, session: DbSession, principal: SettingsEditor) -> Response:
    settings = await service.get_settings(session, principal)
    return _careers_page(request, _careers_values(settings), {})


async def _save(
    request: Request, principal: Principal, body: dict[str, Any], version: str
) -> JobSettings | dict[str, str]:
    """Save, or the messages per field that explain why not; runs after the request's transaction.

    As ``PATCH /v1/job-settings``: the open postings the save republishes are rendered first, with
    no transaction open, and the write then takes a short transaction of its own."""
    try:
        update = JobSettingsUpdate.model_validate(body)
        await render_ahead.settings(request, principal, update)
        async with follow_up_transaction(request) as writing:
            settings = await service.get_settings(writing, principal)
            if_match = etag_for(settings.id, int(version)) if version.isdigit() else ""
            return await service.update_settings(writing, principal, update, if_match, overrides_checked=True)
    except ValidationError as exc:
        return field_errors(exc)
    except (Unprocessable, Conflict) as exc:
        return field_errors(exc) if exc.extra.get("errors") else {"board_slug": exc.detail or exc.title}
    except PreconditionFailed:
        return {"form": STALE}


@router.post("/app/settings/careers")
async def save_careers_settings(request: Request, session: DbSession, principal: SettingsEditor) -> Response:
    form = await request.form()
    values: dict[str, Any] = {
        name: str(form.get(name, "")).strip() for name in ("board_slug", *TEXTS, "benefits", "version")
    }
    values["listed"] = form.get("listed") == "true"
    values["show_salary"] = form.get("show_salary") == "true"
    body: dict[str, Any] = {
        "board_slug": values["board_slug"],
        "listed": values["listed"],
        "show_salary": values["show_salary"],
        **{name: values[name] or None for name in TEXTS},
        "benefits": [line.strip() for line in values["benefits"].splitlines() if line.strip()],
    }

    async def produce() -> Response:
        saved = await _save(request, principal, body, values["version"])
        if isinstance(saved, dict):
            return _careers_page(request, values, saved, status=409 if "form" in saved else 422)
        response = RedirectResponse("/app/settings/careers", status_code=303)
        flash(
            request, response, "Careers site settings saved. Open postings show the change within a minute."
        )
        return response

    return AfterTransaction(produce)


def _stage_rows(stages: list[dict[str, Any]]) -> list[dict[str, str]]:
    rows = [{"name": str(s["name"]), "type": str(s["type"])} for s in stages]
    return rows + [{"name": "", "type": ""} for _ in range(BLANK_STAGE_ROWS)]


@router.get("/app/settings/stages")
async def stage_settings(request: Request, session: DbSession, principal: SettingsEditor) -> Response:
    settings = await service.get_settings(session, principal)
    stages = settings.stage_template or [stage.model_dump() for stage in DEFAULT_STAGES]
    context = {"rows": _stage_rows(stages), "version": settings.version, "types": STAGE_TYPES, "errors": {}}
    return render(request, "jobs/settings_stages.html", context)


@router.post("/app/settings/stages")
async def save_stage_settings(request: Request, session: DbSession, principal: SettingsEditor) -> Response:
    form = await request.form()
    rows = []
    for index in range(60):
        name, kind = str(form.get(f"name_{index}", "")).strip(), str(form.get(f"type_{index}", "")).strip()
        if name or kind:
            rows.append({"name": name, "type": kind})
    version = str(form.get("version", ""))

    async def produce() -> Response:
        saved = await _save(request, principal, {"stage_template": rows}, version)
        if isinstance(saved, dict):
            context = {
                "rows": rows + [{"name": "", "type": ""} for _ in range(BLANK_STAGE_ROWS)],
                "version": version,
                "types": STAGE_TYPES,
                "errors": saved,
            }
            return render(
                request, "jobs/settings_stages.html", context, status_code=409 if "form" in saved else 422
            )
        response = RedirectResponse("/app/settings/stages", status_code=303)
        flash(
            request,
            response,
            "Stage template saved. New jobs start with these stages; existing jobs keep theirs.",
        )
        return response

    return AfterTransaction(produce)
