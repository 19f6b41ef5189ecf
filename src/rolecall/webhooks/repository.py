"""Queries of the webhooks context (tenant-scoped by the session's organisation)."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


async def endpoints(session: AsyncSession, params: PageParams) -> Sequence[WebhookEndpoint]:
    stmt = paginate_by_id(select(WebhookEndpoint), WebhookEndpoint.id, params)
    return (await session.scalars(stmt)).all()


async def enabled_endpoints(session: AsyncSession) -> Sequence[WebhookEndpoint]:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True)).order_by(WebhookEndpoint.id)
    return (await session.scalars(stmt)).all()


async def get_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> WebhookEndpoint | None:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    return (await session.scalars(stmt)).one_or_none()


async def deliveries(
    session: AsyncSession, endpoint_id: uuid.UUID, params: PageParams, status: str | None
) -> Sequence[WebhookDelivery]:
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    if status is not None:
        stmt = stmt.where(WebhookDelivery.status == status)
    return (await session.scalars(paginate_by_id(stmt, WebhookDelivery.id, params))).all()


async def get_delivery(
    session: AsyncSession, endpoint_id: uuid.UUID, delivery_id: uuid.UUID
) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.id == delivery_id, WebhookDelivery.endpoint_id == endpoint_id
    )
    return (await session.scalars(stmt)).one_or_none()


async def deliveries_of_events(
    session: AsyncSession, endpoint_ids: Collection[uuid.UUID], event_ids: Collection[uuid.UUID]
) -> Sequence[WebhookDelivery]:
    if not endpoint_ids or not event_ids:
        return []
    stmt = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id.in_(list(endpoint_ids)), WebhookDelivery.event_id.in_(list(event_ids))
    )
    return (await session.scalars(stmt)).all()


async def attempts(session: AsyncSession, delivery_id: uuid.UUID) -> Sequence[WebhookAttempt]:
    stmt = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id == delivery_id)
        .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
    )
    return (await session.scalars(stmt)).all()
