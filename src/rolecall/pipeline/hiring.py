"""The pipeline's steps in the hire saga (run by the offers context) and their compensation.

Both are idempotent, as saga steps must be: a redelivered step finds the work done and says so.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.pipeline import stages
from rolecall.pipeline.events import ApplicationHired, ApplicationStageChanged
from rolecall.pipeline.records import change, get_application, job_stages
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict


async def mark_hired(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> bool:
    """Saga step: the accepted offer's application becomes hired. Idempotent (False: already hired)."""
    application = await get_application(session, application_id)
    if application.status == "hired":
        return False
    if application.status != "active" or application.stage_type != "offer":
        raise Conflict(
            "Only an active application in an offer stage can be hired.",
        )
    target = stages.first_of_type(await job_stages(session, principal, application), "hired")
    await change(
        session,
        principal,
        application,
        "hire",
        to_stage=target,
        status="hired",
        event_class=ApplicationHired,
    )
    return True


async def revert_hire(session: AsyncSession, principal: Principal, application_id: uuid.UUID) -> bool:
    """Saga compensation: back to the offer stage it was hired from. Idempotent (False: not hired)."""
    application = await get_application(session, application_id)
    if application.status != "hired":
        return False
    target = stages.first_of_type(await job_stages(session, principal, application), "offer")
    await change(
        session,
        principal,
        application,
        "hire_reverted",
        to_stage=target,
        status="active",
        event_class=ApplicationStageChanged,
    )
    return True
