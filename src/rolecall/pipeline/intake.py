"""The HTTP side of applying, shared by the JSON route and the apply page.

Both doors must brake, trap bots and answer duplicates the same way, or the weaker one becomes the
way in: one rate limit per client address (the same counter for both), one honeypot field, one
decoy answer shaped like a success, one way of reading uploaded files, one set of counters.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeGuard

import structlog
from fastapi import Request
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData, UploadFile

from rolecall.pipeline import applying
from rolecall.pipeline.schemas import PublicApplication
from rolecall.platform import ratelimit
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import TooManyRequests, Unprocessable
from rolecall.platform.ids import new_id
from rolecall.platform.net import client_address
from rolecall.platform.ratelimit import SlidingWindowLimiter

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


@dataclass(frozen=True)
class Received:
    """What the applicant is told: the same shape whether or not anything was stored."""

    application_id: uuid.UUID
    token: str
    expires_at: datetime


async def check_rate(request: Request) -> None:
    """Count this submission against the client address; 429 with Retry-After over the limit.

    The count is the shared "apply" rate limit (platform/ratelimit.py, Redis when configured); a
    per-process :class:`SlidingWindowLimiter` set as ``app.state.apply_limiter`` overrides it (tests).
    """
    settings = request.app.state.settings
    override: SlidingWindowLimiter | None = getattr(request.app.state, "apply_limiter", None)
    if override is None:
        try:
            await ratelimit.enforce(request, ratelimit.APPLY)
        except TooManyRequests as exc:
            RECEIVED.labels("rate_limited").inc()
            raise TooManyRequests(
                "Too many applications from this address; try again later.", headers=exc.headers
            ) from None
        return
    retry_after = override.hit(client_address(request, settings.trust_forwarded_for))
    if retry_after is not None:
        RECEIVED.labels("rate_limited").inc()
        raise TooManyRequests(
            "Too many applications from this address; try again later.",
            headers={"Retry-After": str(int(retry_after))},
        )


def tools(request: Request) -> applying.Tools:
    state = request.app.state
    return applying.Tools(
        state.pii_keyring, state.blind_index, state.file_store, state.settings.status_link_days
    )


def decoy(request: Request) -> Received:
    """A success-shaped answer for a submission that stored nothing; its link leads nowhere."""
    days: int = request.app.state.settings.status_link_days
    return Received(new_id(), secrets.token_urlsafe(32), utcnow() + timedelta(days=days))


def is_bot(form: FormData, posting_id: uuid.UUID) -> bool:
    """People never see the honeypot field; whatever fills it in is a bot."""
    if not str(form.get(HONEYPOT) or "").strip():
        return False
    log.info("apply.honeypot", posting_id=str(posting_id))
    RECEIVED.labels("honeypot").inc()
    return True


def problems(exc: ValidationError) -> list[dict[str, str]]:
    """Pydantic's complaints about the application, as the ``errors[]`` of a problem document."""
    return [
        {"field": ".".join(str(p) for p in error["loc"]) or "application", "message": error["msg"]}
        for error in exc.errors()
    ]


async def file_bytes(part: UploadFile, field: str) -> bytes:
    data = await part.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        message = f"The file is larger than the {MAX_FILE_BYTES // (1024 * 1024)} MB limit."
        raise Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})
    if not data:
        raise Unprocessable(
            "The file is empty.", extra={"errors": [{"field": field, "message": "the file is empty"}]}
        )
    return data


def _chosen(part: Any) -> TypeGuard[UploadFile]:
    # A browser sends an empty part without a file name for a file input left empty.
    return isinstance(part, UploadFile) and bool(part.filename or part.size)


async def submit(
    request: Request, session: AsyncSession, posting_id: uuid.UUID, body: PublicApplication, form: FormData
) -> Received:
    """Read the uploaded files and apply; a duplicate gets the decoy, refusals are counted and raised."""
    resume = form.get("resume")
    resume_bytes = await file_bytes(resume, "resume") if _chosen(resume) else None
    files = {
        key.removeprefix(FILE_PREFIX): await file_bytes(part, key)
        for key, part in form.multi_items()
        if key.startswith(FILE_PREFIX) and _chosen(part)
    }
    try:
        submitted = await applying.submit(
            session, posting_id, body, resume=resume_bytes, files=files, tools=tools(request)
        )
    except Unprocessable:
        RECEIVED.labels("invalid").inc()
        raise
    except applying.AlreadyApplied:
        RECEIVED.labels("duplicate").inc()
        # The same answer as a first application: the form must not reveal who applied where. The
        # address on file was sent a fresh link to the first application (see applying.submit).
        return decoy(request)
    RECEIVED.labels("created").inc()
    return Received(submitted.application.id, submitted.token, submitted.expires_at)
