"""Pages of the TOTP second factor: the code step of the sign-in, enrolment when the organisation
requires it, and the account page to turn two-step sign-in on and off.

After a correct password the sign-in page stores the ``mfa_token`` in a short-lived HttpOnly
cookie (never in the URL or the page) and sends the browser to the code page; that page and the
enrolment page reuse the sign-in form's CSRF cookie. Failed codes are returned, not raised, so the
failed-attempt counter is committed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from markupsafe import Markup

from rolecall.config import Settings
from rolecall.identity import mfa, mfa_oauth, service
from rolecall.identity.auth import PAGE_COOKIE
from rolecall.identity.oauth import GrantContext, OAuthError
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.net import client_address
from rolecall.web.auth import SignedIn
from rolecall.web.security import LOGIN_CSRF_COOKIE, new_login_csrf, safe_next, same_token
from rolecall.web.templating import flash, render

router = APIRouter(include_in_schema=False)
MFA_COOKIE = "__Host-rolecall-mfa"
_COOKIE = {"path": "/", "secure": True, "httponly": True, "samesite": "lax"}
_CHALLENGE_PAGES = {"mfa_required": "/app/login/mfa", "mfa_enrolment_required": "/app/login/mfa/enrol"}
_CODE_MESSAGES = {
    "slow_down": "Too many failed attempts. Wait a few minutes and try again.",
    "invalid_request": "Enter the 6-digit code from your authenticator app.",
}


def _context(request: Request, session: DbSession) -> GrantContext:
    settings: Settings = request.app.state.settings
    return GrantContext(
        session, settings, request.app.state.keyring, client_address(request, settings.trust_forwarded_for)
    )


def _qr(enrolment: mfa.Enrolment) -> Markup:
    # segno writes the SVG itself from the URI: no markup of anyone's making gets through.
    return Markup(enrolment.qr_svg)  # noqa: S704


def challenge_redirect(err: OAuthError, next_path: str) -> Response | None:
    """The sign-in page's answer to an MFA challenge: the token in a cookie, on to the next step."""
    page = _CHALLENGE_PAGES.get(err.error)
    if page is None:
        return None
    response = RedirectResponse(f"{page}?next={next_path}", status_code=303)
    response.set_cookie(MFA_COOKIE, err.extra["mfa_token"], max_age=mfa.CHALLENGE_SECONDS, **_COOKIE)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_to_sign_in(request: Request, message: str) -> Response:
    response = RedirectResponse("/app/login", status_code=303)
    response.delete_cookie(MFA_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    flash(request, response, message)
    return response


def _code_page(
    request: Request,
    *,
    next_path: str,
    enrolment: mfa.Enrolment | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    context = {
        "next": next_path,
        "error": error,
        "login_csrf": token,
        "enrolment": enrolment,
        "qr": _qr(enrolment) if enrolment else None,
    }
    response = render(request, "identity/mfa_code.html", context, status_code=status)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, **_COOKIE)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-store"
    return response


_EXPIRED = "That sign-in took too long or was already used. Sign in again."


@router.get("/app/login/mfa", dependencies=[PUBLIC])
async def code_form(request: Request, session: DbSession, next: str | None = None) -> Response:
    purpose = await mfa_oauth.challenge_purpose(session, request.cookies.get(MFA_COOKIE, ""), "page")
    if purpose is None:
        return _back_to_sign_in(request, _EXPIRED)
    if purpose == "enrol":
        return RedirectResponse(f"/app/login/mfa/enrol?next={safe_next(next)}", status_code=303)
    return _code_page(request, next_path=safe_next(next))


@router.get("/app/login/mfa/enrol", dependencies=[PUBLIC])
async def enrol_form(request: Request, session: DbSession, next: str | None = None) -> Response:
    ctx = _context(request, session)
    try:
        enrolment = await mfa_oauth.enrolment(ctx, request.cookies.get(MFA_COOKIE, ""), "page", restart=False)
    except OAuthError:
        return _back_to_sign_in(request, _EXPIRED)
    return _code_page(request, next_path=safe_next(next), enrolment=enrolment)


@router.post("/app/login/mfa", dependencies=[PUBLIC])
async def submit_code(
    request: Request,
    session: DbSession,
    code: Annotated[str, Form(max_length=32)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/app",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the code (or a first code, finishing an enrolment) and complete the sign-in."""
    target = safe_next(next)
    token = request.cookies.get(MFA_COOKIE, "")
    ctx = _context(request, session)
    purpose = await mfa_oauth.challenge_purpose(session, token, "page")
    if purpose is None:
        return _back_to_sign_in(request, _EXPIRED)
    if not same_token(csrf_token, request.cookies.get(LOGIN_CSRF_COOKIE, "")):
        return _back_to_sign_in(request, "The form expired; please sign in again.")
    try:
        cookie, codes = await mfa_oauth.page_second_step(ctx, token, code)
    except OAuthError as err:
        if err.description == mfa_oauth.INVALID_TOKEN:
            return _back_to_sign_in(request, _EXPIRED)
        message = _CODE_MESSAGES.get(err.error, "That code is not right, or was already used. Try the next.")
        enrolment = None
        if purpose == "enrol":
            enrolment = await mfa_oauth.enrolment(ctx, token, "page", restart=False)
        return _code_page(request, next_path=target, enrolment=enrolment, error=message, status=err.status)
    if codes is None:
        response: Response = RedirectResponse(target, status_code=303)
    else:
        response = render(
            request,
            "identity/mfa_recovery_codes.html",
            {"codes": codes, "next": target, "layout": "public.html"},
        )
    hours: int = request.app.state.settings.page_session_hours
    response.set_cookie(PAGE_COOKIE, cookie, max_age=hours * 3600, **_COOKIE)  # type: ignore[arg-type]
    response.delete_cookie(MFA_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    response.delete_cookie(LOGIN_CSRF_COOKIE, **_COOKIE)  # type: ignore[arg-type]
    response.headers["Cache-Control"] = "no-store"
    return response


# --- the account page -------------------------------------------------------------------------


async def _account_page(
    request: Request, session: DbSession, principal: SignedIn, *, error: str | None = None, status: int = 200
) -> Response:
    user = await service.get_user(session, principal, principal.subject_id)
    found = await mfa.status(session, principal)
    settings: Settings = request.app.state.settings
    enrolment = await mfa.pending_enrolment(session, settings, user) if found.pending else None
    context = {
        "status": found,
        "enrolment": enrolment,
        "qr": _qr(enrolment) if enrolment else None,
        "error": error,
    }
    response = render(request, "identity/mfa_account.html", context, status_code=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/app/account/mfa")
async def account_mfa(request: Request, session: DbSession, principal: SignedIn) -> Response:
    """Two-step sign-in for the signed-in person: set it up, confirm it, or turn it off."""
    return await _account_page(request, session, principal)


@router.post("/app/account/mfa/start")
async def account_mfa_start(request: Request, session: DbSession, principal: SignedIn) -> Response:
    user = await service.get_user(session, principal, principal.subject_id)
    await mfa.start_enrolment(session, request.app.state.settings, user, principal.actor)
    return RedirectResponse("/app/account/mfa", status_code=303)


@router.post("/app/account/mfa/confirm")
async def account_mfa_confirm(
    request: Request, session: DbSession, principal: SignedIn, code: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    settings: Settings = request.app.state.settings
    user = await service.get_user(session, principal, principal.subject_id)
    address = client_address(request, settings.trust_forwarded_for)
    try:
        codes = await mfa.confirm_enrolment(session, settings, user, code, address, principal.actor)
    except mfa.CodeThrottled:
        return await _account_page(request, session, principal, error=_CODE_MESSAGES["slow_down"], status=429)
    except mfa.CodeRejected as exc:
        await mfa.record_rejection(session, settings, exc)
        message = "That code is not right. Check the time on your phone and try the next code."
        return await _account_page(request, session, principal, error=message, status=422)
    response = render(
        request,
        "identity/mfa_recovery_codes.html",
        {"codes": codes, "next": "/app/account/mfa", "layout": "app.html"},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/app/account/mfa/disable")
async def account_mfa_disable(
    request: Request, session: DbSession, principal: SignedIn, code: Annotated[str, Form(max_length=32)] = ""
) -> Response:
    settings: Settings = request.app.state.settings
    address = client_address(request, settings.trust_forwarded_for)
    try:
        await mfa.disable(session, settings, principal, code, address)
    except mfa.CodeThrottled:
        return await _account_page(request, session, principal, error=_CODE_MESSAGES["slow_down"], status=429)
    except mfa.CodeRejected as exc:
        await mfa.record_rejection(session, settings, exc)
        message = "That code is not right, or was already used. Enter a current code or a recovery code."
        return await _account_page(request, session, principal, error=message, status=422)
    response = RedirectResponse("/app/account/mfa", status_code=303)
    flash(request, response, "Two-step sign-in is off.")
    return response
