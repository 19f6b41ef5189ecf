"""Candidate queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, bindparam, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased

from rolecall.candidates.models import (
    Candidate,
    CandidateFile,
    CandidateNameToken,
    CandidateNote,
    TalentPool,
    TalentPoolMember,
)
from rolecall.platform.pagination import PageParams, paginate_by_id
from rolecall.platform.sorting import Sorting, paginate_sorted
from rolecall.platform.tenancy import all_tenants


async def lock_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    """The candidate, row-locked until the transaction ends (PostgreSQL; SQLite writes are serial)."""
    stmt = (
        select(Candidate)
        .where(Candidate.id == candidate_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(stmt)).first()


async def get_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    return (await session.scalars(select(Candidate).where(Candidate.id == candidate_id))).first()


_ERASED_BEFORE = aliased(Candidate, name="erased_before")
# Built once: a fresh alias per call cost a fifth of a candidate read in statement construction.
_FOR_VIEW = select(
    Candidate,
    select(_ERASED_BEFORE.id)
    .where(Candidate.email_index.is_not(None), _ERASED_BEFORE.erased_email_index == Candidate.email_index)
    .exists(),
).where(Candidate.id == bindparam("candidate_id"))


async def get_candidate_for_view(
    session: AsyncSession, candidate_id: uuid.UUID
) -> tuple[Candidate, bool] | None:
    """The candidate and whether someone with the same email was erased before, in one statement
    (the answer :func:`erased_with_email_index` gives, for the read every candidate view makes)."""
    row = (await session.execute(_FOR_VIEW, {"candidate_id": candidate_id})).first()
    return (row[0], bool(row[1])) if row is not None else None


@dataclass(frozen=True)
class CandidateFilter:
    """What GET /v1/candidates narrows by; every index value is already a blind-index digest."""

    email_index: str | None = None
    phone_index: str | None = None
    name_tokens: tuple[str, ...] = ()
    tag: str | None = None
    source: str | None = None
    ids: tuple[uuid.UUID, ...] | None = None


SORT_COLUMNS: dict[str, InstrumentedAttribute[Any]] = {
    "created": Candidate.created_at,
    "updated": Candidate.updated_at,
}


def _filtered(where: CandidateFilter) -> Select[Candidate]:
    stmt = select(Candidate)
    if where.email_index is not None:
        stmt = stmt.where(Candidate.email_index == where.email_index)
    if where.phone_index is not None:
        stmt = stmt.where(Candidate.phone_index == where.phone_index)
    if where.name_tokens:
        # Every searched word must be one of the candidate's name words.
        matching = (
            select(CandidateNameToken.candidate_id)
            .where(CandidateNameToken.token.in_(where.name_tokens))
            .group_by(CandidateNameToken.candidate_id)
            .having(func.count(func.distinct(CandidateNameToken.token)) == len(where.name_tokens))
        )
        stmt = stmt.where(Candidate.id.in_(matching))
    if where.source is not None:
        stmt = stmt.where(Candidate.source == where.source)
    if where.tag is not None:
        # tags is a JSON list written by json.dumps on both databases, so the quoted tag is a
        # portable containment test (LIKE wildcards in the tag are escaped).
        stmt = stmt.where(cast(Candidate.tags, Text).contains(json.dumps(where.tag), autoescape=True))
    if where.ids is not None:
        stmt = stmt.where(Candidate.id.in_(where.ids))
    return stmt


async def list_candidates(
    session: AsyncSession,
    params: PageParams,
    where: CandidateFilter | None = None,
    sorting: Sorting | None = None,
) -> Sequence[Candidate]:
    stmt = _filtered(where or CandidateFilter())
    if sorting is not None:
        stmt = paginate_sorted(stmt, SORT_COLUMNS[sorting.key], Candidate.id, sorting, params)
    else:
        stmt = paginate_by_id(stmt, Candidate.id, params)
    return (await session.scalars(stmt)).all()


async def all_candidates(session: AsyncSession, where: CandidateFilter, limit: int) -> Sequence[Candidate]:
    """Up to ``limit`` matching candidates in no particular order (sort=name decrypts them)."""
    return (await session.scalars(_filtered(where).limit(limit))).all()


async def by_email_index(session: AsyncSession, digest: str) -> Candidate | None:
    return (await session.scalars(select(Candidate).where(Candidate.email_index == digest))).first()


async def by_phone_index(session: AsyncSession, digest: str) -> Candidate | None:
    return (await session.scalars(select(Candidate).where(Candidate.phone_index == digest))).first()


async def erased_with_email_index(session: AsyncSession, digest: str) -> bool:
    """Whether a candidate with this email's blind index was erased before."""
    stmt = select(Candidate.id).where(Candidate.erased_email_index == digest).limit(1)
    return (await session.scalars(stmt)).first() is not None


