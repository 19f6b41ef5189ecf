"""Talent pools: named lists of candidates to come back to, such as "Silver medallists 2026".

A pool's name is unique per organisation (the unique constraint has the last word when two writers
race). Adding a candidate is idempotent; listing a pool's members shows names and emails, so it is
audited like any candidate listing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import repository
from rolecall.candidates.events import (
    TalentPoolCandidateAdded,
    TalentPoolCandidateRemoved,
    TalentPoolCreated,
    TalentPoolDeleted,
    TalentPoolEvent,
    TalentPoolUpdated,
)
from rolecall.candidates.models import TalentPool, TalentPoolMember
from rolecall.candidates.records import CandidateView, get, get_live, view
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Conflict, NotFound
from rolecall.platform.events.outbox import emit
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing


@dataclass(frozen=True)
class PoolView:
    id: uuid.UUID
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime


def _view(pool: TalentPool) -> PoolView:
    return PoolView(pool.id, pool.name, pool.description, pool.version, pool.created_at, pool.updated_at)


def _record(session: AsyncSession, principal: Principal, event: TalentPoolEvent) -> None:
    """Audit entry and event at once: both carry ids (and changed field names) only."""
    facts = event.model_dump(mode="json", exclude={"pool_id"})
    audit.record(
        session,
        actor=principal.actor,
        action=event.event_type,
        target_type="talent_pool",
        target_id=event.pool_id,
        **facts,
    )
    emit(session, event)


async def _pool(session: AsyncSession, pool_id: uuid.UUID) -> TalentPool:
    pool = await repository.get_pool(session, pool_id)
    if pool is None:
        raise NotFound("Talent pool not found.")
    return pool


async def _name_free(session: AsyncSession, name: str, pool_id: uuid.UUID | None = None) -> None:
    other = await repository.pool_by_name(session, name)
    if other is not None and other.id != pool_id:
        raise Conflict("A talent pool with this name already exists.")


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("A talent pool with this name was saved at the same time; retry.") from exc


async def create_pool(
    session: AsyncSession, principal: Principal, name: str, description: str | None
) -> PoolView:
    await _name_free(session, name)
    pool = TalentPool(
        id=new_id(), organisation_id=principal.organisation_id, name=name, description=description, version=1
    )
    session.add(pool)
    await _flush(session)
    _record(session, principal, TalentPoolCreated(pool_id=pool.id))
    return _view(pool)


async def list_pools(session: AsyncSession, params: PageParams) -> tuple[list[PoolView], str | None]:
    rows, cursor = page_of(await repository.list_pools(session, params), params)
    return [_view(row) for row in rows], cursor


async def get_pool(session: AsyncSession, pool_id: uuid.UUID) -> PoolView:
    return _view(await _pool(session, pool_id))


async def update_pool(
    session: AsyncSession, principal: Principal, pool_id: uuid.UUID, changes: dict[str, Any], if_match: str
) -> PoolView:
    """Apply the fields the client sent (``name``, ``description``) to the version it read."""
    pool = await _pool(session, pool_id)
    check_if_match(if_match, pool.id, pool.version)
    if "name" in changes and changes["name"] != pool.name:
        await _name_free(session, changes["name"], pool.id)
    changed = [field for field, value in changes.items() if getattr(pool, field) != value]
    for field in changed:
        setattr(pool, field, changes[field])
    if changed:
        pool.version += 1
        await _flush(session)
        _record(session, principal, TalentPoolUpdated(pool_id=pool.id, changed_fields=changed))
    return _view(pool)


async def delete_pool(session: AsyncSession, principal: Principal, pool_id: uuid.UUID) -> None:
    pool = await _pool(session, pool_id)
    _record(session, principal, TalentPoolDeleted(pool_id=pool.id))
    await session.delete(pool)
    await session.flush()


async def add_member(
    session: AsyncSession, principal: Principal, pool_id: uuid.UUID, candidate_id: uuid.UUID
) -> bool:
    """Put a candidate in a pool; ``False`` when they were in it already (nothing changes)."""
    pool = await _pool(session, pool_id)
    candidate = await get_live(session, candidate_id)
    if await repository.membership(session, pool.id, candidate.id) is not None:
        return False
    member = TalentPoolMember(
        id=new_id(),
        organisation_id=principal.organisation_id,
        pool_id=pool.id,
        candidate_id=candidate.id,
        added_by=principal.actor,
    )
    session.add(member)
    try:
        await session.flush()
    except IntegrityError as exc:
        raise Conflict("The candidate was added to this pool at the same time; retry.") from exc
    _record(session, principal, TalentPoolCandidateAdded(pool_id=pool.id, candidate_id=candidate.id))
    return True


async def remove_member(
    session: AsyncSession, principal: Principal, pool_id: uuid.UUID, candidate_id: uuid.UUID
) -> None:
    pool = await _pool(session, pool_id)
    await get(session, candidate_id)
    member = await repository.membership(session, pool.id, candidate_id)
    if member is None:
        raise NotFound("The candidate is not in this talent pool.")
    await session.delete(member)
    await session.flush()
    _record(session, principal, TalentPoolCandidateRemoved(pool_id=pool.id, candidate_id=candidate_id))


async def list_members(
    session: AsyncSession, principal: Principal, pool_id: uuid.UUID, params: PageParams, *, keyring: KeyRing
) -> tuple[list[CandidateView], str | None]:
    pool = await _pool(session, pool_id)
    rows, cursor = page_of(
        await repository.pool_members(session, pool.id, params),
        params,
        lambda row: row[0].id,
        lambda row: row[0].updated_at,
    )
    views = [view(keyring, candidate) for _, candidate in rows]
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.listed",
        target_type="candidate",
        count=len(views),
        candidate_ids=[str(item.id) for item in views],
        pool_id=str(pool.id),
    )
    return views, cursor
