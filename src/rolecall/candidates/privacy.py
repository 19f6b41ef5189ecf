"""The candidate side of data-subject requests: export everything held, erase it, and report activity.

The privacy context drives these (it owns the routes and the request records); applications are
exported and erased by the pipeline context. Erasure keeps the candidate row as a tombstone, since
pipeline facts point at it, and drops every personal field, file, note and pool membership. The
email's blind index moves to ``erased_email_index`` so a returning applicant is recognised as such
(see ``previously_erased``) without being linked to the erased row.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import names, repository
from rolecall.candidates.events import CandidateErased
from rolecall.candidates.files import file_view, open_text
from rolecall.candidates.notes import note_view
from rolecall.candidates.records import ERASED_NAME, get, personal, seal
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.events.outbox import emit
from rolecall.platform.pii import KeyRing
from rolecall.platform.storage import FileStore


async def export_candidate(
    session: AsyncSession, principal: Principal, candidate_id: uuid.UUID, *, keyring: KeyRing
) -> dict[str, Any]:
    """Everything this context holds about the candidate, decrypted, as JSON-ready values."""
    candidate = await get(session, candidate_id)
    files = []
    for row in await repository.files_of(session, candidate.id):
        meta = file_view(row)
        files.append(
            {
                "id": str(meta.id),
                "kind": meta.kind,
                "media_type": meta.media_type,
                "size": meta.size,
                "skills": meta.skills,
                "created_at": meta.created_at.isoformat(),
                "text": open_text(keyring, row),
            }
        )
    notes = [
        {
            "id": str(note.id),
            "author": note.author,
            "created_at": note.created_at.isoformat(),
            "body": note.body,
        }
        for note in (note_view(keyring, row) for row in await repository.notes_of(session, candidate.id))
    ]
    audit.record(
        session,
        actor=principal.actor,
        action="candidate.exported",
        target_type="candidate",
        target_id=candidate.id,
    )
    return {
        "id": str(candidate.id),
        **personal(keyring, candidate),
        "source": candidate.source,
        "tags": list(candidate.tags),
        "created_at": candidate.created_at.isoformat(),
        "updated_at": candidate.updated_at.isoformat(),
        "erased_at": candidate.erased_at.isoformat() if candidate.erased_at else None,
        "files": files,
        "notes": notes,
        "talent_pools": await repository.pool_names_of(session, candidate.id),
    }


async def erase_candidate(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    *,
    keyring: KeyRing,
    store: FileStore,
) -> list[str]:
    """Erase the candidate's personal data; returns the storage keys whose bytes were deleted.

    The bytes are deleted here, once the row deletions have flushed. Should the caller's transaction
    then roll back, the file rows survive pointing at missing bytes: the erasure is retried as a
    whole and deletes them (deleting missing bytes is not an error), and the content route answers
    404 meanwhile. Erasing an erased candidate changes nothing and returns ``[]``.
    """
    candidate = await get(session, candidate_id)
    if candidate.erased_at is not None:
        return []
    keys: list[str] = []
    for row in await repository.files_of(session, candidate.id):
        keys.append(row.storage_key)
        await session.delete(row)
    for note in await repository.notes_of(session, candidate.id):
        await session.delete(note)
    for member in await repository.memberships_of(session, candidate.id):
        await session.delete(member)
    # Index bookkeeping first: the unique email index must be free before anything else reuses it.
    candidate.erased_email_index = candidate.email_index
    candidate.email_index = None
    candidate.phone_index = None
    await names.drop(session, candidate.id)  # an erased name must not be findable by its words
    candidate.full_name = seal(keyring, candidate.id, "full_name", ERASED_NAME) or ""
    candidate.links = seal(keyring, candidate.id, "links", []) or ""
    candidate.email = candidate.phone = candidate.location = None
    candidate.source_details = {}
    candidate.tags = []
    candidate.erased_at = utcnow()
    candidate.version += 1
    await session.flush()
    with anyio.CancelScope(shield=True):
        for key in keys:
            await store.delete(key)
    audit.record(
        session,
        actor=principal.actor,
        action=CandidateErased.event_type,
        target_type="candidate",
        target_id=candidate.id,
        file_count=len(keys),
    )
    # Storage keys are opaque ids; listing them lets a sweeper find bytes a crash left behind.
    emit(session, CandidateErased(candidate_id=candidate.id, version=candidate.version, file_keys=keys))
    return keys


async def candidate_activity(
    session: AsyncSession, candidate_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, datetime]:
    """The latest change to each candidate, its files or its notes (for retention).

    Ids of unknown candidates (or another organisation's) are left out of the answer.
    """
    if not candidate_ids:
        return {}
    latest: dict[uuid.UUID, datetime] = {}
    for candidate_id, updated_at in await repository.latest_updates(session, list(candidate_ids)):
        if candidate_id not in latest or updated_at > latest[candidate_id]:
            latest[candidate_id] = updated_at
    return latest
