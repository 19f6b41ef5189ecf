"""Events the candidates context publishes: people created, changed, merged and erased, their files
and notes, and talent pools.

They carry ids, versions and the *names* of changed fields, never the personal data itself: a
receiver that needs a name or an e-mail reads the candidate through the API, with the scope that
reading needs and the audit entry it leaves. Other contexts follow a person through these events
(a merge moves applications, interviews and offers; a new resume re-scores applications).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from pydantic import ConfigDict, Field

from rolecall.candidates.schemas import FileKind, Source
from rolecall.platform.events.base import INTERNAL, DomainEvent

SOURCE = "/rolecall/candidates"


class CandidateEvent(DomainEvent):
    """Something happened to one candidate, named by id."""

    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "candidates/{candidate_id}"

    candidate_id: uuid.UUID


class CandidateChange(CandidateEvent):
    """A candidate's record was written: its new version, where they came from, what changed.

    The data member ``source`` (how the person reached the organisation) is ``candidate_source`` in
    Python, since ``source`` is the event's own CloudEvents source.
    """

    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True, validate_by_alias=True)

    version: int
    candidate_source: Source = Field(alias="source")
    changed_fields: list[str] = Field(description="Names of the fields written, sorted; never values.")


class CandidateCreated(CandidateChange):
    """A candidate was added, by a recruiter, an import or an application from the careers board."""

    event_type: ClassVar[str] = "candidate.created"


class CandidateUpdated(CandidateChange):
    """A candidate's details changed (``changed_fields`` says which; read the candidate for values)."""

    event_type: ClassVar[str] = "candidate.updated"


class CandidateMerged(CandidateEvent):
    """Two records of the same person became one: ``merged_id`` is gone, ``candidate_id`` remains.

    Whatever a receiver keeps about ``merged_id`` (applications, interviews, offers) now belongs to
    ``candidate_id``.
    """

    event_type: ClassVar[str] = "candidate.merged"

    merged_id: uuid.UUID


class CandidateErased(CandidateEvent):
    """A candidate's personal data was erased on request; the record stays as a tombstone.

    Receivers holding copies of the person's data must delete them.
    """

    event_type: ClassVar[str] = "candidate.erased"

    version: int
    file_keys: list[str] = Field(
        json_schema_extra=INTERNAL,
        description="Storage keys of the deleted files, so a sweeper can find bytes a crash left behind.",
    )


class CandidateFileEvent(CandidateEvent):
    """A file of a candidate (resume, cover letter, other), by id and kind; never its name or text."""

    file_id: uuid.UUID
    kind: FileKind


class CandidateFileAdded(CandidateFileEvent):
    """A file was attached to a candidate (a new resume re-scores their applications)."""

    event_type: ClassVar[str] = "candidate.file_added"


class CandidateFileRemoved(CandidateFileEvent):
    """A file was removed from a candidate."""

    event_type: ClassVar[str] = "candidate.file_removed"


class CandidateNoteEvent(CandidateEvent):
    """A staff note about a candidate, by id; never its text."""

    note_id: uuid.UUID


class CandidateNoteAdded(CandidateNoteEvent):
    """A member of staff wrote a note about a candidate."""

    event_type: ClassVar[str] = "candidate.note_added"


class CandidateNoteRemoved(CandidateNoteEvent):
    """A note about a candidate was deleted."""

    event_type: ClassVar[str] = "candidate.note_removed"


class TalentPoolEvent(DomainEvent):
    """Something happened to a talent pool (a named list of candidates kept for later roles)."""

    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "talent-pools/{pool_id}"

    pool_id: uuid.UUID


class TalentPoolCreated(TalentPoolEvent):
    """A talent pool was created."""

    event_type: ClassVar[str] = "talent_pool.created"


class TalentPoolUpdated(TalentPoolEvent):
    """A talent pool's name or description changed (``changed_fields`` says which)."""

    event_type: ClassVar[str] = "talent_pool.updated"

    changed_fields: list[str]


class TalentPoolDeleted(TalentPoolEvent):
    """A talent pool was deleted; its candidates are not affected."""

    event_type: ClassVar[str] = "talent_pool.deleted"


class TalentPoolCandidateAdded(TalentPoolEvent):
    """A candidate was added to a talent pool."""

    event_type: ClassVar[str] = "talent_pool.candidate_added"

    candidate_id: uuid.UUID


class TalentPoolCandidateRemoved(TalentPoolEvent):
    """A candidate was taken out of a talent pool."""

    event_type: ClassVar[str] = "talent_pool.candidate_removed"

    candidate_id: uuid.UUID
