"""How the offers context reacts to events: the hire saga, one step per delivery.

``offer.accepted`` runs the saga's first step and every step queues ``hire.progressed`` for the
next, so each step commits in its own relay transaction together with its log entry and the
handler's receipt. A worker that dies between steps leaves the next event in the outbox; the
restarted worker delivers it and the saga carries on from its log.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.offers import saga, service
from rolecall.platform.events.envelope import CloudEvent
from rolecall.platform.events.registry import registry


@registry.register("offer.accepted", name="offers.hire_saga_start")
async def start_hire(session: AsyncSession, event: CloudEvent) -> None:
    await saga.advance(session, uuid.UUID(str(event.data["saga_id"])), chain=True)


@registry.register(saga.PROGRESSED, name="offers.hire_saga_continue")
async def continue_hire(session: AsyncSession, event: CloudEvent) -> None:
    await saga.advance(session, uuid.UUID(str(event.data["saga_id"])), chain=True)


@registry.register("candidate.merged", name="offers.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CloudEvent) -> None:
    """A merged-away candidate's offers now belong to the surviving candidate."""
    data = event.data or {}
    await service.follow_candidate_merge(
        session, uuid.UUID(data["merged_id"]), uuid.UUID(data["candidate_id"])
    )
