"""The scorecard form: one's own scorecard for an interview, saved as a draft or submitted.

The form is generated from the scorecard's attributes, which the service fills from the job's pinned
profile level the first time the interviewer opens it (as ``GET …/scorecards/mine`` does). Saving
and submitting call the same service functions as the API; a submitted scorecard is shown read-only.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.interviews import page_views, scorecards, service
from rolecall.interviews.schemas import RECOMMENDATIONS, ScorecardUpdate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, PreconditionFailed, ProblemError, Unprocessable
from rolecall.platform.http import etag_for, pii_keyring
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
Scorer = Annotated[Principal, Depends(page_requires("interviews:read", "scorecards:write"))]
RATING_WORDS = ((1, "Strong no"), (2, "No"), (3, "Yes"), (4, "Strong yes"))
RECOMMENDATION_WORDS = {"strong_no": "Strong no", "no": "No", "yes": "Yes", "strong_yes": "Strong yes"}


def _stored(view: scorecards.ScorecardView) -> dict[str, Any]:
    """The draft's choices as form values: "1"-"4", or "not_assessed" for a skill marked so."""
    ratings = {
        a["skill"]: scorecards.NOT_ASSESSED if a["not_assessed"] else str(a["rating"])
        for a in view.attributes
        if a["rating"] is not None or a["not_assessed"]
    }
    return {"ratings": ratings, "recommendation": view.recommendation or "", "notes": view.notes or ""}


def _form_errors(exc: ValidationError | ProblemError) -> dict[str, str]:
    """``ratings.x`` (the update) and ``attributes.x`` (the submit) are both the rating group ``rating.x``."""
    found: dict[str, str] = {}
    for field, message in field_errors(exc).items():
        for prefix in ("ratings.", "attributes."):
            if field.startswith(prefix):
                field = "rating." + field.removeprefix(prefix)
        found.setdefault(field, message)
    return found


async def _page(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    view: scorecards.ScorecardView,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    interview = await service.get_interview(session, principal, view.interview_id)
    titles = await page_views.job_titles(session, principal, {interview.job_id})
    context = {
        "view": view,
        "interview": interview,
        "starts_at": page_views.aware(interview.starts_at),
        "job_title": titles[interview.job_id],
        "values": values or _stored(view),
        "errors": errors or {},
        "rating_words": RATING_WORDS,
        "recommendations": [(key, RECOMMENDATION_WORDS[key]) for key in RECOMMENDATIONS],
        "recommendation_words": RECOMMENDATION_WORDS,
    }
    return render(request, "interviews/scorecard.html", context, status_code=status)


@router.get("/app/interviews/{interview_id}/scorecard")
async def scorecard_form(
    interview_id: uuid.UUID, request: Request, session: DbSession, principal: Scorer
) -> Response:
    view = await scorecards.my_scorecard(session, principal, interview_id, keyring=pii_keyring(request))
    return await _page(request, session, principal, view)


def _payload(form: dict[str, str], skills: list[str]) -> dict[str, Any]:
    """Only what the person chose: a rating group left empty keeps the draft's value (none)."""
    ratings = {skill: form[f"rating.{skill}"] for skill in skills if form.get(f"rating.{skill}")}
    payload: dict[str, Any] = {"notes": form.get("notes", "").strip() or None}
    if ratings:
        payload["ratings"] = ratings
    if form.get("recommendation"):
        payload["recommendation"] = form["recommendation"]
    return payload


@router.post("/app/interviews/{interview_id}/scorecard")
async def save_scorecard(
    interview_id: uuid.UUID, request: Request, session: DbSession, principal: Scorer
) -> Response:
    keyring = pii_keyring(request)
    form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
    view = await scorecards.my_scorecard(session, principal, interview_id, keyring=keyring)
    if view.status == "submitted":
        errors = {"form": "This scorecard is submitted and can no longer be changed."}
        return await _page(request, session, principal, view, errors=errors, status=409)
    skills = [str(a["skill"]) for a in view.attributes]
    stored = _stored(view)
    values = {  # what was sent; a group sent empty still shows the draft's choice
        "ratings": {
            skill: form.get(f"rating.{skill}") or stored["ratings"].get(skill, "") for skill in skills
        },
        "recommendation": form.get("recommendation") or stored["recommendation"],
        "notes": form.get("notes", ""),
    }
    version = form.get("version", "")
    if_match = etag_for(view.id, int(version)) if version.isdigit() else ""
    try:
        body = ScorecardUpdate.model_validate(_payload(form, skills))
        view = await scorecards.update_my_scorecard(
            session, principal, interview_id, body, if_match, keyring=keyring
        )
        if form.get("action") == "submit":
            view = await scorecards.submit_my_scorecard(session, principal, interview_id, keyring=keyring)
    except (ValidationError, Unprocessable) as exc:
        errors = _form_errors(exc)
    except PreconditionFailed:
        errors = {"form": "This scorecard was changed in another window. Check your entries and save again."}
    except Conflict as exc:
        errors = {"form": exc.detail or exc.title}
    else:
        if view.status == "submitted":
            response = RedirectResponse(f"/app/interviews/{interview_id}", status_code=303)
            flash(
                request, response, "Scorecard submitted. You can now see the other interviewers' scorecards."
            )
        else:
            response = RedirectResponse(f"/app/interviews/{interview_id}/scorecard", status_code=303)
            flash(
                request, response, "Draft saved. Submit it when every skill is rated or marked not assessed."
            )
        return response
    return await _page(request, session, principal, view, values=values, errors=errors, status=422)
