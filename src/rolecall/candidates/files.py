"""Files a candidate gave us (resumes): bytes in the file store, extracted text sealed in the row.

What a file *is* comes from its bytes alone (:func:`rolecall.candidates.resumes.parse_resume`), never
from its name or a declared content type, and parsing runs in a worker thread because it is CPU-bound.
The store picks the key, so no part of a path comes from the client. The text is personal data:
it is sealed for ``candidate_file:<id>:text`` and reading it is audited. Skills are taxonomy ids,
kept in clear so matching can use them without decrypting anything, and so are a resume's facts:
the proficiency stated next to each skill and the total years of experience found in the text
(numbers about skills, not the text), so any later score made from the stored resume uses them.

Bytes and rows are kept in step as far as a service that does not own the transaction can: bytes
stored for a row whose insert fails to flush are deleted again, and a removed row's bytes are
deleted only once the delete has flushed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import anyio.to_thread
from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.audit import service as audit
from rolecall.candidates import repository, resumes
from rolecall.candidates.events import CandidateFileAdded, CandidateFileRemoved
from rolecall.candidates.models import CandidateFile
from rolecall.candidates.records import get, get_live, problem
from rolecall.candidates.schemas import FileKind
from rolecall.platform.auth import Principal
from rolecall.platform.db import on_rollback
from rolecall.platform.errors import NotFound
from rolecall.platform.events.outbox import emit
from rolecall.platform.ids import new_id
from rolecall.platform.pii import KeyRing
from rolecall.platform.storage import FileStore, StoredFileNotFound

FILE_KINDS = ("resume", "cover_letter", "other")


@dataclass(frozen=True)
class FileView:
    id: uuid.UUID
    candidate_id: uuid.UUID
    kind: str
    media_type: str
    size: int
    skills: list[str]
    created_at: datetime
    proficiency: dict[str, int] = field(default_factory=dict)
    years_experience: float | None = None


@dataclass(frozen=True)
class FileDetail(FileView):
    """A file with its extracted text decrypted, for one response."""

    text: str | None = None


# A resume just stored: its view carries the stated proficiencies and the years found in its text.
ResumeView = FileView


@dataclass(frozen=True)
class FileContent:
    file: FileView
    data: bytes


def text_context(file_id: uuid.UUID) -> str:
    return f"candidate_file:{file_id}:text"


def _facts(parsed: resumes.ParsedResume) -> dict[str, Any]:
    return {
        "proficiency": {m.skill_id: m.proficiency for m in parsed.skills if m.proficiency is not None},
        "years_experience": parsed.years_experience,
    }


def file_view(row: CandidateFile) -> FileView:
    return FileView(
        id=row.id,
        candidate_id=row.candidate_id,
        kind=row.kind,
        media_type=row.media_type,
        size=row.size,
        skills=list(row.skills),
        created_at=row.created_at,
        proficiency=dict((row.resume_facts or {}).get("proficiency") or {}),
        years_experience=(row.resume_facts or {}).get("years_experience"),
    )


def open_text(keyring: KeyRing, row: CandidateFile) -> str | None:
    return None if row.text is None else keyring.decrypt(row.text, context=text_context(row.id))


def _event(
    session: AsyncSession, event_class: type[CandidateFileAdded | CandidateFileRemoved], row: CandidateFile
) -> None:
    emit(session, event_class(candidate_id=row.candidate_id, file_id=row.id, kind=cast(FileKind, row.kind)))


def _audit(session: AsyncSession, principal: Principal, action: str, row: CandidateFile) -> None:
    audit.record(
        session,
        actor=principal.actor,
        action=action,
        target_type="candidate",
        target_id=row.candidate_id,
        file_id=str(row.id),
    )


async def add_file(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    data: bytes,
    *,
    kind: str = "resume",
    field: str = "file",
    keyring: KeyRing,
    store: FileStore,
) -> FileView:
    """Check, parse and store an upload for a candidate; a refused upload is a 422 on ``field``.

    Nothing is stored for a refused upload: the bytes go to the store only once they parsed.
    """
    row, _ = await _add_file(
        session, principal, candidate_id, data, kind=kind, field=field, keyring=keyring, store=store
    )
    return file_view(row)


async def _add_file(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    data: bytes,
    *,
    kind: str,
    field: str,
    keyring: KeyRing,
    store: FileStore,
) -> tuple[CandidateFile, resumes.ParsedResume]:
    if kind not in FILE_KINDS:
        raise problem("kind", f"kind must be one of: {', '.join(FILE_KINDS)}.")
    candidate = await get_live(session, candidate_id)
    try:
        parsed = await anyio.to_thread.run_sync(resumes.parse_resume, data)
    except resumes.ResumeRejected as exc:
        raise problem(field, exc.message) from None
    key = await store.put(data, content_type=parsed.content_type)
    # If the request does not commit (a later file is refused, a concurrent duplicate wins, the
    # commit fails), the bytes go too: no file may outlive the row that points at it.
    on_rollback(session, lambda: store.delete(key))
    try:
        row = CandidateFile(
            id=new_id(),
            organisation_id=principal.organisation_id,
            candidate_id=candidate.id,
            kind=kind,
            media_type=parsed.content_type,
            size=len(data),
            storage_key=key,
            skills=list(dict.fromkeys(mention.skill_id for mention in parsed.skills)),
            resume_facts=_facts(parsed) if kind == "resume" else None,
        )
        row.text = keyring.encrypt(parsed.text, context=text_context(row.id))
        session.add(row)
        await session.flush()
    except BaseException:
        # The row never made it (even if a caller goes on after catching this): drop the bytes now.
        with anyio.CancelScope(shield=True):
            await store.delete(key)
        raise
    _audit(session, principal, "candidate.file_added", row)
    _event(session, CandidateFileAdded, row)
    return row, parsed


async def store_resume(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    data: bytes,
    *,
    keyring: KeyRing,
    store: FileStore,
) -> ResumeView:
    """The apply flow's entry point: a resume for a candidate; refusals are a 422 on ``resume``.

    The view carries the stated proficiencies and the years of experience of this parse, so the
    application it arrives with is scored from them.
    """
    row, _ = await _add_file(
        session, principal, candidate_id, data, kind="resume", field="resume", keyring=keyring, store=store
    )
    return file_view(row)


async def held_file_keys(session: AsyncSession, keys: Sequence[str]) -> set[str]:
    """The context's answer to the orphan-file sweep: which of these store keys a file row holds.

    Across organisations: a store is shared by every tenant, and a key held by any of them is
    not an orphan. Only keys go in and out, never a name or a candidate id.
    """
    return await repository.storage_keys_among(session, keys)


async def resume_skills(session: AsyncSession, file_id: uuid.UUID) -> list[str]:
    """The taxonomy skill ids found in a stored file (no personal data, so not audited)."""
    row = await repository.file_by_id(session, file_id)
    if row is None:
        raise NotFound("File not found.")
    return list(row.skills)


async def list_files(session: AsyncSession, candidate_id: uuid.UUID) -> list[FileView]:
    """A candidate's files without their text: metadata only, so the listing is not audited."""
    await get(session, candidate_id)
    return [file_view(row) for row in await repository.files_of(session, candidate_id)]


