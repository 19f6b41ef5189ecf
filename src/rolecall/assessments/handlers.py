"""How assessments react to other contexts' events.

An application entering a stage of type ``assessment`` is invited automatically when its job has a
blueprint and automatic invitations are on (the default). Its link is issued later, by a recruiter
or the e-mail sender; the invitation exists at once so the hiring team sees it on the board.
An application that ends closes its open invitations.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import invitations, repository
from rolecall.candidates.events import CandidateMerged
from rolecall.pipeline.events import APPLICATION_ENDED, ApplicationStageChanged, ApplicationTransitioned
from rolecall.platform.auth import Principal
from rolecall.platform.errors import ProblemError
from rolecall.platform.events.registry import registry

log = structlog.get_logger("rolecall.assessments")


@registry.subscribe(ApplicationStageChanged, name="assessments.invite_on_assessment_stage")
async def invite_on_assessment_stage(session: AsyncSession, event: ApplicationStageChanged) -> None:
    """Safe to replay: an application with an open or finished session is not invited again."""
    application = event.application
    if application.stage_type != "assessment" or application.status != "active":
        return
    system = Principal.acting_for("system", event.organisation_id)
    if await repository.blueprint_of_job(session, application.job_id) is None:
        return
    settings = await invitations.job_settings(session, system, application.job_id)
    if not settings.auto_invite or settings.vendor_id is not None:
        return  # a vendor's invitation is the vendor handler's job
    if await repository.sessions_of_application(session, application.id):
        return
    try:
        await invitations.invite(session, system, application.id, None)
    except ProblemError as exc:
        # A bank that cannot fill the blueprint must not block the event stream; the recruiter sees
        # no invitation on the board and can invite by hand once the bank is fixed.
        log.warning("assessment_auto_invite_failed", application_id=str(application.id), reason=exc.detail)


async def _close_invitations(session: AsyncSession, event: ApplicationTransitioned) -> None:
    system = Principal.acting_for("system", event.organisation_id)
    await invitations.cancel_open_for_application(session, system, event.application.id)


for _ended in APPLICATION_ENDED:
    _outcome = _ended.event_type.removeprefix("application.")
    registry.subscribe(_ended, name=f"assessments.close_on_application_{_outcome}")(_close_invitations)


@registry.subscribe(CandidateMerged, name="assessments.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CandidateMerged) -> None:
    """A merged-away candidate's sessions now belong to the surviving candidate (safe to replay)."""
    for record in await repository.sessions_of_candidate(session, event.merged_id):
        record.candidate_id = event.candidate_id
        record.version += 1
    await session.flush()
