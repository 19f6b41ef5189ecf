"""How interviews react to other contexts' events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates.events import CandidateMerged
from rolecall.interviews import service
from rolecall.pipeline.events import APPLICATION_ENDED, ApplicationTransitioned
from rolecall.platform.auth import Principal
from rolecall.platform.events.registry import registry


async def _cancel_upcoming(session: AsyncSession, event: ApplicationTransitioned) -> None:
    """An application that ended needs no more interviews: free the interviewers' calendars.

    Safe to replay: interviews cancelled on the first delivery are no longer ``scheduled``.
    """
    system = Principal.acting_for("system", event.organisation_id)
    await service.cancel_upcoming(session, system, event.application.id)


for _ended in APPLICATION_ENDED:
    _outcome = _ended.event_type.removeprefix("application.")
    registry.subscribe(_ended, name=f"interviews.cancel_on_application_{_outcome}")(_cancel_upcoming)


@registry.subscribe(CandidateMerged, name="interviews.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CandidateMerged) -> None:
    """A merged-away candidate's interviews now belong to the surviving candidate."""
    await service.follow_candidate_merge(session, event.merged_id, event.candidate_id)
