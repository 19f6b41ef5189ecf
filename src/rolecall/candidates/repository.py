"""Candidate queries. Tenant filtering is added by the platform; nothing here repeats it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates.models import Candidate
from rolecall.platform.pagination import PageParams, paginate_by_id


async def get_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> Candidate | None:
    return (await session.scalars(select(Candidate).where(Candidate.id == candidate_id))).first()


async def list_candidates(session: AsyncSession, params: PageParams) -> Sequence[Candidate]:
    return (await session.scalars(paginate_by_id(select(Candidate), Candidate.id, params))).all()


async def by_email_index(session: AsyncSession, digest: str) -> Candidate | None:
    return (await session.scalars(select(Candidate).where(Candidate.email_index == digest))).first()


async def by_phone_index(session: AsyncSession, digest: str) -> Candidate | None:
    return (await session.scalars(select(Candidate).where(Candidate.phone_index == digest))).first()
