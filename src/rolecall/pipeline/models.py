"""Pipeline tables. Only this context reads or writes them.

An application is one candidate applying to one job; it sits in exactly one of the job's stages
(named as in the job's stage list, with that stage's type copied so the state machine never needs the
job). ``status`` says whether it is still moving (``active``) or ended (``rejected``, ``withdrawn``,
``hired``). Every change of stage or status is one :class:`ApplicationTransition` row, so
time-in-stage and funnels are queries over transitions, not guesses.

Free-text answers are personal data: the whole answer set is one KeyRing token sealed for
``application:<id>:answers``. Campaign details (``utm_*``, referrer) are free text too and are one
token for ``application:<id>:source_details`` held in a JSON column (ADR 0017,
:mod:`rolecall.platform.sealed_json`); ``source``, a fixed list, stays clear for the analytics. The
status link's token is stored only as a keyed hash.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped


class PipelineSettings(IdMixin, TimestampMixin, TenantScoped, Base):
    """The organisation's reject reasons (a fixed list, so reports can group by them) and the
    data-processing consent text applicants agree to (its version is recorded with each consent)."""

    __tablename__ = "pipeline_settings"
    __table_args__ = (UniqueConstraint("organisation_id"),)

    reject_reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    consent_text: Mapped[str] = mapped_column(Text)
    consent_version: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Application(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "applications"
    __table_args__ = (
        # One live application per person and job; an application folded into another by a
        # candidate merge keeps its history but no longer counts.
        Index(
            "uq_applications_job_candidate_live",
            "organisation_id",
            "job_id",
            "candidate_id",
            unique=True,
            postgresql_where=text("merged_into_id IS NULL"),
            sqlite_where=text("merged_into_id IS NULL"),
        ),
        sync_index("applications"),
    )

    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(index=True)
    stage: Mapped[str] = mapped_column(String(200))
    stage_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12), default="active", index=True)
    reject_reason: Mapped[str | None] = mapped_column(String(40))
    answers: Mapped[str | None] = mapped_column(Text)  # KeyRing token: JSON object of answers
    consent: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # text version + time: not personal
    source: Mapped[str] = mapped_column(String(20))
    source_details: Mapped[str | dict[str, Any]] = mapped_column(JSON)  # token, or {} when none
    resume_file_id: Mapped[uuid.UUID | None] = mapped_column()
    match_score: Mapped[int | None] = mapped_column(Integer)
    match: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    status_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    status_token_expires_at: Mapped[datetime | None] = mapped_column()
    stage_entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    hired_at: Mapped[datetime | None] = mapped_column()
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class ApplicationTransition(IdMixin, TenantScoped, Base):
    """One move of an application: append-only, the source of time-in-stage and funnels."""

    __tablename__ = "application_transitions"

    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(20))  # applied, move, reject, withdraw, unreject, hire, ...
    from_stage: Mapped[str | None] = mapped_column(String(200))
    from_type: Mapped[str | None] = mapped_column(String(20))
    to_stage: Mapped[str] = mapped_column(String(200))
    to_type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(12))  # the application's status after the move
    reason: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(80))
    bulk_id: Mapped[uuid.UUID | None] = mapped_column()
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.pipeline import access as _access  # noqa: E402, F401
