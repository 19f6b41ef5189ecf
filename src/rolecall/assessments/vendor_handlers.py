"""How vendor tests react to the pipeline: an application entering an assessment stage of a job that
uses a vendor gets the vendor's test queued (the worker sends it; see :mod:`vendors`).

Kept beside :mod:`handlers` rather than in it: importing this module registers the consumer, so the
worker imports it the same way.
"""

from __future__ import annotations

import uuid

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments import repository, vendors
from rolecall.platform.auth import Principal
from rolecall.platform.errors import ProblemError
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import registry

log = structlog.get_logger("rolecall.assessments")
HANDLER_NAME = "assessments.invite_vendor_on_assessment_stage"


@registry.register("application.stage_changed", name=HANDLER_NAME)
async def invite_vendor_on_assessment_stage(session: AsyncSession, event: CloudEvent) -> None:
    """Safe to replay: an application with any vendor session is not queued again."""
    application = (event.data or {}).get("application") or {}
    if application.get("stage_type") != "assessment" or application.get("status") != "active":
        return
    application_id = uuid.UUID(application["id"])
    settings = await repository.job_settings(session, uuid.UUID(application["job_id"]))
    if settings is None or settings.vendor_id is None or not settings.auto_invite:
        return
    if await vendors.has_vendor_session(session, application_id):
        return
    system = Principal.acting_for("system", event.organisationid)
    try:
        await vendors.invite_with_vendor(session, system, application_id)
    except ProblemError as exc:
        # A disabled vendor must not block the event stream; the board shows no invitation and a
        # recruiter can invite by hand once the vendor is back.
        log.warning("assessment_vendor_invite_failed", application_id=str(application_id), reason=exc.detail)
