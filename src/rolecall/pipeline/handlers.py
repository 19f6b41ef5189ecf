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
