"""The organisation's sign-in security settings page: whether every password sign-in needs a second
step.

It saves through ``service.update_organisation`` with the version the page was read at as the
``If-Match`` that ``PATCH /v1/organisation`` takes, so a colleague's change in between is reported,
not overwritten.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse

from rolecall.identity import service
from rolecall.identity.models import Organisation
from rolecall.identity.schemas import OrganisationUpdate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import PreconditionFailed
from rolecall.platform.http import etag_for
from rolecall.web.auth import page_requires
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
SecurityEditor = Annotated[Principal, Depends(page_requires("organisation:read", "organisation:write"))]
PATH = "/app/settings/security"
STALE = "Someone else changed this setting since you opened the page; here is what is saved now."


def _page(request: Request, organisation: Organisation, *, error: str = "", status: int = 200) -> Response:
    context = {"organisation": organisation, "error": error}
    return render(request, "identity/security.html", context, status_code=status)


@router.get(PATH)
async def security_settings(request: Request, session: DbSession, principal: SecurityEditor) -> Response:
    return _page(request, await service.get_organisation(session, principal))


@router.post(PATH)
async def save_security_settings(request: Request, session: DbSession, principal: SecurityEditor) -> Response:
    form = await request.form()
    version = str(form.get("version", ""))
    required = form.get("require_mfa") == "true"
    organisation = await service.get_organisation(session, principal)
    if_match = etag_for(organisation.id, int(version)) if version.isdigit() else ""
    try:
        await service.update_organisation(
            session, principal, OrganisationUpdate(require_mfa=required), if_match
        )
    except PreconditionFailed:
        return _page(request, organisation, error=STALE, status=409)
    response = RedirectResponse(PATH, status_code=303)
    message = (
        "Two-step sign-in is now required. Staff who have not set it up are asked to at their next "
        "password sign-in."
        if required
        else "Two-step sign-in is now each person's own choice."
    )
    flash(request, response, message)
    return response