# -- files ------------------------------------------------------------------------------------


async def get_file(
    session: AsyncSession, candidate_id: uuid.UUID, file_id: uuid.UUID
) -> CandidateFile | None:
    stmt = select(CandidateFile).where(
        CandidateFile.id == file_id, CandidateFile.candidate_id == candidate_id
    )
    return (await session.scalars(stmt)).first()


async def file_by_id(session: AsyncSession, file_id: uuid.UUID) -> CandidateFile | None:
    return (await session.scalars(select(CandidateFile).where(CandidateFile.id == file_id))).first()


async def files_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[CandidateFile]:
    stmt = select(CandidateFile).where(CandidateFile.candidate_id == candidate_id).order_by(CandidateFile.id)
    return (await session.scalars(stmt)).all()


async def storage_keys_among(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """Which of ``keys`` some file row of any organisation points at (for the orphan-file sweep)."""
    if not keys:
        return set()
    stmt = (
        select(CandidateFile.storage_key)
        .where(CandidateFile.storage_key.in_(list(keys)))
        .execution_options(**all_tenants())
    )
    return set((await session.scalars(stmt)).all())


# -- notes ------------------------------------------------------------------------------------


async def get_note(
    session: AsyncSession, candidate_id: uuid.UUID, note_id: uuid.UUID
) -> CandidateNote | None:
    stmt = select(CandidateNote).where(
        CandidateNote.id == note_id, CandidateNote.candidate_id == candidate_id
    )
    return (await session.scalars(stmt)).first()


async def notes_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[CandidateNote]:
    stmt = select(CandidateNote).where(CandidateNote.candidate_id == candidate_id).order_by(CandidateNote.id)
    return (await session.scalars(stmt)).all()


async def newest_notes(
    session: AsyncSession, candidate_id: uuid.UUID, params: PageParams
) -> Sequence[CandidateNote]:
    """Newest first: ids are time-ordered, so the cursor's id is where the next (older) page starts."""
    stmt = select(CandidateNote).where(CandidateNote.candidate_id == candidate_id)
    if params.updated_since is not None:  # incremental sync reads oldest change first, like every list
        return (await session.scalars(paginate_by_id(stmt, CandidateNote.id, params))).all()
    if params.after is not None:
        stmt = stmt.where(CandidateNote.id < params.after)
    stmt = stmt.order_by(CandidateNote.id.desc()).limit(params.limit + 1)
    return (await session.scalars(stmt)).all()


# -- talent pools -----------------------------------------------------------------------------


async def get_pool(session: AsyncSession, pool_id: uuid.UUID) -> TalentPool | None:
    return (await session.scalars(select(TalentPool).where(TalentPool.id == pool_id))).first()


async def pool_by_name(session: AsyncSession, name: str) -> TalentPool | None:
    return (await session.scalars(select(TalentPool).where(TalentPool.name == name))).first()


async def list_pools(session: AsyncSession, params: PageParams) -> Sequence[TalentPool]:
    return (await session.scalars(paginate_by_id(select(TalentPool), TalentPool.id, params))).all()


async def membership(
    session: AsyncSession, pool_id: uuid.UUID, candidate_id: uuid.UUID
) -> TalentPoolMember | None:
    stmt = select(TalentPoolMember).where(
        TalentPoolMember.pool_id == pool_id, TalentPoolMember.candidate_id == candidate_id
    )
    return (await session.scalars(stmt)).first()


async def memberships_of(session: AsyncSession, candidate_id: uuid.UUID) -> Sequence[TalentPoolMember]:
    stmt = select(TalentPoolMember).where(TalentPoolMember.candidate_id == candidate_id)
    return (await session.scalars(stmt.order_by(TalentPoolMember.id))).all()


async def pool_names_of(session: AsyncSession, candidate_id: uuid.UUID) -> list[str]:
    stmt = (
        select(TalentPool.name)
        .join(TalentPoolMember, TalentPoolMember.pool_id == TalentPool.id)
        .where(TalentPoolMember.candidate_id == candidate_id)
        .order_by(TalentPool.name)
    )
    return list((await session.scalars(stmt)).all())


async def pool_members(
    session: AsyncSession, pool_id: uuid.UUID, params: PageParams
) -> Sequence[tuple[TalentPoolMember, Candidate]]:
    """A page of the pool's members in the order they were added (by membership id)."""
    stmt = (
        select(TalentPoolMember, Candidate)
        .join(Candidate, Candidate.id == TalentPoolMember.candidate_id)
        .where(TalentPoolMember.pool_id == pool_id)
    )
    rows = await session.execute(paginate_by_id(stmt, TalentPoolMember.id, params))
    return [(member, candidate) for member, candidate in rows]


# -- activity ---------------------------------------------------------------------------------


async def latest_updates(
    session: AsyncSession, candidate_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, datetime]]:
    """(candidate id, latest updated_at) pairs from the candidates, their files and their notes.

    Erased candidates are left out: there is nothing left to erase, and visiting their tombstones on
    every retention run would only fill the audit log.
    """
    statements = (
        select(Candidate.id, Candidate.updated_at).where(
            Candidate.id.in_(candidate_ids), Candidate.erased_at.is_(None)
        ),
        select(CandidateFile.candidate_id, func.max(CandidateFile.updated_at))
        .where(CandidateFile.candidate_id.in_(candidate_ids))
        .group_by(CandidateFile.candidate_id),
        select(CandidateNote.candidate_id, func.max(CandidateNote.updated_at))
        .where(CandidateNote.candidate_id.in_(candidate_ids))
        .group_by(CandidateNote.candidate_id),
    )
    found: list[tuple[uuid.UUID, datetime]] = []
    for stmt in statements:
        found.extend((owner, updated_at) for owner, updated_at in await session.execute(stmt))
    return found


# Digests per IN list: well under SQLite's bound-parameter limit, and few round trips for 5,000 rows.
_DIGEST_BATCH = 900


async def ids_by_contact_indexes(
    session: AsyncSession, email_digests: Sequence[str], phone_digests: Sequence[str]
) -> tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]]:
    """Candidates on file by e-mail and by phone blind index, looked up in batches (CSV import).

    The batched twin of :func:`by_email_index` and :func:`by_phone_index`: a list of thousands of
    rows asks a few queries instead of two per row.
    """
    found: tuple[dict[str, uuid.UUID], dict[str, uuid.UUID]] = ({}, {})
    for column, digests, into in (
        (Candidate.email_index, email_digests, found[0]),
        (Candidate.phone_index, phone_digests, found[1]),
    ):
        unique = sorted(set(digests))
        for start in range(0, len(unique), _DIGEST_BATCH):
            chunk = unique[start : start + _DIGEST_BATCH]
            rows = await session.execute(
                select(column, Candidate.id).where(column.in_(chunk)).order_by(Candidate.created_at)
            )
            for digest, candidate_id in rows.all():
                if digest is not None:
                    into.setdefault(digest, candidate_id)
    return found
