"""A JSON object sealed with the PII key ring inside a JSON column (campaign details, ADR 0017).

Campaign details (``utm_*``, a referrer) were stored as a clear JSON object; free text there can name
a person. They are now stored as one KeyRing token for ``<prefix>:<row id>:<column>``, held as a JSON
string in the same column, so no column type changes (on SQLite a type change rebuilds the table,
and rebuilding a table other tables point at with ``ON DELETE CASCADE`` would empty them).

A column value is therefore one of:

* a token string: the sealed object;
* ``{}``: no details (empty says nothing about anyone, and erasure writes it);
* a non-empty object: clear details written before revision 0017 that the seal step has not reached
  yet. Migrations never hold keys, so ``rolecall migrate`` runs the seal step (``rolecall
  rotate-keys``, which calls :func:`reseal_json_column`) right after it crosses 0017; until then
  readers return such values as they are.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.db import transaction
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn
from rolecall.platform.tenancy import all_tenants

#: What a sealed-object column holds (see the module docstring).
Stored = str | dict[str, Any]


def seal_object(keyring: KeyRing, value: Mapping[str, Any], *, context: str) -> Stored:
    """The column value for ``value``: ``{}`` when empty, else one token bound to ``context``."""
    if not value:
        return {}
    text = json.dumps(dict(value), separators=(",", ":"), sort_keys=True)
    return keyring.encrypt(text, context=context)


def open_object(keyring: KeyRing, stored: Stored | None, *, context: str) -> dict[str, Any]:
    """The object a column value holds, decrypted (clear values from before 0017 as they are)."""
    if stored is None:
        return {}
    if isinstance(stored, dict):
        return dict(stored)
    opened: dict[str, Any] = json.loads(keyring.decrypt(stored, context=context))
    return opened


def fresh_value(keyring: KeyRing, stored: Stored | None, *, context: str) -> Stored | None:
    """What the column should hold under the active key, or None when it already does.

    Clear details (from before 0017) are sealed; a token under an older key is re-sealed.
    """
    if stored is None or stored == {}:
        return None
    if isinstance(stored, dict):
        return seal_object(keyring, stored, context=context)
    if keyring.needs_rotation(stored):
        return keyring.rotate(stored, context=context)
    return None


async def reseal_json_column(
    sessionmaker: async_sessionmaker[AsyncSession],
    keyring: KeyRing,
    sealed: SealedColumn,
    *,
    batch_size: int,
    may_continue: Callable[[], bool] = lambda: True,
) -> int:
    """Seal clear objects and re-seal old tokens of one column; returns the rows written.

    Like :func:`rolecall.platform.pii_rotation.rotate_column`: batches in id order, one transaction
    each, a compare-and-set on the old value (a row changed meanwhile was sealed by that write and is
    left alone), ``updated_at`` kept (sealing is not activity). Safe to re-run.
    """
    model, column = sealed.model, getattr(sealed.model, sealed.column)
    keep = {"updated_at": model.updated_at} if hasattr(model, "updated_at") else {}
    written = 0
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
            for row_id, stored in rows:
                context = f"{sealed.prefix}:{row_id}:{sealed.column}"
                fresh = fresh_value(keyring, stored, context=context)
                if fresh is None:
                    continue
                # Compare on the id only plus a re-read guard: JSON values cannot be compared
                # portably in SQL, so the row is locked by re-reading it in this transaction.
                current = await session.execute(
                    select(column)
                    .where(model.id == row_id)
                    .with_for_update()
                    .execution_options(**all_tenants())
                )
                if current.scalar_one_or_none() != stored:
                    continue
                await session.execute(
                    update(model)
                    .where(model.id == row_id)
                    .values({sealed.column: fresh, **keep})
                    .execution_options(**all_tenants(), synchronize_session=False)
                )
                written += 1
            after = rows[-1][0]
    return written
