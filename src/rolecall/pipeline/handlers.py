"""How the pipeline reacts to other contexts' events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.pipeline import service
from rolecall.platform.auth import Principal
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import registry


@registry.register("candidate.merged", name="pipeline.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CloudEvent) -> None:
    """Applications of a merged-away candidate move to the surviving one (idempotent on redelivery)."""
    data = event.data or {}
    system = Principal.acting_for("system", event.organisationid)
    await service.move_applications(
        session, system, uuid.UUID(data["merged_id"]), uuid.UUID(data["candidate_id"])
    )


@registry.register("candidate.file_added", name="pipeline.rescore_on_new_resume")
async def rescore_on_new_resume(session: AsyncSession, event: CloudEvent) -> None:
    """A resume uploaded after applying (or to someone a recruiter added) updates their match scores."""
    data = event.data or {}
    if data.get("kind") != "resume":
        return
    system = Principal.acting_for("system", event.organisationid)
    await service.rescore_for_resume(
        session, system, uuid.UUID(data["candidate_id"]), uuid.UUID(data["file_id"])
    )
