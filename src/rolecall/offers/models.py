"""Offer and hire-saga tables. Only this context reads or writes them.

An offer's terms live in immutable :class:`OfferVersion` rows; approvals are recorded against one
version, so a changed offer needs approving again. A :class:`HireSaga` row is the saga's log: which
steps ran, which compensations ran, and why it failed, so a restarted worker knows where it stands.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.clock import utcnow
from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped

# An offer in play or accepted blocks another for the same application; the index makes that hold
# when two recruiters draft at the same moment.
_LIVE = "status IN ('pending_approval', 'changes_requested', 'approved', 'sent', 'accepted')"


class Offer(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "offers"
    __table_args__ = (
        Index(
            "uq_offers_application_live",
            "application_id",
            unique=True,
            postgresql_where=text(_LIVE),
            sqlite_where=text(_LIVE),
        ),
        sync_index("offers"),
    )

    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(20), index=True)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    approval_chain: Mapped[list[str]] = mapped_column(JSON)  # staff roles, in order
    expires_at: Mapped[datetime | None] = mapped_column()
    sent_at: Mapped[datetime | None] = mapped_column()
    responded_at: Mapped[datetime | None] = mapped_column()
    # Why the candidate said no, as staff recorded it: free text about a person, so sealed with the
    # PII key ring for ``offers:<id>:decline_reason``.
    decline_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class OfferVersion(IdMixin, TenantScoped, Base):
    __tablename__ = "offer_versions"
    __table_args__ = (UniqueConstraint("offer_id", "number"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    salary: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    period: Mapped[str] = mapped_column(String(10))
    override_reason: Mapped[str | None] = mapped_column(String(500))
    start_date: Mapped[date] = mapped_column()
    terms: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfferApproval(IdMixin, TenantScoped, Base):
    __tablename__ = "offer_approvals"
    __table_args__ = (UniqueConstraint("offer_id", "offer_version", "step"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    offer_version: Mapped[int] = mapped_column(Integer)
    step: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(20))
    approver: Mapped[str] = mapped_column(String(80))
    decision: Mapped[str] = mapped_column(String(10))  # approved | rejected
    note: Mapped[str | None] = mapped_column(Text)  # sealed for ``offer_approvals:<id>:note``
    at: Mapped[datetime] = mapped_column(default=utcnow)


class HireSaga(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "hire_sagas"
    __table_args__ = (UniqueConstraint("offer_id"),)

    offer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"))
    application_id: Mapped[uuid.UUID] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(20), index=True)  # running | completed | compensated
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{step, outcome, at}]
    failure_reason: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.offers import access as _access  # noqa: E402, F401
