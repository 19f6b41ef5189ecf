"""Applying from the careers board, and the candidate's no-account status link.

The apply request arrives without a login, so the use case binds the session to the posting's
organisation itself and acts as an ``applicant`` principal. It runs in the request's one transaction:
the candidate (found again by email or phone, or created), the resume, the application, its first
transition and the events commit together or not at all.

The status link carries a random token (256 bits); the database keeps only its keyed hash, so a
database reader cannot build working links. Links expire (``ROLECALL_STATUS_LINK_DAYS``): an
expired one answers 410 rather than 404, so the candidate knows to ask the recruiter.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.board import service as board
from rolecall.candidates import service as candidates
from rolecall.candidates.schemas import CandidateCreate
from rolecall.jobs import service as jobs
from rolecall.notifications import service as notifications
from rolecall.pipeline import answers as form
from rolecall.pipeline import repository, scoring, service
from rolecall.pipeline.models import Application
from rolecall.pipeline.schemas import PublicApplication
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import NotFound, ProblemError, Unprocessable
from rolecall.platform.ids import new_id
from rolecall.platform.pii import BlindIndex, KeyRing, normalise_email
from rolecall.platform.storage import FileStore
from rolecall.platform.tenancy import bind_organisation

TOKEN_PURPOSE = "application-status"  # noqa: S105 - a blind-index purpose, not a secret


class AlreadyApplied(Exception):
    """This person already has a live application to this job; nothing was changed."""


class LinkExpired(ProblemError):
    status = 410
    slug = "status-link-expired"
    title = "Status link expired"


@dataclass(frozen=True)
class Tools:
    """What the use case needs from the running app, passed in so tests can pass their own."""

    keyring: KeyRing
    index: BlindIndex
    store: FileStore
    link_days: int


@dataclass(frozen=True)
class Submitted:
    application: Application
    token: str
    expires_at: datetime


async def open_posting(session: AsyncSession, posting_id: uuid.UUID) -> Principal:
    """Scope the session to the posting's organisation and return the applicant acting in it."""
    organisation_id = await board.live_posting_owner(session, posting_id)
    bind_organisation(session, organisation_id)
    return Principal.acting_for("applicant", organisation_id)


async def posting_organisation(session: AsyncSession, params: dict[str, str]) -> uuid.UUID | None:
    """The organisation an ``Idempotency-Key`` on the public apply route is scoped to (its posting's)."""
    try:
        posting_id = uuid.UUID(params["posting_id"])
    except (KeyError, ValueError):
        return None
    return await board.live_posting_owner(session, posting_id)


async def application_form(session: AsyncSession, posting_id: uuid.UUID) -> dict[str, Any]:
    principal = await open_posting(session, posting_id)
    return await _form(session, principal, posting_id)


async def apply_page(session: AsyncSession, posting_id: uuid.UUID) -> dict[str, Any]:
    """The application form with what the apply page shows above it: the job and its organisation."""
    principal = await open_posting(session, posting_id)
    job = await jobs.get_job(session, principal, posting_id)
    return {
        **await _form(session, principal, posting_id),
        "job_title": job.title,
        "organisation": await public_organisation(session, principal),
    }


async def public_organisation(session: AsyncSession, principal: Principal) -> dict[str, Any]:
    """Name, careers-board address and logo of the organisation a candidate's page belongs to."""
    settings = await jobs.get_settings(session, principal)
    found = await jobs.board_organisation(session, settings.board_slug)
    return {
        "name": found[1] if found else "",
        "board_slug": settings.board_slug,
        "logo_url": settings.logo_url,
        "theme_url": board.theme_url(settings.board_slug, settings.accent_colour),
    }


async def _form(session: AsyncSession, principal: Principal, posting_id: uuid.UUID) -> dict[str, Any]:
    job = await jobs.get_job(session, principal, posting_id)
    settings = await service.get_settings(session, principal.organisation_id)
    return {
        "posting_id": posting_id,
        "questions": job.application_form,
        "consent_text": settings.consent_text,
        "consent_version": settings.consent_version,
        "resume": {"field": "resume", "required": False, "types": ["application/pdf", "DOCX", "text/plain"]},
        "apply_url": f"/v1/board/postings/{posting_id}/applications",
    }


def consent_problems(given: bool, text_version: str, current: str) -> list[dict[str, str]]:
    """Consent must be given, to the text the organisation shows now (the apply page checks it too)."""
    if not given:
        message = "consent to the processing of the application is required"
        return [{"field": "consent.given", "message": message}]
    if text_version != current:
        return [
            {
                "field": "consent.text_version",
                "message": f"the consent text is now {current!r}; show it and resubmit",
            }
        ]
    return []


def _invalid(errors: list[dict[str, str]]) -> Unprocessable:
    return Unprocessable("The application has problems; nothing was saved.", extra={"errors": errors})