async def _file(session: AsyncSession, candidate_id: uuid.UUID, file_id: uuid.UUID) -> CandidateFile:
    row = await repository.get_file(session, candidate_id, file_id)
    if row is None:
        raise NotFound("File not found.")
    return row


async def get_file(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    file_id: uuid.UUID,
    *,
    keyring: KeyRing,
) -> FileDetail:
    row = await _file(session, candidate_id, file_id)
    view = file_view(row)
    detail = FileDetail(**vars(view), text=open_text(keyring, row))
    _audit(session, principal, "candidate.file_viewed", row)
    return detail


async def file_content(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    file_id: uuid.UUID,
    *,
    store: FileStore,
) -> FileContent:
    row = await _file(session, candidate_id, file_id)
    try:
        data = await store.get(row.storage_key)
    except StoredFileNotFound:
        raise NotFound("The file's content is no longer stored.") from None
    _audit(session, principal, "candidate.file_downloaded", row)
    return FileContent(file_view(row), data)


async def remove_file(
    session: AsyncSession,
    principal: Principal,
    candidate_id: uuid.UUID,
    file_id: uuid.UUID,
    *,
    store: FileStore,
) -> None:
    row = await _file(session, candidate_id, file_id)
    key = row.storage_key
    _audit(session, principal, "candidate.file_removed", row)
    _event(session, CandidateFileRemoved, row)
    await session.delete(row)
    await session.flush()
    await store.delete(key)
