"""Recomputing candidates' search indexes from their sealed values (``rolecall reindex-candidates``).

Two indexes are derived from sealed personal data and may be missing or stale on rows written before
the code that derives them: the name tokens (:mod:`rolecall.candidates.names`, migration 0011) and the
phone blind index, which since E.164 normalisation with ``phonenumbers``
(:mod:`rolecall.candidates.phones`) is computed from the E.164 form. This data step decrypts each live
candidate's name and phone with the PII key ring and rewrites both. It needs the keys, which is why it
is a command and not part of the Alembic migration (migrations never hold keys).

Both indexes use the blind-index root derived from the operator secret, not the PII data keys, so
``rolecall rotate-keys`` does not invalidate them and need not run this.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates import names
from rolecall.candidates.models import Candidate, CandidateNameToken
from rolecall.candidates.phones import phone_index
from rolecall.platform.db import transaction
from rolecall.platform.pii import BlindIndex, KeyRing
from rolecall.platform.tenancy import all_tenants


@dataclass(frozen=True)
class ReindexReport:
    candidates: int = 0  # live candidates visited
    phones: int = 0  # phone indexes that changed (the phonenumbers normalisation)
    skipped_phones: int = 0  # phone indexes left alone: taken by another candidate, or unparsable


async def refresh_search_indexes(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    index: BlindIndex,
    *,
    batch_size: int = 200,
) -> ReindexReport:
    """Recompute every live candidate's name tokens and phone index from the sealed values.

    For rows stored before the name index existed or before phones were normalised with
    ``phonenumbers``. Batched by id, one transaction per batch, idempotent: an interrupted run is
    simply started again. A recomputed phone index that another candidate already holds is left as it
    was (those two are duplicates a recruiter merges), and so is one that no longer parses. Nothing a
    client sees changes, so neither ``version`` nor ``updated_at`` moves.
    """
    visited = phones = skipped = 0
    after: uuid.UUID | None = None
    while True:
        async with transaction(sessionmaker) as session:
            stmt = select(Candidate).where(Candidate.erased_at.is_(None)).order_by(Candidate.id)
            if after is not None:
                stmt = stmt.where(Candidate.id > after)
            rows = (await session.scalars(stmt.limit(batch_size).execution_options(**all_tenants()))).all()
            if not rows:
                break
            await session.execute(
                delete(CandidateNameToken)
                .where(CandidateNameToken.candidate_id.in_([row.id for row in rows]))
                .execution_options(**all_tenants(), synchronize_session=False)
            )
            for row in rows:
                visited += 1
                name = keyring.decrypt(row.full_name, context=f"candidate:{row.id}:full_name")
                for token in dict.fromkeys(names.tokens(index, name)):
                    session.add(
                        CandidateNameToken(
                            candidate_id=row.id, token=token, organisation_id=row.organisation_id
                        )
                    )
                if row.phone is None:
                    continue
                try:
                    digest = phone_index(
                        index, keyring.decrypt(row.phone, context=f"candidate:{row.id}:phone")
                    )
                except ValueError:
                    skipped += 1
                    continue
                if digest == row.phone_index:
                    continue
                taken = await session.scalars(
                    select(Candidate.id)
                    .where(
                        Candidate.organisation_id == row.organisation_id,
                        Candidate.phone_index == digest,
                    )
                    .execution_options(**all_tenants())
                )
                if taken.first() is not None:
                    skipped += 1
                    continue
                await session.execute(
                    update(Candidate)
                    .where(Candidate.id == row.id)
                    .values(phone_index=digest, updated_at=Candidate.updated_at)
                    .execution_options(**all_tenants(), synchronize_session=False)
                )
                phones += 1
            after = rows[-1].id
    return ReindexReport(visited, phones, skipped)
