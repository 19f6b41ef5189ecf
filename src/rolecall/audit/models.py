"""The audit table. Rows are never updated or deleted: database triggers refuse both."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, IdMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped


class AuditEntry(IdMixin, TenantScoped, Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_target", "target_type", "target_id"),
        sync_index("audit_log", "occurred_at"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[uuid.UUID | None] = mapped_column(default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # Names of changed fields and other non-identifying facts; never values of personal data or secrets.
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