async def submit(
    session: AsyncSession,
    posting_id: uuid.UUID,
    body: PublicApplication,
    *,
    resume: bytes | None,
    files: dict[str, bytes],
    tools: Tools,
) -> Submitted:
    principal = await open_posting(session, posting_id)
    job = await jobs.get_job(session, principal, posting_id)
    settings = await service.get_settings(session, principal.organisation_id)
    errors = consent_problems(body.consent.given, body.consent.text_version, settings.consent_version)
    cleaned, problems = form.validate(job.application_form, body.answers, set(files))
    errors.extend(problems)
    if errors:
        raise _invalid(errors)

    candidate_id = await candidates.find_or_add_applicant(
        session,
        principal,
        CandidateCreate(
            full_name=body.full_name,
            email=body.email,
            phone=body.phone,
            links=body.links,
            location=body.location,
            source="careers_board",
            source_details={str(key): value for key, value in body.tracking.items()},
        ),
        keyring=tools.keyring,
        index=tools.index,
    )
    existing = await repository.live_application(session, job.id, candidate_id)
    if existing is not None:
        # Checked before any file is stored. Answered like a success by the route, so that the
        # apply form cannot be used to find out whether someone applied; the address gets a fresh
        # link to the application it already has ("you already applied").
        # Only to the address on file: a person found again by phone with another address must not
        # receive a working link to somebody's application.
        known = await candidates.get_candidate(session, principal, candidate_id, keyring=tools.keyring)
        if known.email is not None and normalise_email(known.email) == normalise_email(body.email):
            token, expires_at = _new_token(tools)
            existing.status_token_hash = tools.index.digest(TOKEN_PURPOSE, token)
            existing.status_token_expires_at = expires_at
            await session.flush()
            await _mail_link(session, existing, known.email, token, tools, repeat=True)
        raise AlreadyApplied()
    skills: list[str] = []
    proficiency: dict[str, int] = {}
    resume_years: float | None = None
    resume_id = None
    if resume is not None:
        parsed = await candidates.store_resume(
            session, principal, candidate_id, resume, keyring=tools.keyring, store=tools.store
        )
        resume_id, skills = parsed.id, list(parsed.skills)
        # Only this parse knows them: the stored row keeps skill ids alone.
        proficiency, resume_years = parsed.proficiency, parsed.years_experience
    for key, data in sorted(files.items()):
        stored = await candidates.add_file(
            session,
            principal,
            candidate_id,
            data,
            kind="other",
            field=f"files.{key}",
            keyring=tools.keyring,
            store=tools.store,
        )
        cleaned[key] = {"file_id": str(stored.id)}

    application_id = new_id()
    token, expires_at = _new_token(tools)
    consent = {"given": True, "text_version": body.consent.text_version, "at": utcnow().isoformat()}
    application = await service.add_application(
        session,
        principal,
        job_id=job.id,
        candidate_id=candidate_id,
        source="careers_board",
        source_details=service.seal_tracking(
            tools.keyring, application_id, {str(key): value for key, value in body.tracking.items()}
        ),
        answers=service.seal_answers(tools.keyring, application_id, cleaned),
        application_id=application_id,
        consent=consent,
        resume_file_id=resume_id,
        match=await scoring.match_for(
            session,
            principal,
            job.id,
            skills=skills,
            years=body.years_experience,
            resume_file_id=resume_id,
            proficiency=proficiency,
            resume_years=resume_years,
        ),
        status_token_hash=tools.index.digest(TOKEN_PURPOSE, token),
        status_token_expires_at=expires_at,
    )
    await _mail_link(session, application, body.email, token, tools, repeat=False)
    return Submitted(application, token, expires_at)


def _new_token(tools: Tools) -> tuple[str, datetime]:
    return secrets.token_urlsafe(32), utcnow() + timedelta(days=tools.link_days)


async def _mail_link(
    session: AsyncSession, application: Application, email: str, token: str, tools: Tools, *, repeat: bool
) -> None:
    """The status link goes to the address given, never back in the response: only the owner of the
    address learns it, and the answer to the form is the same whoever applied before."""
    await notifications.queue_status_link(
        session,
        application.organisation_id,
        application.id,
        application.job_id,
        application.candidate_id,
        email,
        f"/status/{token}",
        repeat=repeat,
        keyring=tools.keyring,
    )


async def by_token(session: AsyncSession, token: str, index: BlindIndex) -> tuple[Application, Principal]:
    """The application behind a status link; 404 for an unknown token, 410 for an expired one."""
    if not 20 <= len(token) <= 100:
        raise NotFound("There is no application behind this link.")
    application = await repository.by_status_token(session, index.digest(TOKEN_PURPOSE, token))
    if application is None:
        raise NotFound("There is no application behind this link.")
    if application.status_token_expires_at is None or application.status_token_expires_at <= utcnow():
        raise LinkExpired("This status link has expired; contact the recruiter for news of your application.")
    bind_organisation(session, application.organisation_id)
    return application, Principal.acting_for(
        "applicant", application.organisation_id, application.candidate_id
    )


async def status(session: AsyncSession, token: str, index: BlindIndex) -> dict[str, Any]:
    application, principal = await by_token(session, token, index)
    return await _status(session, application, principal)


async def status_page(session: AsyncSession, token: str, index: BlindIndex) -> dict[str, Any]:
    """The status with the organisation's name and logo, for the candidate's status page."""
    application, principal = await by_token(session, token, index)
    return {
        **await _status(session, application, principal),
        "organisation": await public_organisation(session, principal),
    }


async def _status(session: AsyncSession, application: Application, principal: Principal) -> dict[str, Any]:
    job = await jobs.get_job(session, principal, application.job_id)
    # Candidates see the road ahead, not the rejected lane (that is shown by the status instead).
    visible = [s for s in job.stages if s["type"] != "rejected" or s["name"] == application.stage]
    return {
        "application_id": application.id,
        "job_title": job.title,
        "status": application.status,
        "stage": application.stage,
        "stages": [{**s, "current": s["name"] == application.stage} for s in visible],
        "applied_at": application.created_at,
        "last_update_at": application.last_activity_at,
        "can_withdraw": application.status == "active",
    }


async def withdraw(session: AsyncSession, token: str, index: BlindIndex) -> dict[str, Any]:
    application, principal = await by_token(session, token, index)
    await service.withdraw(session, principal, application.id)
    return await status(session, token, index)
