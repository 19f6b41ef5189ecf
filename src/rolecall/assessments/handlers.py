"""How assessments react to other contexts' events.

An application entering a stage of type ``assessment`` is invited automatically when its job has a
blueprint and automatic invitations are on (the default). Its link is issued later, by a recruiter
or the e-mail sender; the invitation exists at once so the hiring team sees it on the board.
An application that ends closes its open invitations.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import invitations, repository
from rolecall.platform.auth import Principal
from rolecall.platform.errors import ProblemError
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import registry

log = structlog.get_logger("rolecall.assessments")


@registry.register("application.stage_changed", name="assessments.invite_on_assessment_stage")
async def invite_on_assessment_stage(session: AsyncSession, event: CloudEvent) -> None:
    """Safe to replay: an application with an open or finished session is not invited again."""
    application = (event.data or {}).get("application") or {}
    if application.get("stage_type") != "assessment" or application.get("status") != "active":
        return
    application_id = uuid.UUID(application["id"])
    job_id = uuid.UUID(application["job_id"])
    system = Principal.acting_for("system", event.organisationid)
    if await repository.blueprint_of_job(session, job_id) is None:
        return
    settings = await invitations.job_settings(session, system, job_id)
    if not settings.auto_invite or settings.vendor_id is not None:
        return  # a vendor's invitation is the vendor handler's job
    if await repository.sessions_of_application(session, application_id):
        return
    try:
        await invitations.invite(session, system, application_id, None)
    except ProblemError as exc:
        # A bank that cannot fill the blueprint must not block the event stream; the recruiter sees
        # no invitation on the board and can invite by hand once the bank is fixed.
        log.warning("assessment_auto_invite_failed", application_id=str(application_id), reason=exc.detail)


async def _close_invitations(session: AsyncSession, event: CloudEvent) -> None:
    application = (event.data or {}).get("application") or {}
    system = Principal.acting_for("system", event.organisationid)
    await invitations.cancel_open_for_application(session, system, uuid.UUID(application["id"]))


for _outcome in ("rejected", "withdrawn", "hired"):
    registry.register(f"application.{_outcome}", name=f"assessments.close_on_application_{_outcome}")(
        _close_invitations
    )


@registry.register("candidate.merged", name="assessments.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CloudEvent) -> None:
    """A merged-away candidate's sessions now belong to the surviving candidate (safe to replay)."""
    data = event.data or {}
    merged, surviving = uuid.UUID(data["merged_id"]), uuid.UUID(data["candidate_id"])
    for record in await repository.sessions_of_candidate(session, merged):
        record.candidate_id = surviving
        record.version += 1
    await session.flush()
