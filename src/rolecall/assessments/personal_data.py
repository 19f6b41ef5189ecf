"""The assessments context's part in a data-subject export, an erasure, and a key rotation.

Answers are the person's own words and code, so an export returns them decrypted and an erasure
deletes them, together with integrity signals and a partner-sent contact. Credits, totals and
per-skill scores stay, without anything that says who they belong to beyond the (erased)
candidate's id: they are what item statistics and percentiles are computed from.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.assessments import grading, repository
from rolecall.assessments.models import (
    AssessmentResponse,
    AssessmentSession,
    AssessmentSignal,
    AssessmentVendor,
)
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns

SEALED_COLUMNS = (
    SealedColumn(AssessmentResponse, "answer", "assessment_response"),
    SealedColumn(AssessmentSession, "contact", "assessment_session"),
    SealedColumn(AssessmentVendor, "api_key", "assessment_vendor"),
)


async def export_candidate(
    session: AsyncSession, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> list[dict[str, Any]]:
    out = []
    for record in await repository.sessions_of_candidate(session, candidate_id):
        latest = grading.latest_responses(await repository.responses(session, record.id))
        out.append(
            {
                "id": str(record.id),
                "job_id": str(record.job_id) if record.job_id else None,
                "application_id": str(record.application_id) if record.application_id else None,
                "status": record.status,
                "started_at": record.started_at.isoformat() if record.started_at else None,
                "submitted_at": record.submitted_at.isoformat() if record.submitted_at else None,
                "total": record.total,
                "skills": record.skill_scores or [],
                "extra_time_percent": record.extra_time_percent,
                "answers": [
                    {"position": position, "answer": grading.answer_of(keyring, response)}
                    for position, response in sorted(latest.items())
                ],
            }
        )
    return out


async def erase_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    records = await repository.sessions_of_candidate(session, candidate_id)
    ids = [r.id for r in records]
    if not ids:
        return
    await session.execute(delete(AssessmentResponse).where(AssessmentResponse.session_id.in_(ids)))
    await session.execute(delete(AssessmentSignal).where(AssessmentSignal.session_id.in_(ids)))
    for record in records:
        record.contact, record.token_hash = None, None
        if record.status in ("invited", "started"):
            record.status = "cancelled"
        record.version += 1
    await session.flush()


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    """Re-seal answers and partner contacts under the active key (``rolecall rotate-keys``)."""
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)
