"""Queries on the offer tables. Tenancy is applied by the session; only system sweeps cross it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.offers.models import HireSaga, Offer, OfferApproval, OfferVersion
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.tenancy import all_tenants

OPEN_STATUSES = ("pending_approval", "changes_requested", "approved", "sent")


async def get_offer(session: AsyncSession, offer_id: uuid.UUID) -> Offer | None:
    return await session.get(Offer, offer_id)


async def list_offers(
    session: AsyncSession,
    params: PageParams,
    *,
    application_id: uuid.UUID | None,
    candidate_id: uuid.UUID | None,
    status: str | None,
) -> Sequence[Offer]:
    stmt = select(Offer)
    if application_id is not None:
        stmt = stmt.where(Offer.application_id == application_id)
    if candidate_id is not None:
        stmt = stmt.where(Offer.candidate_id == candidate_id)
    if status is not None:
        stmt = stmt.where(Offer.status == status)
    return (await session.scalars(paginate_by_id(stmt, Offer.id, params))).all()


async def live_offers_for_application(session: AsyncSession, application_id: uuid.UUID) -> Sequence[Offer]:
    """Offers still in play (open) or already accepted: either blocks a new offer."""
    stmt = select(Offer).where(
        Offer.application_id == application_id, Offer.status.in_((*OPEN_STATUSES, "accepted"))
    )
    return (await session.scalars(stmt)).all()


async def offers_for_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[Offer]:
    stmt = select(Offer).where(Offer.candidate_id == candidate_id).order_by(Offer.id)
    return (await session.scalars(stmt)).all()


async def versions(session: AsyncSession, offer_id: uuid.UUID) -> Sequence[OfferVersion]:
    stmt = select(OfferVersion).where(OfferVersion.offer_id == offer_id).order_by(OfferVersion.number)
    return (await session.scalars(stmt)).all()


async def version(session: AsyncSession, offer_id: uuid.UUID, number: int) -> OfferVersion | None:
    stmt = select(OfferVersion).where(OfferVersion.offer_id == offer_id, OfferVersion.number == number)
    return (await session.scalars(stmt)).one_or_none()


async def approvals(
    session: AsyncSession, offer_id: uuid.UUID, offer_version: int | None = None
) -> Sequence[OfferApproval]:
    stmt = select(OfferApproval).where(OfferApproval.offer_id == offer_id)
    if offer_version is not None:
        stmt = stmt.where(OfferApproval.offer_version == offer_version)
    return (await session.scalars(stmt.order_by(OfferApproval.offer_version, OfferApproval.step))).all()


async def get_saga(session: AsyncSession, saga_id: uuid.UUID) -> HireSaga | None:
    return await session.get(HireSaga, saga_id)


async def saga_for_offer(session: AsyncSession, offer_id: uuid.UUID) -> HireSaga | None:
    return (await session.scalars(select(HireSaga).where(HireSaga.offer_id == offer_id))).one_or_none()


async def saga_organisation(session: AsyncSession, saga_id: uuid.UUID) -> uuid.UUID | None:
    """Which organisation a saga belongs to, for a worker that starts from the id alone."""
    stmt = select(HireSaga.organisation_id).where(HireSaga.id == saga_id).execution_options(**all_tenants())
    return (await session.scalars(stmt)).one_or_none()


async def offers_due_for_expiry(session: AsyncSession, now: datetime) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """Sent offers past their expiry in every organisation, as (offer id, organisation id)."""
    stmt = (
        select(Offer.id, Offer.organisation_id)
        .where(Offer.status == "sent", Offer.expires_at <= now)
        .order_by(Offer.id)
        .execution_options(**all_tenants())
    )
    return [(row[0], row[1]) for row in (await session.execute(stmt)).all()]


async def stalled_sagas(session: AsyncSession, before: datetime) -> list[uuid.UUID]:
    """Running sagas of every organisation that have not moved since ``before``."""
    stmt = (
        select(HireSaga.id)
        .where(HireSaga.state == "running", HireSaga.updated_at < before)
        .order_by(HireSaga.id)
        .execution_options(**all_tenants())
    )
    return list((await session.scalars(stmt)).all())


async def running_sagas(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many sagas of every organisation are running, and when the longest-running one started."""
    stmt = (
        select(func.count(), func.min(HireSaga.created_at))
        .where(HireSaga.state == "running")
        .execution_options(**all_tenants())
    )
    count, oldest = (await session.execute(stmt)).one()
    return int(count), oldest
