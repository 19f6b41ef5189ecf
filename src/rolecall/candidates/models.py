"""Candidate tables. Only this context reads or writes them.

A candidate is a person, whatever jobs they apply to. Every personal field is stored as a
:class:`rolecall.platform.pii.KeyRing` token sealed for ``candidate:<id>:<field>``, so a token moved to
another row or column does not open. Email and phone are found again through keyed blind indexes of
their normalised forms, unique per organisation (a NULL index never collides): that uniqueness is
what makes deduplication hold under concurrent writes.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped

# Fields held encrypted, in the order they are shown; ``links`` is a JSON list sealed as one token.
ENCRYPTED_FIELDS = ("full_name", "email", "phone", "links", "location")
# Campaign details (utm_*, referrer): one sealed JSON object kept in a JSON column (ADR 0017), see
# rolecall.platform.sealed_json for the values the column can hold.
SEALED_OBJECT_FIELDS = ("source_details",)


class Candidate(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("organisation_id", "email_index"),
        UniqueConstraint("organisation_id", "phone_index"),
        sync_index("candidates"),
    )

    full_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    links: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    email_index: Mapped[str | None] = mapped_column(String(32))
    phone_index: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(20))
    # A KeyRing token for candidate:<id>:source_details, or {} when there are none (ADR 0017).
    source_details: Mapped[str | dict[str, Any]] = mapped_column(JSON)
    # Clear, for filtering and lists: restricted to the tag rule of rolecall.candidates.tags.
    tags: Mapped[list[str]] = mapped_column(JSON)
    # Erasure keeps the row (pipeline facts point at it) but drops every personal field; the email's
    # blind index moves here so a re-application is recognised without making it a duplicate.
    erased_at: Mapped[datetime | None] = mapped_column()
    erased_email_index: Mapped[str | None] = mapped_column(String(32), index=True)
    # The staff member who added the person by hand (None: applied, imported or added by a client).
    # They keep seeing the person under need-to-know access before any application exists.
    added_by_user_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class CandidateFile(IdMixin, TimestampMixin, TenantScoped, Base):
    """A file a candidate gave us (a resume): bytes in the file store, extracted text sealed here."""

    __tablename__ = "candidate_files"

    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    # Indexed for the orphan-file sweep, which asks which of a batch of store keys rows point at.
    storage_key: Mapped[str] = mapped_column(String(200), index=True)
    text: Mapped[str | None] = mapped_column(Text)  # KeyRing token for candidate_file:<id>:text
    skills: Mapped[list[str]] = mapped_column(JSON)  # normalised taxonomy ids: not personal on their own
    # A resume's proficiency per skill id (1-5, as stated next to the skill) and the total years of
    # experience found in its text; null for other files and for resumes stored before 0007.
    resume_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)


class CandidateNote(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "candidate_notes"

    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    author: Mapped[str] = mapped_column(String(80))  # the actor, e.g. user:<uuid>
    body: Mapped[str] = mapped_column(Text)  # KeyRing token for candidate_note:<id>:body


class TalentPool(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "talent_pools"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(1000))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class TalentPoolMember(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "talent_pool_members"
    __table_args__ = (UniqueConstraint("pool_id", "candidate_id"),)

    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("talent_pools.id", ondelete="CASCADE"), index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    added_by: Mapped[str] = mapped_column(String(80))


class CandidateNameToken(TenantScoped, Base):
    """One keyed token of a candidate's normalised name: how a sealed name is found by equality.

    ``token`` is the organisation's blind index of one name word, so equal words of two candidates
    of one organisation share a value; what that reveals is recorded in ADR 0016.
    """

    __tablename__ = "candidate_name_tokens"
    __table_args__ = (Index("ix_candidate_name_tokens_lookup", "organisation_id", "token"),)
    candidate_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(32), primary_key=True)


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.candidates import access as _access  # noqa: E402, F401
