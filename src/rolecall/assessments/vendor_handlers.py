"""How vendor tests react to the pipeline: an application entering an assessment stage of a job that
uses a vendor gets the vendor's test queued (the worker sends it; see :mod:`vendors`).

Kept beside :mod:`handlers` rather than in it: importing this module registers the consumer, so the
worker imports it the same way.
"""

from __future__ import annotations

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import repository, vendors
from rolecall.pipeline.events import ApplicationStageChanged
from rolecall.platform.auth import Principal
from rolecall.platform.errors import ProblemError
from rolecall.platform.events.registry import registry

log = structlog.get_logger("rolecall.assessments")
HANDLER_NAME = "assessments.invite_vendor_on_assessment_stage"


@registry.subscribe(ApplicationStageChanged, name=HANDLER_NAME)
async def invite_vendor_on_assessment_stage(session: AsyncSession, event: ApplicationStageChanged) -> None:
    """Safe to replay: an application with any vendor session is not queued again."""
    application = event.application
    if application.stage_type != "assessment" or application.status != "active":
        return
    settings = await repository.job_settings(session, application.job_id)
    if settings is None or settings.vendor_id is None or not settings.auto_invite:
        return
    if await vendors.has_vendor_session(session, application.id):
        return
    system = Principal.acting_for("system", event.organisation_id)
    try:
        await vendors.invite_with_vendor(session, system, application.id)
    except ProblemError as exc:
        # A disabled vendor must not block the event stream; the board shows no invitation and a
        # recruiter can invite by hand once the vendor is back.
        log.warning("assessment_vendor_invite_failed", application_id=str(application.id), reason=exc.detail)
