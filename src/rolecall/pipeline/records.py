"""The one place a change of an application is written: the row, its transition, the audit entry and
the outbox event, all in the caller's transaction, so history, audit and events cannot disagree.
Also the application facts other contexts may see, and the sealing of answers.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.jobs import service as jobs
from rolecall.pipeline import repository
from rolecall.pipeline.events import (
    ApplicationEvent,
    ApplicationSnapshot,
    ApplicationSource,
    ApplicationStatus,
    ApplicationTransitioned,
    StageType,
    TransitionAction,
)
from rolecall.pipeline.models import Application, ApplicationTransition
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import NotFound, Unprocessable
from rolecall.platform.events import outbox
from rolecall.platform.pii import KeyRing
from rolecall.platform.sealed_json import Stored, open_object, seal_object


@dataclass(frozen=True)
class ApplicationFacts:
    """What other contexts may know about an application: no personal data."""

    id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str
    stage_type: str
    status: str
    source: str
    created_at: datetime
    last_activity_at: datetime


def facts(application: Application) -> ApplicationFacts:
    return ApplicationFacts(
        id=application.id,
        job_id=application.job_id,
        candidate_id=application.candidate_id,
        stage=application.stage,
        stage_type=application.stage_type,
        status=application.status,
        source=application.source,
        created_at=application.created_at,
        last_activity_at=application.last_activity_at,
    )


def problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


async def get_application(session: AsyncSession, application_id: uuid.UUID) -> Application:
    application = await repository.get_application(session, application_id)
    if application is None or application.merged_into_id is not None:
        raise NotFound("Application not found.")
    return application


def answers_of(keyring: KeyRing, application: Application) -> dict[str, Any]:
    if application.answers is None:
        return {}
    text = keyring.decrypt(application.answers, context=f"application:{application.id}:answers")
    value: dict[str, Any] = json.loads(text)
    return value


def seal_answers(keyring: KeyRing, application_id: uuid.UUID, answers: dict[str, Any]) -> str | None:
    if not answers:
        return None
    text = json.dumps(answers, separators=(",", ":"), sort_keys=True)
    return keyring.encrypt(text, context=f"application:{application_id}:answers")


def tracking_context(application_id: uuid.UUID) -> str:
    return f"application:{application_id}:source_details"


def seal_tracking(keyring: KeyRing, application_id: uuid.UUID, tracking: dict[str, Any]) -> Stored:
    """Campaign details as stored: one token, or ``{}`` when there are none (ADR 0017)."""
    return seal_object(keyring, tracking, context=tracking_context(application_id))


def tracking_of(keyring: KeyRing, application: Application) -> dict[str, Any]:
    return open_object(keyring, application.source_details, context=tracking_context(application.id))


def snapshot(application: Application) -> ApplicationSnapshot:
    """The application as events show it (the columns are checked against the event's types)."""
    return ApplicationSnapshot(
        id=application.id,
        job_id=application.job_id,
        candidate_id=application.candidate_id,
        stage=application.stage,
        stage_type=cast(StageType, application.stage_type),
        status=cast(ApplicationStatus, application.status),
        reject_reason=application.reject_reason,
        source=cast(ApplicationSource, application.source),
        match_score=application.match_score,
        version=application.version,
    )


def record_transition(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    action: str,
    *,
    from_stage: str | None,
    from_type: str | None,
    reason: str | None = None,
    bulk_id: uuid.UUID | None = None,
) -> None:
    session.add(
        ApplicationTransition(
            organisation_id=application.organisation_id,
            application_id=application.id,
            job_id=application.job_id,
            action=action,
            from_stage=from_stage,
            from_type=from_type,
            to_stage=application.stage,
            to_type=application.stage_type,
            status=application.status,
            reason=reason,
            actor=principal.actor,
            bulk_id=bulk_id,
            at=application.stage_entered_at if action == "applied" else utcnow(),
        )
    )


def emit(session: AsyncSession, principal: Principal, event: ApplicationEvent) -> None:
    """The audit entry and the outbox event of one change of an application."""
    audit.record(
        session,
        actor=principal.actor,
        action=event.event_type,
        target_type="application",
        target_id=event.application.id,
        candidate_id=str(event.application.candidate_id),
        stage=event.application.stage,
        status=event.application.status,
    )
    outbox.emit(session, event)


async def job_stages(
    session: AsyncSession, principal: Principal, application: Application
) -> list[dict[str, Any]]:
    job = await jobs.get_job(session, principal, application.job_id)
    return list(job.stages)


async def change(
    session: AsyncSession,
    principal: Principal,
    application: Application,
    action: TransitionAction,
    *,
    to_stage: dict[str, Any] | None,
    status: str,
    event_class: type[ApplicationTransitioned],
    reason: str | None = None,
    bulk_id: uuid.UUID | None = None,
) -> Application:
    from_stage, from_type = application.stage, application.stage_type
    now = utcnow()
    if to_stage is not None and to_stage["name"] != application.stage:
        application.stage, application.stage_type = to_stage["name"], to_stage["type"]
        application.stage_entered_at = now
    application.status = status
    application.reject_reason = reason if status == "rejected" else None
    application.hired_at = now if status == "hired" else None
    application.last_activity_at = now
    application.version += 1
    await session.flush()  # the version check: a concurrent change makes this raise StaleDataError
    record_transition(
        session,
        principal,
        application,
        action,
        from_stage=from_stage,
        from_type=from_type,
        reason=reason,
        bulk_id=bulk_id,
    )
    event = event_class(
        application=snapshot(application), action=action, from_stage=from_stage, reason=reason
    )
    emit(session, principal, event)
    return application
