"""Inviting candidates: a session per attempt, its items drawn at once, reached through a link.

The link's token is random (256 bits) and only its keyed hash is stored, like the application status
link: whoever issues a link sees it once, and issuing a new one kills the old. Sessions created by
the automatic invitation (an application entering an assessment stage) have no link until a person
or the e-mail sender issues one.

Items are drawn when the session is created, not when it starts: the draw is seeded and stored, so
the exact questions a person gets are fixed, reproducible from the seed, and immune to later bank
edits.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import drawing, planning, repository
from rolecall.assessments.events import (
    AssessmentCancelled,
    AssessmentEvent,
    AssessmentInvited,
    AssessmentSessionSnapshot,
    SessionSource,
    SessionStatus,
)
from rolecall.assessments.models import AssessmentJobSettings, AssessmentSession
from rolecall.audit import service as audit
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import Conflict, NotFound, Unprocessable
from rolecall.platform.events import outbox
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import BlindIndex

LINK_PURPOSE = "assessment-link"
EXTRA_TIME_CHOICES = (0, 25, 50, 100)
DEFAULT_WEIGHTS = {"assessment": 0.5, "match": 0.2, "scorecards": 0.3}
OPEN_STATUSES = ("invited", "started")


def snapshot(record: AssessmentSession) -> AssessmentSessionSnapshot:
    """What leaves the context about a session: ids, status and numbers; never answers or contacts."""
    return AssessmentSessionSnapshot(
        id=record.id,
        job_id=record.job_id,
        application_id=record.application_id,
        candidate_id=record.candidate_id,
        blueprint_id=record.blueprint_id,
        blueprint_version=record.blueprint_version,
        status=cast(SessionStatus, record.status),
        source=cast(SessionSource, record.source),
        total=record.total,
    )


def emit(
    session: AsyncSession,
    principal: Principal,
    event_class: type[AssessmentEvent],
    record: AssessmentSession,
    **extra: Any,
) -> None:
    """The audit entry and the outbox event of one change of a session.

    ``extra`` are the members ``event_class`` declares beside the session.
    """
    audit.record(
        session,
        actor=principal.actor,
        action=event_class.event_type,
        target_type="assessment_session",
        target_id=record.id,
        status=record.status,
    )
    outbox.emit(session, event_class(session=snapshot(record), **extra))


def check_extra_time(percent: int, field: str = "extra_time_percent") -> int:
    if percent not in EXTRA_TIME_CHOICES:
        choices = ", ".join(str(c) for c in EXTRA_TIME_CHOICES)
        raise Unprocessable(
            f"Extra time is one of {choices} percent.",
            extra={"errors": [{"field": field, "message": f"must be one of {choices}"}]},
        )
    return percent


async def job_settings(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID
) -> AssessmentJobSettings:
    """The job's assessment settings, created with defaults on first read.

    Two first reads at once (a recruiter's invitation beside the automatic one) both find nothing;
    the insert runs in a savepoint, so the one that loses the race reads the winner's row instead of
    failing the whole request.
    """
    record = await repository.job_settings(session, job_id)
    if record is not None:
        return record
    try:
        async with session.begin_nested():
            record = AssessmentJobSettings(
                organisation_id=principal.organisation_id, job_id=job_id, weights=dict(DEFAULT_WEIGHTS)
            )
            session.add(record)
    except IntegrityError:
        record = await repository.job_settings(session, job_id)
        assert record is not None  # the row that won the race
    return record


async def list_sessions(
    session: AsyncSession,
    params: PageParams,
    *,
    job_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[AssessmentSession], str | None]:
    rows = await repository.list_sessions(
        session, params, job_id=job_id, application_id=application_id, status=status
    )
    return page_of(rows, params)


async def get_session(session: AsyncSession, session_id: uuid.UUID) -> AssessmentSession:
    record = await repository.get_session(session, session_id)
    if record is None:
        raise NotFound("Assessment session not found.")
    return record


def issue_token(record: AssessmentSession, index: BlindIndex) -> str:
    token = secrets.token_urlsafe(32)
    record.token_hash = index.digest(LINK_PURPOSE, token)
    return token


async def create_session(
    session: AsyncSession,
    principal: Principal,
    blueprint_id: uuid.UUID,
    *,
    job_id: uuid.UUID | None,
    application_id: uuid.UUID | None,
    candidate_id: uuid.UUID | None,
    link_days: int,
    extra_time_percent: int = 0,
    source: str = "rolecall",
    partner: dict[str, Any] | None = None,
    contact: str | None = None,
) -> AssessmentSession:
    """A session with its items drawn from the blueprint's current version (seeded, stored)."""
    blueprint, version = await planning.blueprint_by_id(session, blueprint_id)
    plan = planning.document(version)
    seed = drawing.new_seed()
    grouped = await planning.pool(session, [s.skill_id for s in plan.skills])
    try:
        drawn = drawing.draw(plan, grouped, seed)
    except drawing.NotEnoughItems as exc:
        raise Conflict(f"The question bank cannot fill this blueprint: {exc}") from exc
    record = AssessmentSession(
        id=new_id(),
        organisation_id=principal.organisation_id,
        blueprint_id=blueprint.id,
        blueprint_version=version.number,
        job_id=job_id,
        application_id=application_id,
        candidate_id=candidate_id,
        expires_at=utcnow() + timedelta(days=link_days),
        status="invited",
        seed=seed,
        items=[
            {"position": i, "item_id": ref.item_id, "version_id": ref.version_id, "skill_id": ref.skill_id}
            for i, ref in enumerate(drawn)
        ],
        time_limit_minutes=plan.time_limit_minutes,
        grace_seconds=plan.grace_seconds,
        extra_time_percent=check_extra_time(extra_time_percent),
        source=source,
        partner=partner,
        contact=contact,
        invited_by=principal.actor,
    )
    session.add(record)
    await session.flush()
    emit(session, principal, AssessmentInvited, record)
    return record


async def invite(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    index: BlindIndex | None,
    *,
    extra_time_percent: int = 0,
    link_days: int | None = None,
) -> tuple[AssessmentSession, str | None]:
    """Invite an application's candidate to the job's assessment; returns the session and its link
    token (None without a blind index: the automatic invitation, whose link is issued later)."""
    facts = await pipeline.application_facts(session, application_id)
    if facts.status != "active":
        raise Conflict(f"The application is {facts.status}; only active applications can be invited.")
    blueprint, _ = await planning.get_blueprint(session, principal, facts.job_id)
    for existing in await repository.sessions_of_application(session, facts.id):
        if existing.status in OPEN_STATUSES and existing.source != "vendor":
            raise Conflict("This application already has an open assessment invitation.")
        if existing.status in ("marking", "scored") and existing.source != "vendor":
            raise Conflict("This candidate has already taken the assessment; there is one attempt.")
    settings = await job_settings(session, principal, facts.job_id)
    record = await create_session(
        session,
        principal,
        blueprint.id,
        job_id=facts.job_id,
        application_id=facts.id,
        candidate_id=facts.candidate_id,
        link_days=link_days or settings.link_days,
        extra_time_percent=extra_time_percent,
    )
    token = issue_token(record, index) if index is not None else None
    await session.flush()
    return record, token


async def reissue_link(
    session: AsyncSession,
    principal: Principal,
    session_id: uuid.UUID,
    index: BlindIndex,
    *,
    link_days: int = 7,
) -> tuple[AssessmentSession, str]:
    """A fresh link (the old one stops working); an unused invitation's expiry moves with it."""
    record = await get_session(session, session_id)
    if record.status not in OPEN_STATUSES:
        raise Conflict(f"The session is {record.status}; its link can no longer be used.")
    token = issue_token(record, index)
    if record.status == "invited":
        record.expires_at = utcnow() + timedelta(days=link_days)
    record.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.link_issued",
        target_type="assessment_session",
        target_id=record.id,
    )
    return record, token


