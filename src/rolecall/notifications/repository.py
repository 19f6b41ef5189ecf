"""Queries of the notifications context. No tenant filters: the platform adds them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.notifications.models import (
    QUEUED,
    NotificationDigestItem,
    NotificationMessage,
    NotificationPreference,
    NotificationSettings,
    NotificationTemplate,
)
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.tenancy import all_tenants


async def find_message(
    session: AsyncSession, event_id: uuid.UUID, template: str, recipient_hash: str
) -> NotificationMessage | None:
    stmt = select(NotificationMessage).where(
        NotificationMessage.event_id == event_id,
        NotificationMessage.template == template,
        NotificationMessage.recipient_hash == recipient_hash,
    )
    return (await session.scalars(stmt)).first()


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> NotificationMessage | None:
    return await session.get(NotificationMessage, message_id)


async def list_messages(
    session: AsyncSession,
    params: PageParams,
    *,
    application_id: uuid.UUID | None,
    status: str | None,
    template: str | None,
) -> Sequence[NotificationMessage]:
    stmt = select(NotificationMessage)
    if application_id is not None:
        stmt = stmt.where(NotificationMessage.application_id == application_id)
    if status is not None:
        stmt = stmt.where(NotificationMessage.status == status)
    if template is not None:
        stmt = stmt.where(NotificationMessage.template == template)
    return (await session.scalars(paginate_by_id(stmt, NotificationMessage.id, params))).all()


async def queued_for_application(
    session: AsyncSession, application_id: uuid.UUID, template: str
) -> Sequence[NotificationMessage]:
    stmt = select(NotificationMessage).where(
        NotificationMessage.application_id == application_id,
        NotificationMessage.template == template,
        NotificationMessage.status == QUEUED,
    )
    return (await session.scalars(stmt)).all()


async def messages_of_candidate(
    session: AsyncSession, candidate_id: uuid.UUID
) -> Sequence[NotificationMessage]:
    stmt = (
        select(NotificationMessage)
        .where(NotificationMessage.candidate_id == candidate_id)
        .order_by(NotificationMessage.id)
    )
    return (await session.scalars(stmt)).all()


async def due_messages(session: AsyncSession, now: datetime, limit: int) -> Sequence[NotificationMessage]:
    """Across organisations (the sender's lease): queued, due, and not leased by another sender."""
    stmt = (
        select(NotificationMessage)
        .where(
            NotificationMessage.status == QUEUED,
            NotificationMessage.send_after <= now,
            or_(NotificationMessage.leased_until.is_(None), NotificationMessage.leased_until < now),
        )
        .order_by(NotificationMessage.send_after, NotificationMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(**all_tenants())
    )
    return (await session.scalars(stmt)).all()


async def settings_of(session: AsyncSession) -> NotificationSettings | None:
    return (await session.scalars(select(NotificationSettings))).first()


async def override(session: AsyncSession, name: str, language: str) -> NotificationTemplate | None:
    stmt = select(NotificationTemplate).where(
        NotificationTemplate.name == name, NotificationTemplate.language == language
    )
    return (await session.scalars(stmt)).first()


async def preference(session: AsyncSession, user_id: uuid.UUID) -> NotificationPreference | None:
    stmt = select(NotificationPreference).where(NotificationPreference.user_id == user_id)
    return (await session.scalars(stmt)).first()


async def pending_digest_items(session: AsyncSession) -> Sequence[NotificationDigestItem]:
    stmt = (
        select(NotificationDigestItem)
        .where(NotificationDigestItem.digested_at.is_(None))
        .order_by(NotificationDigestItem.user_id, NotificationDigestItem.id)
    )
    return (await session.scalars(stmt)).all()


async def digest_item(
    session: AsyncSession, user_id: uuid.UUID, application_id: uuid.UUID
) -> NotificationDigestItem | None:
    stmt = select(NotificationDigestItem).where(
        NotificationDigestItem.user_id == user_id, NotificationDigestItem.application_id == application_id
    )
    return (await session.scalars(stmt)).first()


async def organisations_with_pending_digests(session: AsyncSession) -> list[uuid.UUID]:
    stmt = (
        select(NotificationDigestItem.organisation_id)
        .where(NotificationDigestItem.digested_at.is_(None))
        .distinct()
        .execution_options(**all_tenants())
    )
    return list((await session.scalars(stmt)).all())
