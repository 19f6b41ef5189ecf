"""Assessment tables. Only this context reads or writes them.

Two rules shape the schema:

* **Nothing a score was computed from ever changes.** An item's content lives in immutable
  versions; a session pins the versions it drew; responses and marks are append-only (a correction
  or a re-mark is a new row, the newest one counts). Editing an item or a blueprint therefore never
  moves a past score.
* **Answers are personal data.** A candidate's answer is sealed with the KeyRing for
  ``assessment_response:<id>:answer`` (short texts and SQL can say anything); credits, timings and the
  integrity signals' kinds are kept in clear for reporting and item statistics.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped


class AssessmentItem(IdMixin, TimestampMixin, TenantScoped, Base):
    """An item's stable identity: what a bank file's ``key`` names across its versions."""

    __tablename__ = "assessment_items"
    __table_args__ = (UniqueConstraint("organisation_id", "key"), sync_index("assessment_items"))

    key: Mapped[str] = mapped_column(String(80))
    skill_id: Mapped[str] = mapped_column(String(120), index=True)
    latest_version: Mapped[int] = mapped_column(Integer)
    # The version new sessions draw; None while no version is ready (new item, or all retired).
    ready_version: Mapped[int | None] = mapped_column(Integer)
    # Set by the item statistics when the item misbehaves; a person clears it after a review.
    flagged: Mapped[bool] = mapped_column(Boolean, default=False)
    flag_reason: Mapped[str | None] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class AssessmentItemVersion(IdMixin, TenantScoped, Base):
    """One immutable version of an item's content; only its status moves (draft → ready → retired)."""

    __tablename__ = "assessment_item_versions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    item_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assessment_items.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    type: Mapped[str] = mapped_column(String(20))
    skill_id: Mapped[str] = mapped_column(String(120), index=True)
    level: Mapped[str] = mapped_column(String(20))
    difficulty: Mapped[int] = mapped_column(Integer)
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentBlueprint(IdMixin, TimestampMixin, TenantScoped, Base):
    """A job's test plan; its document lives in immutable versions like a role profile's."""

    __tablename__ = "assessment_blueprints"
    __table_args__ = (UniqueConstraint("job_id"),)

    job_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    current_version: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class AssessmentBlueprintVersion(IdMixin, TenantScoped, Base):
    __tablename__ = "assessment_blueprint_versions"
    __table_args__ = (UniqueConstraint("blueprint_id", "number"),)

    blueprint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_blueprints.id", ondelete="CASCADE")
    )
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentSession(IdMixin, TimestampMixin, TenantScoped, Base):
    """One candidate's one attempt at one blueprint version, reached through an unguessable link.

    ``items`` pins what was drawn: ``[{"item_id", "version_id", "skill_id", "position"}]``, so a
    re-draw can never happen and editing the bank never changes what this person answered.
    """

    __tablename__ = "assessment_sessions"
    __table_args__ = (sync_index("assessment_sessions"),)

    blueprint_id: Mapped[uuid.UUID] = mapped_column(index=True)
    blueprint_version: Mapped[int] = mapped_column(Integer)
    job_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # SHA-256 of the link's token; the token itself is only ever shown to whoever issues the link.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column()
    # invited | started | marking | scored | expired | cancelled
    status: Mapped[str] = mapped_column(String(12), default="invited", index=True)
    seed: Mapped[int] = mapped_column(BigInteger)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    time_limit_minutes: Mapped[int] = mapped_column(Integer)
    grace_seconds: Mapped[int] = mapped_column(Integer)
    extra_time_percent: Mapped[int] = mapped_column(Integer, default=0)
    requested_extra_time_percent: Mapped[int | None] = mapped_column(Integer)
    started_at: Mapped[datetime | None] = mapped_column()
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    scored_at: Mapped[datetime | None] = mapped_column()
    total: Mapped[float | None] = mapped_column(Float, index=True)
    skill_scores: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    pending_marking: Mapped[int] = mapped_column(Integer, default=0)
    # rolecall (our own test) | partner (requested by another hiring system) | vendor (an external one)
    source: Mapped[str] = mapped_column(String(10), default="rolecall")
    partner: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # Sealed JSON of what a partner or vendor session needs beyond our rows: a partner-sent
    # candidate's name and e-mail (they are not in our candidates), the partner's callback key, a
    # vendor's test link and metadata. Erasure clears it.
    contact: Mapped[str | None] = mapped_column(Text)
    invited_by: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class AssessmentResponse(IdMixin, TenantScoped, Base):
    """An autosaved answer. Append-only: the newest row per position is the answer."""

    __tablename__ = "assessment_responses"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[uuid.UUID] = mapped_column()
    answer: Mapped[str] = mapped_column(Text)  # sealed JSON
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentMark(IdMixin, TenantScoped, Base):
    """A score given to one answer, by the scorer or by a person. Append-only; the newest counts."""

    __tablename__ = "assessment_marks"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    item_version_id: Mapped[uuid.UUID] = mapped_column(index=True)
    response_id: Mapped[uuid.UUID | None] = mapped_column()
    credit: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))  # scored | pending_marking | unanswered
    source: Mapped[str] = mapped_column(String(8))  # auto | human
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    marker: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentSignal(IdMixin, TenantScoped, Base):
    """An integrity signal (focus lost, paste, address change, time on an item): shown, never acted on."""

    __tablename__ = "assessment_signals"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("assessment_sessions.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    position: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class AssessmentJobSettings(IdMixin, TimestampMixin, TenantScoped, Base):
    """Per job: the ranking's weights, automatic invitations, and an external vendor if one is used."""

    __tablename__ = "assessment_job_settings"
    __table_args__ = (UniqueConstraint("job_id"),)

    job_id: Mapped[uuid.UUID] = mapped_column()
    weights: Mapped[dict[str, float]] = mapped_column(JSON)
    auto_invite: Mapped[bool] = mapped_column(Boolean, default=True)
    link_days: Mapped[int] = mapped_column(Integer, default=7)
    vendor_id: Mapped[uuid.UUID | None] = mapped_column()
    vendor_test_id: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class AssessmentPartnerKey(IdMixin, TimestampMixin, TenantScoped, Base):
    """A Basic-auth key another hiring system uses to order our assessments (the partner contract)."""

    __tablename__ = "assessment_partner_keys"

    name: Mapped[str] = mapped_column(String(120))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    revoked_at: Mapped[datetime | None] = mapped_column()


class AssessmentVendor(IdMixin, TimestampMixin, TenantScoped, Base):
    """An external assessment vendor this organisation orders tests from (same contract, our side)."""

    __tablename__ = "assessment_vendors"

    name: Mapped[str] = mapped_column(String(120))
    base_url: Mapped[str] = mapped_column(String(500))
    api_key: Mapped[str] = mapped_column(Text)  # sealed
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.assessments import access as _access  # noqa: E402, F401
