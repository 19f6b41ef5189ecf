"""How the offers context reacts to events: the hire saga, one step per delivery.

``offer.accepted`` runs the saga's first step and every step queues ``hire.progressed`` for the
next, so each step commits in its own relay transaction together with its log entry and the
handler's receipt. A worker that dies between steps leaves the next event in the outbox; the
restarted worker delivers it and the saga carries on from its log.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.events import CandidateMerged
from rolecall.offers import saga, service
from rolecall.offers.events import HireProgressed, OfferAccepted
from rolecall.platform.events.registry import registry


async def _render_posting(
    sessionmaker: async_sessionmaker[AsyncSession], event: OfferAccepted | HireProgressed
) -> None:
    """Before a step's transaction: taking or giving back an opening republishes the job's posting,
    so it is rendered first, holding no lock (``saga.render_ahead``)."""
    await saga.render_ahead(sessionmaker, event.envelope.organisationid, event.saga_id)


@registry.subscribe(OfferAccepted, name="offers.hire_saga_start", prepare=_render_posting)
async def start_hire(session: AsyncSession, event: OfferAccepted) -> None:
    await saga.advance(session, event.saga_id, chain=True)


@registry.subscribe(HireProgressed, name="offers.hire_saga_continue", prepare=_render_posting)
async def continue_hire(session: AsyncSession, event: HireProgressed) -> None:
    await saga.advance(session, event.saga_id, chain=True)


@registry.subscribe(CandidateMerged, name="offers.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CandidateMerged) -> None:
    """A merged-away candidate's offers now belong to the surviving candidate."""
    await service.follow_candidate_merge(session, event.merged_id, event.candidate_id)
