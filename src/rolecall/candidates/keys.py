"""Re-encrypting candidates' personal data under the active PII key (``rolecall rotate-keys``).

That is the candidates' own fields, the text extracted from their files and the bodies of notes.
Campaign details written in clear before revision 0017 are sealed by the same pass (ADR 0017), which
is why ``rolecall migrate`` runs it when it crosses that revision.

The work runs online and resumably: rows are taken in batches ordered by id, each batch in a
transaction of its own, and only tokens that :meth:`KeyRing.needs_rotation` are re-sealed. A run that
is interrupted leaves every committed batch done; running again skips those rows (their tokens are
already under the active key) and finishes the rest. It is a system job across every organisation, so
its statements say so with :func:`all_tenants` and no organisation is bound.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.models import (
    ENCRYPTED_FIELDS,
    SEALED_OBJECT_FIELDS,
    Candidate,
    CandidateFile,
    CandidateNote,
)
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_column
from rolecall.platform.sealed_json import fresh_value
from rolecall.platform.tenancy import all_tenants

DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True)
class RotationReport:
    fields: int = 0  # candidate tokens re-sealed under the active key
    candidates: int = 0  # candidates with at least one re-sealed token
    current: int = 0  # candidates whose tokens were all under the active key already
    files: int = 0  # files whose extracted text was re-sealed
    notes: int = 0  # notes whose body was re-sealed


class _Budget:
    """How many batches a run may still start (``None``: no limit), shared by every table."""

    def __init__(self, max_batches: int | None) -> None:
        self.left = max_batches

    def take(self) -> bool:
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


async def rotate_candidate_keys(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
) -> RotationReport:
    """Re-seal every candidate, file-text and note token not under the ring's active key.

    Nothing a client can see changes: not ``version`` (so ETags that clients hold stay valid — the
    data they describe is the same, only its encryption changed; bumping it would make their next
    conditional write fail for no reason) and not ``updated_at`` (which also feeds retention: a key
    rotation is not activity). Each row is written with a compare-and-set (on the candidate's
    version; on the token itself for files and notes, which have no version): a row changed since it
    was read is left alone, since that write already sealed under the active key, and the next run
    picks up the rest. ``max_batches`` stops early (an interrupted run, in tests); it counts batches
    across all three tables, which are done in order: candidates, files, notes.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    budget = _Budget(max_batches)
    fields, candidates, current = await _rotate_candidates(sessionmaker, keyring, batch_size, budget)
    files = await rotate_column(
        sessionmaker,
        keyring,
        SealedColumn(CandidateFile, "text", "candidate_file"),
        batch_size=batch_size,
        may_continue=budget.take,
    )
    notes = await rotate_column(
        sessionmaker,
        keyring,
        SealedColumn(CandidateNote, "body", "candidate_note"),
        batch_size=batch_size,
        may_continue=budget.take,
    )
    return RotationReport(fields, candidates, current, files, notes)


async def _rotate_candidates(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, batch_size: int, budget: _Budget
) -> tuple[int, int, int]:
    fields = candidates = current = 0
    after: uuid.UUID | None = None
    while budget.take():
        async with transaction(sessionmaker) as session:
            stmt = select(Candidate).order_by(Candidate.id).limit(batch_size)
            if after is not None:
                stmt = stmt.where(Candidate.id > after)
            rows = (await session.scalars(stmt.execution_options(**all_tenants()))).all()
            if not rows:
                break
            for row in rows:
                values: dict[str, Any] = {}
                for field in ENCRYPTED_FIELDS:
                    token: str | None = getattr(row, field)
                    if token is not None and keyring.needs_rotation(token):
                        context = f"candidate:{row.id}:{field}"
                        values[field] = keyring.rotate(token, context=context)
                for field in SEALED_OBJECT_FIELDS:
                    fresh = fresh_value(keyring, getattr(row, field), context=f"candidate:{row.id}:{field}")
                    if fresh is not None:
                        values[field] = fresh
                if not values:
                    current += 1
                    continue
                result = await session.execute(
                    update(Candidate)
                    .where(Candidate.id == row.id, Candidate.version == row.version)
                    .values(**values, updated_at=Candidate.updated_at)
                    .execution_options(**all_tenants(), synchronize_session=False)
                )
                if getattr(result, "rowcount", 0) == 1:
                    fields += len(values)
                    candidates += 1
            after = rows[-1].id
    return fields, candidates, current
