"""Names and tags of many candidates at once, for lists that show people by name (the pipeline board).

One query and one decryption per name, whatever the number of people, and one ``candidate.listed``
audit entry naming everyone shown, as the candidate list does: seeing a name is reading personal data.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates.models import Candidate
from rolecall.platform.auth import Principal
from rolecall.platform.pii import KeyRing


@dataclass(frozen=True)
class CandidateLabel:
    id: uuid.UUID
    full_name: str
    tags: tuple[str, ...]


async def candidate_labels(
    session: AsyncSession,
    principal: Principal,
    candidate_ids: Iterable[uuid.UUID],
    *,
    keyring: KeyRing,
    purpose: str,
) -> dict[uuid.UUID, CandidateLabel]:
    """Each known candidate's name and tags by id; ``purpose`` names the list in the audit entry."""
    wanted = list(dict.fromkeys(candidate_ids))
    if not wanted:
        return {}
    stmt = select(Candidate.id, Candidate.full_name, Candidate.tags).where(Candidate.id.in_(wanted))
    labels = {
        row.id: CandidateLabel(
            row.id,
            keyring.decrypt(row.full_name, context=f"candidate:{row.id}:full_name"),
            tuple(row.tags or ()),
        )
        for row in (await session.execute(stmt)).all()
    }
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.listed",
        target_type="candidate",
        count=len(labels),
        candidate_ids=[str(candidate_id) for candidate_id in labels],
        purpose=purpose,
    )
    return labels
