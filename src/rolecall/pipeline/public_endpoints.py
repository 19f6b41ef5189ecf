"""Public routes: the application form of a posting, applying, and the candidate's status link.

``POST /v1/board/postings/{id}/applications`` takes ``multipart/form-data``:

* ``application``: JSON (:class:`~rolecall.pipeline.schemas.PublicApplication`),
* ``resume``: optional file (PDF, DOCX or text, recognised by content, not by name),
* ``file_<question key>``: one file per file question of the form,
* ``website``: a honeypot. People never see it; bots fill it in. A filled honeypot gets an answer
  shaped like a success, and nothing is stored, so the bot learns nothing.

A second application of the same person (by e-mail or phone) to the same job gets that same
success-shaped answer and changes nothing, so the form cannot be used to learn who applied where.

Requests are limited per client address (``ROLECALL_APPLY_RATE_PER_HOUR``, 429 with Retry-After).
"""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import timedelta

import structlog
from fastapi import APIRouter, Request, Response, status
from prometheus_client import Counter
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from rolecall.pipeline import applying
from rolecall.pipeline.schemas import ApplicationForm, ApplicationStatusOut, ApplyResult, PublicApplication
from rolecall.platform.auth import PUBLIC, DbSession
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import BadRequest, TooManyRequests, Unprocessable
from rolecall.platform.http import no_store
from rolecall.platform.ids import new_id
from rolecall.platform.net import client_address
from rolecall.platform.ratelimit import SlidingWindowLimiter

router = APIRouter(prefix="/v1", tags=["applying"], dependencies=[PUBLIC])
RECEIVED = Counter(
    "rolecall_applications_received_total",
    "Submissions to the public apply route, by outcome",
    ["outcome"],
)
log = structlog.get_logger("rolecall.pipeline.apply")
HONEYPOT = "website"
FILE_PREFIX = "file_"
MAX_FORM_FILES = 11  # the resume plus up to ten file questions
MAX_FILE_BYTES = 5 * 1024 * 1024
THANKS = (
    "Thank you, your application was received. Keep the status link: it is the only way to see or "
    "withdraw this application without contacting the recruiter."
)


def _limiter(request: Request) -> SlidingWindowLimiter:
    limiter: SlidingWindowLimiter | None = getattr(request.app.state, "apply_limiter", None)
    if limiter is None:
        limiter = SlidingWindowLimiter(request.app.state.settings.apply_rate_per_hour, timedelta(hours=1))
        request.app.state.apply_limiter = limiter
    return limiter


def _tools(request: Request) -> applying.Tools:
    state = request.app.state
    return applying.Tools(
        state.pii_keyring, state.blind_index, state.file_store, state.settings.status_link_days
    )


def _decoy(link_days: int) -> ApplyResult:
    """A reply shaped like a successful application, for submissions that store nothing."""
    token = secrets.token_urlsafe(32)
    return ApplyResult(
        application_id=new_id(),
        status_url=_status_url(token),
        status_token=token,
        status_link_expires_at=utcnow() + timedelta(days=link_days),
        message=THANKS,
    )


def _status_url(token: str) -> str:
    return f"/v1/application-status/{token}"


async def _file_bytes(part: UploadFile, field: str) -> bytes:
    data = await part.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        message = f"The file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit."
        raise Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})
    if not data:
        raise Unprocessable(
            "The file is empty.", extra={"errors": [{"field": field, "message": "the file is empty"}]}
        )
    return data


@router.get("/board/postings/{posting_id}/application-form", response_model=ApplicationForm)
async def application_form(posting_id: uuid.UUID, session: DbSession) -> ApplicationForm:
    return ApplicationForm.model_validate(await applying.application_form(session, posting_id))


@router.post(
    "/board/postings/{posting_id}/applications",
    response_model=ApplyResult,
    status_code=status.HTTP_201_CREATED,
    summary="Apply to an open posting (multipart: application JSON, resume, file answers)",
    responses={
        409: {"description": "This person already applied to this job"},
        429: {"description": "Too many"},
    },
)
async def apply(
    posting_id: uuid.UUID, request: Request, session: DbSession, response: Response
) -> ApplyResult:
    settings = request.app.state.settings
    retry_after = _limiter(request).hit(client_address(request, settings.trust_forwarded_for))
    if retry_after is not None:
        RECEIVED.labels("rate_limited").inc()
        raise TooManyRequests(
            "Too many applications from this address; try again later.",
            headers={"Retry-After": str(int(retry_after))},
        )
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("Send the application as multipart/form-data with an 'application' JSON part.")
    form = await request.form(max_files=MAX_FORM_FILES, max_fields=20)
    no_store(response)
    if str(form.get(HONEYPOT) or "").strip():
        log.info("apply.honeypot", posting_id=str(posting_id))
        RECEIVED.labels("honeypot").inc()
        return _decoy(settings.status_link_days)
    raw = form.get("application")
    if not isinstance(raw, str):
        raise Unprocessable(
            "The 'application' part is missing.",
            extra={"errors": [{"field": "application", "message": "is required"}]},
        )
    try:
        body = PublicApplication.model_validate(json.loads(raw))
    except json.JSONDecodeError as exc:
        raise Unprocessable(
            "The 'application' part is not JSON.",
            extra={"errors": [{"field": "application", "message": str(exc)}]},
        ) from exc
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in error["loc"]) or "application", "message": error["msg"]}
            for error in exc.errors()
        ]
        raise Unprocessable(
            "The application has problems; nothing was saved.", extra={"errors": errors}
        ) from exc
    resume = form.get("resume")
    resume_bytes = await _file_bytes(resume, "resume") if isinstance(resume, UploadFile) else None
    files = {
        key.removeprefix(FILE_PREFIX): await _file_bytes(part, key)
        for key, part in form.multi_items()
        if key.startswith(FILE_PREFIX) and isinstance(part, UploadFile)
    }
    try:
        submitted = await applying.submit(
            session, posting_id, body, resume=resume_bytes, files=files, tools=_tools(request)
        )
    except Unprocessable:
        RECEIVED.labels("invalid").inc()
        raise
    except applying.AlreadyApplied:
        RECEIVED.labels("duplicate").inc()
        # The same answer as a first application: the form must not reveal who applied where. The
        # person who really applied twice still has the status link from their first application.
        return _decoy(settings.status_link_days)
    RECEIVED.labels("created").inc()
    response.headers["Location"] = _status_url(submitted.token)
    return ApplyResult(
        application_id=submitted.application.id,
        status_url=_status_url(submitted.token),
        status_token=submitted.token,
        status_link_expires_at=submitted.expires_at,
        message=THANKS,
    )


@router.get("/application-status/{token}", response_model=ApplicationStatusOut)
async def application_status(
    token: str, request: Request, session: DbSession, response: Response
) -> ApplicationStatusOut:
    no_store(response)
    return ApplicationStatusOut.model_validate(
        await applying.status(session, token, request.app.state.blind_index)
    )


@router.post("/application-status/{token}/withdraw", response_model=ApplicationStatusOut)
async def withdraw(
    token: str, request: Request, session: DbSession, response: Response
) -> ApplicationStatusOut:
    no_store(response)
    return ApplicationStatusOut.model_validate(
        await applying.withdraw(session, token, request.app.state.blind_index)
    )
