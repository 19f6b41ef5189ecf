"""Retention rule table. Only this context reads or writes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped


class RetentionRule(IdMixin, TimestampMixin, TenantScoped, Base):
    """Erase candidates whose applications all ended in ``outcome`` after ``months`` without activity."""

    __tablename__ = "retention_rules"
    __table_args__ = (UniqueConstraint("organisation_id", "outcome"),)

    outcome: Mapped[str] = mapped_column(String(12))  # rejected | withdrawn | no_application
    months: Mapped[int] = mapped_column(Integer)
    last_run_at: Mapped[datetime | None] = mapped_column()
