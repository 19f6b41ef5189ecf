"""E-mail tables. Only this context reads or writes them.

A :class:`NotificationMessage` row is one e-mail to one person, queued in the transaction of the change
that calls for it and sent later by the sender (at least once). Its body is rendered at send time from
the template name and ``context`` (ids only); what cannot be looked up again later (a status link) is
kept in ``payload``, sealed with the PII key ring like the recipient's address, for
``notification_messages:<id>:<column>``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped

QUEUED, SENT, FAILED, CANCELLED = "queued", "sent", "failed", "cancelled"


class NotificationMessage(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "notification_messages"
    __table_args__ = (
        # A redelivered event finds its message already queued: the same event, template and person.
        UniqueConstraint("event_id", "template", "recipient_hash"),
        Index("ix_notification_messages_due", "status", "send_after"),
    )

    event_id: Mapped[uuid.UUID] = mapped_column()
    template: Mapped[str] = mapped_column(String(60))
    # sha256 of "candidate:<id>" or "user:<id>": who, without saying it in clear.
    recipient_hash: Mapped[str] = mapped_column(String(64))
    recipient_kind: Mapped[str] = mapped_column(String(12))  # candidate | user
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    application_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    # The address, sealed; set when queued if the producer knew it, else when sent.
    recipient: Mapped[str | None] = mapped_column(Text)
    # Sealed JSON of values that cannot be looked up again at send time (a status link).
    payload: Mapped[str | None] = mapped_column(Text)
    context: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # ids only, never personal data
    message_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(12), default=QUEUED)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column()
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    sent_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)


class NotificationSettings(IdMixin, TimestampMixin, TenantScoped, Base):
    """Per organisation: the language of its e-mails and how long a rejection waits before it goes."""

    __tablename__ = "notification_settings"
    __table_args__ = (UniqueConstraint("organisation_id"),)

    language: Mapped[str] = mapped_column(String(8), default="en")
    rejection_delay_hours: Mapped[int] = mapped_column(Integer, default=24)
    version: Mapped[int] = mapped_column(Integer, default=1)


class NotificationTemplate(IdMixin, TimestampMixin, TenantScoped, Base):
    """An organisation's override of a default template, in one language."""

    __tablename__ = "notification_templates"
    __table_args__ = (UniqueConstraint("organisation_id", "name", "language"),)

    name: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str] = mapped_column(String(500))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer, default=1)


class NotificationPreference(IdMixin, TimestampMixin, TenantScoped, Base):
    """A staff member's choices; absent means the defaults (every message on)."""

    __tablename__ = "notification_preferences"
    __table_args__ = (UniqueConstraint("organisation_id", "user_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column()
    application_digest: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)


class NotificationDigestItem(IdMixin, TenantScoped, Base):
    """A new application waiting for a hiring-team member's next daily digest."""

    __tablename__ = "notification_digest_items"
    __table_args__ = (UniqueConstraint("user_id", "application_id"),)

    user_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID] = mapped_column()
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    digested_at: Mapped[datetime | None] = mapped_column()


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.notifications import access as _access  # noqa: E402, F401
