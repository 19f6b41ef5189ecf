"""How interviews react to other contexts' events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.interviews import service
from rolecall.platform.auth import Principal
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import registry


async def _cancel_upcoming(session: AsyncSession, event: CloudEvent) -> None:
    """An application that ended needs no more interviews: free the interviewers' calendars.

    Safe to replay: interviews cancelled on the first delivery are no longer ``scheduled``.
    """
    application_id = uuid.UUID(event.data["application"]["id"])
    system = Principal.acting_for("system", event.organisationid)
    await service.cancel_upcoming(session, system, application_id)


for _outcome in ("rejected", "withdrawn", "hired"):
    registry.register(f"application.{_outcome}", name=f"interviews.cancel_on_application_{_outcome}")(
        _cancel_upcoming
    )


@registry.register("candidate.merged", name="interviews.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CloudEvent) -> None:
    """A merged-away candidate's interviews now belong to the surviving candidate."""
    data = event.data or {}
    await service.follow_candidate_merge(
        session, uuid.UUID(data["merged_id"]), uuid.UUID(data["candidate_id"])
    )
