"""How jobs react to other contexts' events."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity.events import OrganisationCreated, OrganisationUpdated
from rolecall.jobs import render_ahead, service
from rolecall.platform.auth import Principal
from rolecall.platform.events.registry import registry

SYSTEM = uuid.UUID(int=0)


def _system(organisation_id: uuid.UUID) -> Principal:
    return Principal(kind="client", subject_id=SYSTEM, organisation_id=organisation_id, scopes=frozenset())


async def _render_postings(
    sessionmaker: async_sessionmaker[AsyncSession], event: OrganisationUpdated
) -> None:
    """Before the republish's transaction: render the postings it will publish, holding no lock."""
    await render_ahead.organisation(sessionmaker, _system(event.organisation_id), event.organisation_id)


@registry.subscribe(
    OrganisationUpdated, name="jobs.republish_on_organisation_change", prepare=_render_postings
)
async def republish_on_organisation_change(session: AsyncSession, event: OrganisationUpdated) -> None:
    """Postings carry the organisation's name: a rename must reach the board."""
    system = _system(event.organisation_id)
    await service.republish_open_jobs(session, system, actor="system:organisation.updated")


@registry.subscribe(OrganisationCreated, name="jobs.open_board_on_organisation_created")
async def open_board_on_organisation_created(session: AsyncSession, event: OrganisationCreated) -> None:
    """A new organisation's careers board exists from the start, not only once someone reads settings.

    The board's address lives in the job settings row, which used to be created lazily by the first
    read of ``/v1/job-settings``: until then ``/v1/board/{slug}/...`` and ``/careers/{slug}``
    answered 404 (docs/jobs.md). Creating it when the organisation is created closes that gap; a
    redelivery finds the row and changes nothing.
    """
    await service.get_settings(session, _system(event.organisation_id))
