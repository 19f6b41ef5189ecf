"""What each event asks of the e-mail queue, written against the events' data.

:mod:`rolecall.notifications.handlers` subscribes these to the typed events; they take the event's
id, organisation and data so that they do not depend on how a producer spells its classes. All are
safe to replay: a message is keyed by (event id, template, recipient), and the relay's receipts
keep a handler from running twice for one event anyway.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import service as assessments
from rolecall.identity import service as identity
from rolecall.jobs import service as jobs
from rolecall.notifications import service
from rolecall.notifications.service import Recipient
from rolecall.offers import service as offers
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.errors import ProblemError
from rolecall.platform.pagination import PageParams

INTERVIEW_TEMPLATES = {
    "interview.scheduled": "interview_invitation",
    "interview.rescheduled": "interview_updated",
    "interview.cancelled": "interview_cancelled",
}


def _uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _part(data: dict[str, Any], key: str) -> dict[str, Any]:
    part = data.get(key)
    return part if isinstance(part, dict) else data


async def application_created(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    """Note the application for the daily digest of every hiring-team member of its job."""
    application = _part(data, "application")
    job_id, application_id = _uuid(application["job_id"]), _uuid(application["id"])
    system = Principal.acting_for("system", organisation_id)
    try:
        job = await jobs.get_job(session, system, job_id)
    except ProblemError:
        return
    members = {str(member.get("user_id")) for member in job.hiring_team or [] if member.get("user_id")}
    for user_id in sorted(members):
        if await service.wants_digest(session, _uuid(user_id)):
            await service.add_digest_item(session, _uuid(user_id), job_id, application_id)


async def application_rejected(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    """The rejection waits for the organisation's delay, so a hasty decision can still be taken back."""
    application = _part(data, "application")
    delay = await service.rejection_delay(session, organisation_id)
    await service.queue(
        session,
        organisation_id,
        event_id=event_id,
        template="rejection",
        recipient=Recipient("candidate", _uuid(application["candidate_id"])),
        context={"application_id": str(application["id"]), "job_id": str(application["job_id"])},
        application_id=_uuid(application["id"]),
        send_after=utcnow() + delay,
    )


async def application_moved_on(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    """Any later change of the application (moved back, withdrawn, hired) cancels a waiting rejection."""
    application = _part(data, "application")
    if application.get("status") == "rejected":
        return
    await service.cancel_pending(session, _uuid(application["id"]), "rejection")


async def interview_changed(
    session: AsyncSession,
    organisation_id: uuid.UUID,
    event_id: uuid.UUID,
    event_type: str,
    data: dict[str, Any],
) -> None:
    interview = _part(data, "interview")
    await service.queue(
        session,
        organisation_id,
        event_id=event_id,
        template=INTERVIEW_TEMPLATES[event_type],
        recipient=Recipient("candidate", _uuid(interview["candidate_id"])),
        context={
            "interview_id": str(interview["id"]),
            "job_id": str(interview["job_id"]),
            "application_id": str(interview["application_id"]),
        },
        application_id=_uuid(interview["application_id"]),
    )


async def offer_sent(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    await service.queue(
        session,
        organisation_id,
        event_id=event_id,
        template="offer_sent",
        recipient=Recipient("candidate", _uuid(data["candidate_id"])),
        context={"offer_id": str(data["offer_id"]), "job_id": str(data["job_id"])},
        application_id=_uuid(data["application_id"]),
    )


async def _users_with_role(session: AsyncSession, system: Principal, role: str) -> list[uuid.UUID]:
    found: list[uuid.UUID] = []
    after: uuid.UUID | None = None
    while True:
        users, cursor = await identity.list_users(session, system, PageParams(limit=200, after=after))
        found += [u.id for u in users if u.is_active and (role in u.roles)]
        if cursor is None or not users:
            return found
        after = users[-1].id


async def approval_needed(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    """Tell the people who can decide the offer's waiting step (its role's active members)."""
    system = Principal.acting_for("system", organisation_id)
    pending = await offers.pending_approval(session, _uuid(data["offer_id"]))
    if pending is None:
        return
    step, role = pending
    for user_id in await _users_with_role(session, system, role):
        await service.queue(
            session,
            organisation_id,
            event_id=event_id,
            template="approval_requested",
            recipient=Recipient("user", user_id),
            context={
                "offer_id": str(data["offer_id"]),
                "job_id": str(data["job_id"]),
                "step": step,
                "role": role,
            },
            application_id=_uuid(data["application_id"]),
        )


async def assessment_invited(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    """The link is issued when the message is sent (the event never carries it)."""
    record = _part(data, "session")
    if not record.get("candidate_id") or data.get("vendor_id") or record.get("source") != "rolecall":
        return  # a partner's or a vendor's candidate hears from them
    invited = await assessments.get_session(session, _uuid(record["id"]))
    if invited.token_hash is not None:
        return  # a recruiter invited by hand and holds the link; a second one would replace it
    await service.queue(
        session,
        organisation_id,
        event_id=event_id,
        template="assessment_invitation",
        recipient=Recipient("candidate", _uuid(record["candidate_id"])),
        context={
            "session_id": str(record["id"]),
            **({"job_id": str(record["job_id"])} if record.get("job_id") else {}),
        },
        application_id=_uuid(record["application_id"]) if record.get("application_id") else None,
    )


async def follow_candidate_merge(
    session: AsyncSession, merged_id: uuid.UUID, surviving_id: uuid.UUID
) -> None:
    await service.move_candidate_messages(session, merged_id, surviving_id)


async def webhook_disabled(
    session: AsyncSession, organisation_id: uuid.UUID, event_id: uuid.UUID, data: dict[str, Any]
) -> None:
    """Tell the organisation's administrators that Rolecall stopped sending to one of their endpoints."""
    system = Principal.acting_for("system", organisation_id)
    for user_id in await _users_with_role(session, system, "admin"):
        await service.queue(
            session,
            organisation_id,
            event_id=event_id,
            template="webhook_disabled",
            recipient=Recipient("user", user_id),
            context={
                "endpoint_id": str(data["endpoint_id"]),
                "reason": str(data.get("reason", "")),
                "failing_since": data.get("failing_since"),
            },
        )
