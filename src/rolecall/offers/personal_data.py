"""What the offers context holds about a person, for export, erasure, key rotation and merges.

Decline reasons and approval notes are the only personal data here (sealed with the key ring); the
terms of an offer are not about the person and stay for reporting.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.offers import records
from rolecall.offers.models import Offer, OfferApproval
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns


async def export_candidate(
    session: AsyncSession, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> list[dict[str, Any]]:
    """Every offer made to the candidate, with all versions and approvals, JSON-ready."""
    return await records.export_candidate(session, candidate_id, keyring=keyring)


async def erase_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Drop the free text about the candidate (decline reasons, approval notes); see records."""
    await records.erase_candidate(session, candidate_id)


SEALED_COLUMNS = (
    SealedColumn(Offer, "decline_reason", "offers"),
    SealedColumn(OfferApproval, "note", "offer_approvals"),
)


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    """Re-seal this context's encrypted columns under the active key (``rolecall rotate-keys``)."""
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)


async def follow_candidate_merge(
    session: AsyncSession, from_candidate: uuid.UUID, to_candidate: uuid.UUID
) -> int:
    """Point the offers of a merged-away candidate at the surviving one (idempotent).

    Export and erasure find a person's offers by candidate id, so after a merge they must follow.
    """
    result = await session.execute(
        update(Offer)
        .where(Offer.candidate_id == from_candidate)
        .values(candidate_id=to_candidate)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
