"""What the pipeline holds about a person, for the privacy context (export, erasure, retention) and
for candidate merges. Answers and campaign details are personal data; stages, transitions and
reasons are not.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit import service as audit
from rolecall.pipeline import repository
from rolecall.pipeline.models import Application
from rolecall.pipeline.records import answers_of, tracking_of
from rolecall.platform.auth import Principal
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns
from rolecall.platform.sealed_json import reseal_json_column


async def retention_candidates(
    session: AsyncSession, outcome: Literal["rejected", "withdrawn"], inactive_before: datetime
) -> list[uuid.UUID]:
    return await repository.ended_before(session, outcome, inactive_before)


async def export_candidate(
    session: AsyncSession, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> list[dict[str, Any]]:
    exported = []
    for application in await repository.applications_where(
        session, include_merged=True, candidate_id=candidate_id
    ):
        rows = await repository.transitions(session, application.id)
        exported.append(
            {
                "id": str(application.id),
                "job_id": str(application.job_id),
                "stage": application.stage,
                "status": application.status,
                "reject_reason": application.reject_reason,
                "source": application.source,
                "source_details": tracking_of(keyring, application),
                "answers": answers_of(keyring, application),
                "consent": application.consent,
                "match": application.match,
                "created_at": application.created_at.isoformat(),
                "transitions": [
                    {
                        "action": r.action,
                        "from": r.from_stage,
                        "to": r.to_stage,
                        "reason": r.reason,
                        "at": r.at.isoformat(),
                    }
                    for r in rows
                ],
            }
        )
    return exported


async def erase_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Drop what identifies the person (answers, status link, campaign details); keep the stage facts."""
    for application in await repository.applications_where(
        session, include_merged=True, candidate_id=candidate_id
    ):
        application.answers = None
        application.status_token_hash = None
        application.status_token_expires_at = None
        application.source_details = {}
        application.version += 1
    await session.flush()


async def move_applications(
    session: AsyncSession, principal: Principal, from_candidate: uuid.UUID, to_candidate: uuid.UUID
) -> int:
    """Re-point a merged-away candidate's applications; returns how many moved.

    When both people had applied to the same job, the surviving candidate's application stays live
    and the duplicate's is kept for history, marked as merged into it (it no longer counts anywhere).
    """
    moved = 0
    for application in await repository.applications_where(session, candidate_id=from_candidate):
        kept = await repository.live_application(session, application.job_id, to_candidate)
        if kept is not None:
            application.merged_into_id = kept.id
        application.candidate_id = to_candidate
        application.version += 1
        await session.flush()
        audit.record(
            session,
            actor=principal.actor,
            action="application.candidate_merged",
            target_type="application",
            target_id=application.id,
            from_candidate=str(from_candidate),
            merged_into=str(kept.id) if kept else None,
        )
        moved += 1
    return moved


SEALED_COLUMNS = (SealedColumn(Application, "answers", "application"),)
# A sealed JSON object in a JSON column: rows from before 0017 may still hold it in clear.
SEALED_OBJECTS = (SealedColumn(Application, "source_details", "application"),)


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    """Re-seal answers and campaign details under the active key (``rolecall rotate-keys``); campaign
    details still in clear from before revision 0017 are sealed on the way."""
    done = await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)
    for sealed in SEALED_OBJECTS:
        done += await reseal_json_column(sessionmaker, keyring, sealed, batch_size=batch_size)
    return done
