"""Re-sealing encrypted columns under the key ring's active key, for ``rolecall rotate-keys``.

Every sealed column in Rolecall uses the context ``<prefix>:<row id>:<column>``, so one routine serves
them all; each context lists its own sealed columns (:class:`SealedColumn`) and calls
:func:`rotate_column`. The work is online and resumable: rows are read in id order in batches, each
batch in its own transaction, and each row is written with a compare-and-set on the old token, so a
row someone changed meanwhile (already sealed under the active key by that write) is left alone.
``updated_at`` is kept as it was: a key rotation is not activity (retention counts activity).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import all_tenants


@dataclass(frozen=True)
class SealedColumn:
    model: Any  # a mapped class with ``id`` and the column
    column: str
    prefix: str  # the first part of the context: "<prefix>:<id>:<column>"


async def rotate_column(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    sealed: SealedColumn,
    *,
    batch_size: int,
    may_continue: Callable[[], bool] = lambda: True,
) -> int:
    """Re-seal one column's tokens that are not under the active key; returns the rows re-sealed.

    ``may_continue`` is asked before each batch (an interrupted run, in tests).
    """
    model, column = sealed.model, getattr(sealed.model, sealed.column)
    keep = {"updated_at": model.updated_at} if hasattr(model, "updated_at") else {}
    resealed = 0
    after: uuid.UUID | None = None
    while may_continue():
        async with transaction(sessionmaker) as session:
            stmt = select(model.id, column).order_by(model.id).limit(batch_size)
            if after is not None:
                stmt = stmt.where(model.id > after)
            rows = [
                (row[0], row[1]) for row in await session.execute(stmt.execution_options(**all_tenants()))
            ]
            if not rows:
                break
            for row_id, token in rows:
                if token is None or not keyring.needs_rotation(token):
                    continue
                fresh = keyring.rotate(token, context=f"{sealed.prefix}:{row_id}:{sealed.column}")
                result = await session.execute(
                    update(model)
                    .where(model.id == row_id, column == token)
                    .values({sealed.column: fresh, **keep})
                    .execution_options(**all_tenants(), synchronize_session=False)
                )
                resealed += int(getattr(result, "rowcount", 0) or 0)
            after = rows[-1][0]
    return resealed


async def rotate_columns(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    columns: tuple[SealedColumn, ...],
    *,
    batch_size: int,
) -> int:
    total = 0
    for sealed in columns:
        total += await rotate_column(sessionmaker, keyring, sealed, batch_size=batch_size)
    return total
