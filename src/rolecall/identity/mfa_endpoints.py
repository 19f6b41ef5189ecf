"""Routes of the TOTP second factor: one's own enrolment, an admin's reset, enrolment with an mfa_token.

Wrong codes are answered with a returned problem document rather than a raised one, so the request
transaction still commits the failed-attempt counter (the token endpoint does the same).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from rolecall.config import Settings
from rolecall.identity import mfa, mfa_oauth, service
from rolecall.identity.auth import AnyStaff, UsersWrite
from rolecall.identity.oauth import OAuthError
from rolecall.identity.oauth_endpoints import _context, _oauth_error
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.errors import problem_response
from rolecall.platform.http import no_store
from rolecall.platform.net import client_address

router = APIRouter(tags=["identity"])
oauth_router = APIRouter(tags=["oauth"])
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class MfaStatusOut(BaseModel):
    totp_enabled: bool = Field(description="A confirmed authenticator is required at every password sign-in")
    enrolment_pending: bool = Field(description="An authenticator was set up but not yet confirmed")
    confirmed_at: datetime | None
    recovery_codes_left: int
    required_by_organisation: bool


class TotpEnrolmentOut(BaseModel):
    secret: str = Field(description="The base32 shared secret, for typing into an authenticator by hand")
    otpauth_uri: str = Field(description="The otpauth:// URI the QR code holds")
    qr_svg: str = Field(description="The QR code as an inline SVG document")


class TotpCode(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=6, max_length=32, description="A current 6-digit code, or a recovery code")


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str] = Field(description="Ten single-use codes, shown this once only")


_CODE_ERRORS = {
    422: {"description": "The code is wrong, already used, or the request is invalid"},
    429: {"description": "Too many wrong codes or passwords; Retry-After says when to try again"},
}


def _rejected() -> Response:
    return problem_response(
        422, "unprocessable", "Request cannot be processed", "The code is incorrect or was already used."
    )


def _throttled(exc: mfa.CodeThrottled) -> Response:
    return problem_response(
        429,
        "too-many-requests",
        "Too many requests",
        "Too many failed attempts; try again later.",
        headers={"Retry-After": str(exc.retry_after)},
    )


def _address(request: Request) -> str:
    settings: Settings = request.app.state.settings
    return client_address(request, settings.trust_forwarded_for)


@router.get("/v1/me/mfa", response_model=MfaStatusOut, operation_id="me.mfa.get")
async def read_mfa(principal: AnyStaff, session: DbSession, response: Response) -> MfaStatusOut:
    """The signed-in user's second factor: on or off, recovery codes left, the organisation's rule."""
    no_store(response)
    found = await mfa.status(session, principal)
    return MfaStatusOut(
        totp_enabled=found.enabled,
        enrolment_pending=found.pending,
        confirmed_at=found.confirmed_at,
        recovery_codes_left=found.recovery_codes_left,
        required_by_organisation=found.required_by_organisation,
    )


@router.post(
    "/v1/me/mfa/totp",
    response_model=TotpEnrolmentOut,
    status_code=status.HTTP_201_CREATED,
    operation_id="me.mfa.totp.start",
)
async def start_totp(
    request: Request, principal: AnyStaff, session: DbSession, response: Response
) -> TotpEnrolmentOut:
    """Start setting up an authenticator app: a new secret, its otpauth:// URI and QR code.

    Nothing changes at sign-in until a code confirms it. Starting again replaces an unconfirmed
    secret; with a confirmed one this is a 409 (turn it off first).
    """
    no_store(response)
    await mfa.status(session, principal)  # refuses API clients
    user = await service.get_user(session, principal, principal.subject_id)
    found = await mfa.start_enrolment(session, request.app.state.settings, user, principal.actor)
    return TotpEnrolmentOut(secret=found.secret, otpauth_uri=found.otpauth_uri, qr_svg=found.qr_svg)


@router.post(
    "/v1/me/mfa/totp/confirm",
    response_model=RecoveryCodesOut,
    operation_id="me.mfa.totp.confirm",
    responses=_CODE_ERRORS,  # type: ignore[arg-type]
)
async def confirm_totp(body: TotpCode, request: Request, principal: AnyStaff, session: DbSession) -> Response:
    """Confirm the new authenticator with a current code. From now on every password sign-in asks
    for a code; the answer holds ten recovery codes, shown this once only."""
    await mfa.status(session, principal)
    user = await service.get_user(session, principal, principal.subject_id)
    settings: Settings = request.app.state.settings
    try:
        address = _address(request)
        codes = await mfa.confirm_enrolment(session, settings, user, body.code, address, principal.actor)
    except mfa.CodeThrottled as exc:
        return _throttled(exc)
    except mfa.CodeRejected as exc:
        await mfa.record_rejection(session, settings, exc)
        return _rejected()
    return JSONResponse(RecoveryCodesOut(recovery_codes=codes).model_dump(), headers=_NO_STORE)


@router.post(
    "/v1/me/mfa/totp/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    operation_id="me.mfa.totp.disable",
    responses=_CODE_ERRORS,  # type: ignore[arg-type]
)
async def disable_totp(body: TotpCode, request: Request, principal: AnyStaff, session: DbSession) -> Response:
    """Turn two-step sign-in off with a current code (or a recovery code). If the organisation
    requires it, the next password sign-in asks to set it up again."""
    settings: Settings = request.app.state.settings
    try:
        await mfa.disable(session, settings, principal, body.code, _address(request))
    except mfa.CodeThrottled as exc:
        return _throttled(exc)
    except mfa.CodeRejected as exc:
        await mfa.record_rejection(session, settings, exc)
        return _rejected()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete(
    "/v1/users/{user_id}/mfa", status_code=status.HTTP_204_NO_CONTENT, operation_id="users.mfa.reset"
)
async def reset_user_mfa(user_id: uuid.UUID, principal: UsersWrite, session: DbSession) -> Response:
    """Remove another user's second factor (a lost phone, no recovery codes left). Their sign-ins
    end; the audit log records who did it. Answers 204 also when there was nothing to remove."""
    await mfa.admin_reset(session, principal, user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@oauth_router.post(
    "/v1/oauth/mfa/enrolment",
    dependencies=[PUBLIC],
    operation_id="oauth.mfa_enrolment",
    summary="Set up an authenticator with an mfa_token",
    responses={200: {"model": TotpEnrolmentOut, "description": "The secret, its URI and QR code"}},
)
async def enrol_with_token(
    request: Request, session: DbSession, mfa_token: Annotated[str, Form()] = ""
) -> JSONResponse:
    """The one call an ``mfa_enrolment_required`` token opens besides the ``mfa-otp`` grant: a new
    authenticator secret for the user it belongs to. Send a first code from the app to the token
    endpoint to finish both the enrolment and the sign-in. Errors follow RFC 6749."""
    try:
        found = await mfa_oauth.enrolment(_context(request, session), mfa_token, "api", restart=True)
    except OAuthError as err:
        return _oauth_error(err)
    body = TotpEnrolmentOut(secret=found.secret, otpauth_uri=found.otpauth_uri, qr_svg=found.qr_svg)
    return JSONResponse(body.model_dump(), headers=_NO_STORE)
