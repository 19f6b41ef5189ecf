"""Interview and scorecard tables. Only this context reads or writes them.

Scorecard notes are personal data (opinions about a person) and are sealed with the KeyRing for
``scorecard:<id>:notes``; ratings and recommendations are kept in clear for reporting.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped


class Interview(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "interviews"
    __table_args__ = (sync_index("interviews"),)

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(index=True)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    interviewer_ids: Mapped[list[str]] = mapped_column(JSON)
    location: Mapped[str | None] = mapped_column(String(300))
    video_url: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(12), default="scheduled")  # scheduled | cancelled
    sequence: Mapped[int] = mapped_column(Integer, default=0)  # iCalendar SEQUENCE
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class Scorecard(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer_id"),)

    interview_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interviews.id", ondelete="CASCADE"), index=True
    )
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    interviewer_id: Mapped[uuid.UUID] = mapped_column()
    attributes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    recommendation: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="draft")  # draft | submitted
    submitted_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.interviews import access as _access  # noqa: E402, F401
