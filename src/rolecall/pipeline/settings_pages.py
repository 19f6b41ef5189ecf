"""Pipeline settings page: the reasons staff choose from when they reject, and the consent text
applicants agree to. Saved through ``service.update_settings`` like ``PATCH /v1/pipeline-settings``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from rolecall.pipeline import service
from rolecall.pipeline.models import PipelineSettings
from rolecall.pipeline.schemas import PipelineSettingsUpdate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import PreconditionFailed, Unprocessable
from rolecall.platform.http import etag_for
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
SettingsEditor = Annotated[Principal, Depends(page_requires("pipeline:settings"))]
BLANK_ROWS = 3


def _context(
    settings: PipelineSettings | None, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    return {"form": values, "errors": errors, "settings": settings}


def _values(settings: PipelineSettings) -> dict[str, Any]:
    reasons = [dict(reason) for reason in settings.reject_reasons]
    return {
        "reasons": reasons + [{"key": "", "label": ""} for _ in range(BLANK_ROWS)],
        "consent_text": settings.consent_text,
        "consent_version": settings.consent_version,
        "version": settings.version,
    }


@router.get("/app/settings/pipeline")
async def pipeline_settings(request: Request, session: DbSession, principal: SettingsEditor) -> Response:
    settings = await service.get_settings(session, principal.organisation_id)
    return render(request, "pipeline/settings.html", _context(settings, _values(settings), {}))


@router.post("/app/settings/pipeline")
async def save_pipeline_settings(request: Request, session: DbSession, principal: SettingsEditor) -> Response:
    form = await request.form()
    reasons = []
    for index in range(60):
        key, label = str(form.get(f"key_{index}", "")).strip(), str(form.get(f"label_{index}", "")).strip()
        if key or label:
            reasons.append({"key": key, "label": label})
    values = {
        "reasons": reasons + [{"key": "", "label": ""} for _ in range(BLANK_ROWS)],
        "consent_text": str(form.get("consent_text", "")),
        "consent_version": str(form.get("consent_version", "")).strip(),
        "version": str(form.get("version", "")),
    }
    settings = await service.get_settings(session, principal.organisation_id)
    errors: dict[str, str]
    try:
        body = PipelineSettingsUpdate.model_validate(
            {
                "reject_reasons": reasons,
                "consent_text": values["consent_text"],
                "consent_version": values["consent_version"],
            }
        )
        version = str(values["version"])
        if_match = etag_for(settings.id, int(version)) if version.isdigit() else ""
        await service.update_settings(session, principal, body, if_match)
    except ValidationError as exc:
        errors = field_errors(exc)
    except Unprocessable as exc:
        errors = field_errors(exc)
    except PreconditionFailed:
        errors = {"form": "Someone else saved these settings since you opened the page. Reload it first."}
    else:
        response = RedirectResponse("/app/settings/pipeline", status_code=303)
        flash(request, response, "Pipeline settings saved.")
        return response
    status = 409 if "form" in errors else 422
    return render(request, "pipeline/settings.html", _context(settings, values, errors), status_code=status)
