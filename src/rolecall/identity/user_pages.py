"""The staff list page of the settings: who works in Rolecall, with which roles; add and change people.

Everything goes through the identity service, so the same rules hold as in the API: nobody grants
more than they hold, the last admin cannot be removed, and a role change ends the person's logins.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from rolecall.identity import mfa, service
from rolecall.identity.permissions import Role
from rolecall.identity.schemas import UserCreate, UserUpdate
from rolecall.platform.auth import DbSession, Principal
from rolecall.platform.errors import Conflict, Forbidden, PreconditionFailed, Unprocessable
from rolecall.platform.http import etag_for
from rolecall.platform.pagination import PageParams
from rolecall.web.auth import page_requires
from rolecall.web.forms import field_errors
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
UsersReader = Annotated[Principal, Depends(page_requires("users:read"))]
UsersEditor = Annotated[Principal, Depends(page_requires("users:read", "users:write"))]
ROLES = [(role.value, role.value.replace("_", " ").capitalize()) for role in Role]
MAX_LISTED = 500


async def _page(
    request: Request,
    session: DbSession,
    principal: Principal,
    *,
    new: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    users, _cursor = await service.list_users(session, principal, PageParams(limit=MAX_LISTED, after=None))
    users = sorted(users, key=lambda user: (not user.is_active, user.full_name.lower()))
    context = {
        "users": users,
        "enrolled": await mfa.enrolled_among(session, [user.id for user in users]),
        "me": principal.subject_id,
        "roles": ROLES,
        "new": new or {"full_name": "", "email": "", "roles": [], "sees_all_jobs": False},
        "errors": errors or {},
        "add_errors": {k: v for k, v in (errors or {}).items() if not k.startswith("user-")},
        "may_write": "users:write" in principal.scopes,
    }
    return render(request, "identity/users.html", context, status_code=status)


@router.get("/app/settings/users")
async def users_page(request: Request, session: DbSession, principal: UsersReader) -> Response:
    return await _page(request, session, principal)


@router.post("/app/settings/users")
async def add_user(request: Request, session: DbSession, principal: UsersEditor) -> Response:
    form = await request.form()
    new = {
        "full_name": str(form.get("full_name", "")).strip(),
        "email": str(form.get("email", "")).strip(),
        "roles": [str(role) for role in form.getlist("roles")],
        "sees_all_jobs": form.get("sees_all_jobs") == "true",
    }
    try:
        body = UserCreate.model_validate({**new, "password": str(form.get("password", ""))})
        await service.create_user(session, principal, body)
    except ValidationError as exc:
        return await _page(request, session, principal, new=new, errors=field_errors(exc), status=422)
    except (Conflict, Forbidden, Unprocessable) as exc:
        errors = field_errors(exc) if exc.extra.get("errors") else {"email": exc.detail or exc.title}
        return await _page(request, session, principal, new=new, errors=errors, status=exc.status)
    response = RedirectResponse("/app/settings/users", status_code=303)
    flash(request, response, f"{new['full_name']} can now sign in with the password you chose.")
    return response


@router.post("/app/settings/users/{user_id}")
async def change_user(
    user_id: uuid.UUID, request: Request, session: DbSession, principal: UsersEditor
) -> Response:
    form = await request.form()
    version = str(form.get("version", ""))
    changes: dict[str, Any] = {"roles": [str(role) for role in form.getlist("roles")]}
    if "is_active" in form:
        changes["is_active"] = form.get("is_active") == "true"
    if "sees_all_jobs" in form:
        changes["sees_all_jobs"] = form.get("sees_all_jobs") == "true"
    user = await service.get_user(session, principal, user_id)
    try:
        update = UserUpdate.model_validate(changes)
        if_match = etag_for(user.id, int(version)) if version.isdigit() else ""
        await service.update_user(session, principal, user_id, update, if_match)
    except ValidationError as exc:
        message = next(iter(field_errors(exc).values()))
        return await _page(request, session, principal, errors={f"user-{user_id}": message}, status=422)
    except PreconditionFailed:
        message = "Someone else changed this person since you opened the page; here is the current list."
        return await _page(request, session, principal, errors={f"user-{user_id}": message}, status=409)
    except (Conflict, Forbidden, Unprocessable) as exc:
        errors = {f"user-{user_id}": exc.detail or exc.title}
        return await _page(request, session, principal, errors=errors, status=exc.status)
    response = RedirectResponse("/app/settings/users", status_code=303)
    flash(request, response, f"Saved the changes to {user.full_name}. Their current sign-ins have ended.")
    return response


@router.post("/app/settings/users/{user_id}/mfa-reset")
async def reset_mfa(
    user_id: uuid.UUID, request: Request, session: DbSession, principal: UsersEditor
) -> Response:
    """As ``DELETE /v1/users/{id}/mfa``: for someone who lost their phone and their recovery codes."""
    user = await service.get_user(session, principal, user_id)
    try:
        await mfa.admin_reset(session, principal, user_id)
    except (Conflict, Forbidden) as exc:
        errors = {f"user-{user_id}": exc.detail or exc.title}
        return await _page(request, session, principal, errors=errors, status=exc.status)
    response = RedirectResponse("/app/settings/users", status_code=303)
    flash(
        request,
        response,
        f"Two-step sign-in for {user.full_name} is reset and their sign-ins have ended. "
        "They can sign in with their password and set up a new authenticator.",
    )
    return response
