"""Notes staff keep about a candidate: free text about a person, so sealed and audited when read.

The body is sealed for ``candidate_note:<id>:body``. The author is the actor who wrote it, and only
they or an admin may delete it: a note is someone's judgement, not shared property.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import repository
from rolecall.candidates.events import CandidateNoteAdded, CandidateNoteRemoved
from rolecall.candidates.models import CandidateNote
from rolecall.candidates.records import get, get_live
from rolecall.platform.auth import Principal
from rolecall.platform.errors import Forbidden, NotFound
from rolecall.platform.events.outbox import emit
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing

ADMIN_ROLE = "admin"


@dataclass(frozen=True)
class NoteView:
    id: uuid.UUID
    candidate_id: uuid.UUID
    author: str
    body: str
    created_at: datetime


def body_context(note_id: uuid.UUID) -> str:
    return f"candidate_note:{note_id}:body"


def note_view(keyring: KeyRing, row: CandidateNote) -> NoteView:
    body = keyring.decrypt(row.body, context=body_context(row.id))
    return NoteView(row.id, row.candidate_id, row.author, body, row.created_at)


def _audit(session: AsyncSession, principal: Principal, action: str, row: CandidateNote) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        target_type="candidate",
        target_id=row.candidate_id,
        note_id=str(row.id),
    )


def _event(
    session: AsyncSession, event_class: type[CandidateNoteAdded | CandidateNoteRemoved], row: CandidateNote
) -> None:
    emit(session, event_class(candidate_id=row.candidate_id, note_id=row.id))


async def add_note(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, body: str, *, keyring: KeyRing
) -> NoteView:
    candidate = await get_live(session, candidate_id)
    row = CandidateNote(
        id=new_id(),
        organisation_id=principal.organisation_id,
        candidate_id=candidate.id,
        author=principal.actor,
    )
    row.body = keyring.encrypt(body, context=body_context(row.id))
    session.add(row)
    await session.flush()
    _audit(session, principal, "candidate.note_added", row)
    _event(session, CandidateNoteAdded, row)
    return note_view(keyring, row)


async def list_notes(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    params: PageParams,
    *,
    keyring: KeyRing,
) -> tuple[list[NoteView], str | None]:
    """Newest first; the page's note ids go to the audit log, since their bodies were read."""
    await get(session, candidate_id)
    rows = list(await repository.newest_notes(session, candidate_id, params))
    items, cursor = page_of(rows, params)
    views = [note_view(keyring, row) for row in items]
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.notes_listed",
        target_type="candidate",
        target_id=candidate_id,
        note_ids=[str(view.id) for view in views],
    )
    return views, cursor


async def remove_note(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, note_id: uuid.UUID
) -> None:
    row = await repository.get_note(session, candidate_id, note_id)
    if row is None:
        raise NotFound("Note not found.")
    if row.author != principal.actor and ADMIN_ROLE not in principal.roles:
        raise Forbidden("Only the note's author or an admin may delete it.")
    _audit(session, principal, "candidate.note_removed", row)
    _event(session, CandidateNoteRemoved, row)
    await session.delete(row)
    await session.flush()
