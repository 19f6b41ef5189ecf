"""How jobs react to other contexts' events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.identity.events import OrganisationUpdated
from rolecall.jobs import service
from rolecall.platform.auth import Principal
from rolecall.platform.events.registry import registry

SYSTEM = uuid.UUID(int=0)


@registry.subscribe(OrganisationUpdated, name="jobs.republish_on_organisation_change")
async def republish_on_organisation_change(session: AsyncSession, event: OrganisationUpdated) -> None:
    """Postings carry the organisation's name: a rename must reach the board."""
    system = Principal(
        kind="client", subject_id=SYSTEM, organisation_id=event.organisation_id, scopes=frozenset()
    )
    await service.republish_open_jobs(session, system, actor="system:organisation.updated")
