"""Names and contact details of many candidates at once, for exports (a job's applicants as CSV).

One query, each row opened with the key ring, and one ``candidate.listed`` audit entry naming
everyone in the batch: an export reads personal data exactly as the candidate list does, so it
leaves the same trail. Erased candidates come back with the neutral name and no contact details.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates.models import Candidate
from rolecall.candidates.records import personal
from rolecall.platform.auth import Principal
from rolecall.platform.pii import KeyRing


@dataclass(frozen=True)
class CandidateContact:
    id: uuid.UUID
    full_name: str
    email: str | None
    phone: str | None
    tags: tuple[str, ...]


async def candidate_contacts(
    session: AsyncSession,
    principal: Principal,
    candidate_ids: Iterable[uuid.UUID],
    *,
    keyring: KeyRing,
    purpose: str,
) -> dict[uuid.UUID, CandidateContact]:
    """Each known candidate's name, e-mail, phone and tags by id; ``purpose`` goes into the audit entry."""
    wanted = list(dict.fromkeys(candidate_ids))
    if not wanted:
        return {}
    rows = (await session.scalars(select(Candidate).where(Candidate.id.in_(wanted)))).all()
    contacts: dict[uuid.UUID, CandidateContact] = {}
    for row in rows:
        values = personal(keyring, row)
        contacts[row.id] = CandidateContact(
            row.id, values["full_name"], values["email"], values["phone"], tuple(row.tags or ())
        )
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.listed",
        target_type="candidate",
        count=len(contacts),
        candidate_ids=[str(candidate_id) for candidate_id in contacts],
        purpose=purpose,
    )
    return contacts
