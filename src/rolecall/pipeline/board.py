"""What the pipeline board shows: a job's applications by stage, each with the candidate's name.

Built in a fixed number of queries whatever the number of applications (the job, the applications,
the settings, the names), so a job with a thousand applications opens as fast as one with ten. Only
the columns a card needs are read; answers and score evidence stay in the database.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.candidates import service as candidates
from rolecall.jobs import service as jobs
from rolecall.pipeline import stages
from rolecall.pipeline.models import Application
from rolecall.pipeline.settings import get_settings
from rolecall.platform.auth import Principal
from rolecall.platform.pii import KeyRing

CLOSED = ("rejected", "withdrawn", "hired")
_CARD_COLUMNS = (
    Application.id,
    Application.candidate_id,
    Application.stage,
    Application.stage_type,
    Application.status,
    Application.reject_reason,
    Application.source,
    Application.match_score,
    Application.stage_entered_at,
    Application.version,
)


@dataclass(frozen=True)
class Card:
    id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str
    stage_type: str
    status: str
    reject_reason: str | None
    source: str
    match_score: int | None
    stage_entered_at: datetime
    version: int
    name: str | None  # None: the viewer may not read candidates' personal data
    tags: tuple[str, ...]


@dataclass
class Column:
    index: int
    name: str
    type: str
    cards: list[Card] = field(default_factory=list)
    known: bool = True  # False: a stage the job no longer has, kept so nobody disappears


@dataclass
class Board:
    job: Any
    columns: list[Column]
    closed: dict[str, list[Card]]
    reject_reasons: list[dict[str, str]]


def _sort_key(card: Card) -> tuple[bool, int, datetime]:
    """Best match first (unscored last), then whoever has waited longest in the stage."""
    return (card.match_score is None, -(card.match_score or 0), card.stage_entered_at)


def open_columns(job_stages: list[dict[str, Any]]) -> list[Column]:
    """One column per stage an active application can sit in, in the job's order."""
    return [
        Column(index, stage["name"], stage["type"])
        for index, stage in enumerate(job_stages)
        if stage["type"] not in stages.TERMINAL_TYPES
    ]


async def _cards(
    session: AsyncSession, principal: Principal, keyring: KeyRing, job_id: uuid.UUID, where: Any
) -> list[Card]:
    stmt = select(*_CARD_COLUMNS).where(
        Application.job_id == job_id, Application.merged_into_id.is_(None), where
    )
    rows = (await session.execute(stmt)).all()
    labels: dict[uuid.UUID, candidates.CandidateLabel] = {}
    if rows and "candidates:read" in principal.scopes:
        labels = await candidates.candidate_labels(
            session, principal, (row.candidate_id for row in rows), keyring=keyring, purpose="pipeline_board"
        )
    cards = []
    for row in rows:
        label = labels.get(row.candidate_id)
        cards.append(
            Card(
                job_id=job_id,
                **row._asdict(),
                name=label.full_name if label else None,
                tags=label.tags if label else (),
            )
        )
    return cards


async def load_board(
    session: AsyncSession, principal: Principal, job_id: uuid.UUID, *, keyring: KeyRing
) -> Board:
    job = await jobs.get_job(session, principal, job_id)  # 404 for another organisation's job
    columns = open_columns(list(job.stages))
    by_name = {column.name.casefold(): column for column in columns}
    closed: dict[str, list[Card]] = {status: [] for status in CLOSED}
    for card in sorted(await _cards(session, principal, keyring, job_id, true()), key=_sort_key):
        if card.status in closed:
            closed[card.status].append(card)
            continue
        column = by_name.get(card.stage.casefold())
        if column is None:
            column = Column(len(job.stages) + len(by_name), card.stage, card.stage_type, known=False)
            by_name[card.stage.casefold()] = column
            columns.append(column)
        column.cards.append(card)
    settings = await get_settings(session, principal.organisation_id)
    return Board(job, columns, closed, list(settings.reject_reasons))


async def load_card(
    session: AsyncSession,
    principal: Principal,
    job_id: uuid.UUID,
    application_id: uuid.UUID,
    *,
    keyring: KeyRing,
) -> Card:
    """One card as the board shows it, after a change made from the board."""
    found = await _cards(session, principal, keyring, job_id, Application.id == application_id)
    return found[0]


async def stage_counts(session: AsyncSession, job_id: uuid.UUID) -> tuple[dict[str, int], dict[str, int]]:
    """Active applications per stage name (case-folded), and closed ones per status."""
    stmt = (
        select(Application.status, Application.stage, func.count())
        .where(Application.job_id == job_id, Application.merged_into_id.is_(None))
        .group_by(Application.status, Application.stage)
    )
    active: dict[str, int] = {}
    closed: dict[str, int] = dict.fromkeys(CLOSED, 0)
    for status, stage, count in (await session.execute(stmt)).all():
        if status in closed:
            closed[status] += count
        else:
            active[stage.casefold()] = active.get(stage.casefold(), 0) + count
    return active, closed
