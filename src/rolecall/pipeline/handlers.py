"""How the pipeline reacts to other contexts' events."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates.events import CandidateFileAdded, CandidateMerged
from rolecall.pipeline import service
from rolecall.platform.auth import Principal
from rolecall.platform.events.registry import registry


@registry.subscribe(CandidateMerged, name="pipeline.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CandidateMerged) -> None:
    """Applications of a merged-away candidate move to the surviving one (idempotent on redelivery)."""
    system = Principal.acting_for("system", event.organisation_id)
    await service.move_applications(session, system, event.merged_id, event.candidate_id)


@registry.subscribe(CandidateFileAdded, name="pipeline.rescore_on_new_resume")
async def rescore_on_new_resume(session: AsyncSession, event: CandidateFileAdded) -> None:
    """A resume uploaded after applying (or to someone a recruiter added) updates their match scores."""
    if event.kind != "resume":
        return
    system = Principal.acting_for("system", event.organisation_id)
    await service.rescore_for_resume(session, system, event.candidate_id, event.file_id)