async def set_accommodation(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, percent: int, if_match: str
) -> AssessmentSession:
    """Grant extra time (or a candidate's request for it). Only before the clock starts: changing a
    running deadline would be unfair one way or the other."""
    record = await get_session(session, session_id)
    check_if_match(if_match, record.id, record.version)
    check_extra_time(percent)
    if record.status != "invited":
        raise Conflict("Extra time can only be set before the candidate starts.")
    record.extra_time_percent = percent
    record.requested_extra_time_percent = None
    record.version += 1
    await session.flush()
    audit.record(
        session,
        actor=principal.actor,
        action="assessment.accommodation_set",
        target_type="assessment_session",
        target_id=record.id,
    )
    return record


async def cancel(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID, if_match: str
) -> AssessmentSession:
    record = await get_session(session, session_id)
    check_if_match(if_match, record.id, record.version)
    if record.status not in OPEN_STATUSES:
        raise Conflict(f"The session is {record.status}; only open invitations can be cancelled.")
    record.status = "cancelled"
    record.token_hash = None
    record.version += 1
    await session.flush()
    emit(session, principal, AssessmentCancelled, record)
    return record


async def cancel_open_for_application(
    session: AsyncSession, principal: Principal, application_id: uuid.UUID
) -> int:
    """An application that ended needs no test: close its open invitations (safe to replay)."""
    cancelled = 0
    for record in await repository.sessions_of_application(session, application_id):
        if record.status in OPEN_STATUSES:
            record.status, record.token_hash = "cancelled", None
            record.version += 1
            cancelled += 1
            emit(session, principal, AssessmentCancelled, record)
    await session.flush()
    return cancelled
