"""What the notifications context holds about a candidate: the e-mails queued or sent to them.

A message row keeps the address (sealed) and, for a status link, the link (sealed); bodies are never
stored. Export lists each message's metadata and the address it went to; erasure deletes the rows
(a queued message dies with them); key rotation re-seals both columns.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.notifications import repository, service
from rolecall.notifications.models import NotificationMessage
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns

SEALED_COLUMNS = (
    SealedColumn(NotificationMessage, "recipient", "notification_messages"),
    SealedColumn(NotificationMessage, "payload", "notification_messages"),
)


TABLES = ("notification_messages",)


async def export_candidate(
    session: AsyncSession, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> list[dict[str, Any]]:
    out = []
    for row in await repository.messages_of_candidate(session, candidate_id):
        address = (
            keyring.decrypt(row.recipient, context=service.sealed_context(row.id, "recipient"))
            if row.recipient
            else None
        )
        out.append(
            {
                "id": str(row.id),
                "template": row.template,
                "to": address,
                "application_id": str(row.application_id) if row.application_id else None,
                "status": row.status,
                "queued_at": row.created_at.isoformat(),
                "sent_at": row.sent_at.isoformat() if row.sent_at else None,
            }
        )
    return out


async def erase_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    await session.execute(
        delete(NotificationMessage)
        .where(NotificationMessage.candidate_id == candidate_id)
        .execution_options(synchronize_session=False)
    )


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)
