"""Webhook endpoints, one delivery per (endpoint, event), and the log of each delivery's attempts.

A delivery row holds no payload: the body is built from the outbox row when it is sent, so no
personal data is copied into this context's tables, and an endpoint whose ``candidates:read`` grant
is withdrawn stops receiving personal fields at once, retries included. The price is that an event
can only be (re)delivered while the outbox keeps it (``ROLECALL_OUTBOX_RETENTION_DAYS``).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"


class WebhookEndpoint(IdMixin, TimestampMixin, TenantScoped, Base):
    """A URL the organisation wants its events sent to, and the secrets deliveries are signed with."""

    __tablename__ = "webhook_endpoints"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[str]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    grants_candidates_read: Mapped[bool] = mapped_column(Boolean, default=False)
    secret: Mapped[str] = mapped_column(Text)  # sealed
    # The secret before the last rotation keeps signing (beside the new one) until it expires.
    previous_secret: Mapped[str | None] = mapped_column(Text, default=None)  # sealed
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    # Failure bookkeeping for automatic disabling: reset by any successful delivery.
    failing_since: Mapped[datetime | None] = mapped_column(default=None)
    exhausted_in_a_row: Mapped[int] = mapped_column(Integer, default=0)
    disabled_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class WebhookDelivery(IdMixin, TimestampMixin, TenantScoped, Base):
    """One event for one endpoint: pending until a 2xx answer, failed after its last attempt."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    endpoint_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True
    )
    # No foreign key: outbox rows are purged after their retention, the delivery log stays.
    event_id: Mapped[uuid.UUID] = mapped_column()
    event_type: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    leased_until: Mapped[datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_latency_ms: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class WebhookAttempt(IdMixin, TenantScoped, Base):
    """One HTTP call of a delivery, as the receiver answered it (or why no answer came)."""

    __tablename__ = "webhook_attempts"

    delivery_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True
    )
    attempted_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
    error: Mapped[str | None] = mapped_column(String(500), default=None)
