"""Staff sign-in and sign-out pages.

A page sign-in is a login like the OAuth password grant (same throttle, same ``auth_sessions``
row), carried by an HttpOnly, Secure, SameSite=Lax cookie whose hash is all the database keeps.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from rolecall.config import Settings
from rolecall.identity import mfa_pages, oauth, service, sso_pages
from rolecall.identity.auth import PAGE_COOKIE
from rolecall.identity.oauth import GrantContext, OAuthError
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.net import client_address
from rolecall.web.auth import SignedIn
from rolecall.web.security import LOGIN_CSRF_COOKIE, new_login_csrf, safe_next, same_token
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
_COOKIE = {"path": "/", "secure": True, "httponly": True, "samesite": "lax"}
_LOOPBACK = ("127.0.0.1", "localhost", "[::1]")


def _context(request: Request, session: DbSession) -> GrantContext:
    settings: Settings = request.app.state.settings
    return GrantContext(
        session, settings, request.app.state.keyring, client_address(request, settings.trust_forwarded_for)
    )


def _form(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    error: str | None = None,
    status: int = 200,
    organisation: str | None = None,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    insecure = request.url.scheme != "https" and request.url.hostname not in _LOOPBACK
    response = render(
        request,
        "identity/login.html",
        {
            "next": next_path,
            "email": email,
            "error": error,
            "login_csrf": token,
            "insecure": insecure,
            "organisation": organisation,
        },
        status_code=status,
    )
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_COOKIE)  # type: ignore[arg-type]
    return response


@router.get("/app/login", dependencies=[PUBLIC])
async def sign_in_form(request: Request, next: str | None = None) -> Response:
    return _form(request, next_path=safe_next(next))


@router.post("/app/login", dependencies=[PUBLIC])
async def sign_in(
    request: Request,
    session: DbSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    organisation: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    target = safe_next(next)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _form(
            request,
            next_path=target,
            email=email,
            error="The form expired; please sign in again.",
            status=400,
        )
    # An address in a domain with single sign-on goes to its provider; no password is checked.
    routed = await sso_pages.route_sign_in(request, session, email, target)
    if routed is not None:
        return routed
    try:
        cookie = await oauth.page_sign_in(_context(request, session), email, password, organisation or None)
    except OAuthError as err:
        # A second factor is due: the mfa_token goes into a cookie and the code page comes next.
        challenge = mfa_pages.challenge_redirect(err, target)
        if challenge is not None:
            return challenge
        # Returned, not raised: the failed-login counter must still be committed.
        message = {
            "invalid_request": "Enter your e-mail address and password.",
            "slow_down": "Too many failed sign-in attempts. Wait a few minutes and try again.",
            "organisation_required": (
                "This address and password open accounts in more than one organisation. "
                "Enter the id of the organisation to sign in to (shown on its account page)."
            ),
        }.get(err.error, "The e-mail address or password is incorrect.")
        asked = organisation if organisation or err.error == "organisation_required" else None
        return _form(
            request, next_path=target, email=email, error=message, status=err.status, organisation=asked
        )
    response = RedirectResponse(target, status_code=303)
    hours: int = request.app.state.settings.page_session_hours
    response.set_cookie(PAGE_COOKIE, cookie, max_age=hours * 3600, **_COOKIE)  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/app/logout")
async def sign_out(request: Request, session: DbSession, principal: SignedIn) -> Response:
    assert principal.session_id is not None
    await oauth.page_sign_out(_context(request, session), principal.session_id, principal.subject_id)
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(PAGE_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    flash(request, response, "You have signed out.")
    return response


@router.get("/app/account")
async def account(request: Request, session: DbSession, principal: SignedIn) -> Response:
    """Who is signed in, in which organisation and with which roles: the page every role can open."""
    user = await service.get_user(session, principal, principal.subject_id)
    organisation = await service.get_organisation(session, principal)
    return render(request, "identity/account.html", {"user": user, "organisation": organisation})
