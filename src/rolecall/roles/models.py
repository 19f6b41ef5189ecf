"""Role-profile tables. The starter library is packaged data and has no rows here.

An organisation's profile is a head row (``role_profiles``) plus an append-only list of immutable
versions (``role_profile_versions``). Jobs pin ``(profile id, version number)``, so editing a
profile never changes what an existing job says; the head's ``version`` is both the latest version
number and the optimistic lock that turns two concurrent edits into one 412.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped


class RoleProfileRecord(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "role_profiles"
    __table_args__ = (UniqueConstraint("organisation_id", "slug"), sync_index("role_profiles"))

    slug: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(200))
    forked_from: Mapped[str | None] = mapped_column(String(80))  # library profile id, if any
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class RoleProfileVersion(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "role_profile_versions"
    __table_args__ = (UniqueConstraint("profile_id", "number"),)

    profile_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("role_profiles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    author: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
