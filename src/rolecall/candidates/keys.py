"""Re-encrypting candidates' personal data under the active PII key (``rolecall rotate-keys``).

The work runs online and resumably: candidates are taken in batches ordered by id, each batch in a
transaction of its own, and only tokens that :meth:`KeyRing.needs_rotation` are re-sealed. A run that
is interrupted leaves every committed batch done; running again skips those rows (their tokens are
already under the active key) and finishes the rest. It is a system job across every organisation, so
its statements say so with :func:`all_tenants` and no organisation is bound.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.candidates.models import ENCRYPTED_FIELDS, Candidate
from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants

DEFAULT_BATCH_SIZE = 200


@dataclass(frozen=True)
class RotationReport:
    fields: int = 0  # tokens re-sealed under the active key
    candidates: int = 0  # candidates with at least one re-sealed token
    current: int = 0  # candidates whose tokens were all under the active key already


async def rotate_candidate_keys(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_batches: int | None = None,
) -> RotationReport:
    """Re-seal every candidate token not under the ring's active key; returns what was done.

    Nothing a client can see changes: not ``version`` (so ETags that clients hold stay valid — the
    data they describe is the same, only its encryption changed; bumping it would make their next
    conditional write fail for no reason) and not ``updated_at``. Each row is written with a
    compare-and-set on its version: a row a user changed since it was read is left alone, since that
    write already sealed the changed fields under the active key, and the next run picks up the rest.
    ``max_batches`` stops early (an interrupted run, in tests).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    fields = candidates = current = batches = 0
    after: uuid.UUID | None = None
    while max_batches is None or batches < max_batches:
        async with transaction(sessionmaker) as session:
            stmt = select(Candidate).order_by(Candidate.id).limit(batch_size)
            if after is not None:
                stmt = stmt.where(Candidate.id > after)
            rows = (await session.scalars(stmt.execution_options(**all_tenants()))).all()
            if not rows:
                break
            for row in rows:
                values: dict[str, str] = {}
                for field in ENCRYPTED_FIELDS:
                    token: str | None = getattr(row, field)
                    if token is not None and keyring.needs_rotation(token):
                        context = f"candidate:{row.id}:{field}"
                        values[field] = keyring.rotate(token, context=context)
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
        batches += 1
    return RotationReport(fields=fields, candidates=candidates, current=current)
