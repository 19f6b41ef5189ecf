"""Job tables. Only this context reads or writes them.

A job stores the role-profile *reference* (id + version number), never a copy of the profile: the
version is immutable, so the pin is enough to render the same description forever. Structured
parts that are always read and written whole (locations, hiring team, application form, stages)
are JSON columns validated by the schemas on the way in.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.sync import sync_index
from rolecall.platform.tenancy import TenantScoped


class Job(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "jobs"
    __table_args__ = (sync_index("jobs"),)

    role_profile_id: Mapped[uuid.UUID] = mapped_column(index=True)
    profile_version: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    department: Mapped[str] = mapped_column(String(120))
    employment_type: Mapped[str] = mapped_column(String(20))
    work_arrangement: Mapped[str] = mapped_column(String(10))
    locations: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    remote_countries: Mapped[list[str]] = mapped_column(JSON)
    remote_time_zones: Mapped[list[str]] = mapped_column(JSON)
    openings: Mapped[int] = mapped_column(Integer)
    # Openings taken by accepted offers (the hire saga); the job closes as filled when it reaches
    # ``openings``. Kept apart from ``openings`` so the job still says how many people it was for.
    hires: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    salary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    show_salary: Mapped[bool | None] = mapped_column(Boolean)  # None: follow the organisation setting
    hiring_team: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    application_form: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    stages: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    valid_through: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default="draft", index=True)
    close_reason: Mapped[str | None] = mapped_column(String(20))
    close_note: Mapped[str | None] = mapped_column(String(500))
    first_opened_at: Mapped[datetime | None] = mapped_column()
    opened_at: Mapped[datetime | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class JobSettings(IdMixin, TimestampMixin, TenantScoped, Base):
    """Organisation-wide facts and choices every job description and posting uses."""

    __tablename__ = "job_settings"
    __table_args__ = (UniqueConstraint("organisation_id"), UniqueConstraint("board_slug"))

    board_slug: Mapped[str] = mapped_column(String(60))
    listed: Mapped[bool] = mapped_column(Boolean, default=True)
    show_salary: Mapped[bool] = mapped_column(Boolean, default=True)
    about: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(500))
    logo_url: Mapped[str | None] = mapped_column(String(500))
    # Careers-site branding: "#RRGGBB" and a short introduction shown above the openings.
    accent_colour: Mapped[str | None] = mapped_column(String(7), default=None)
    careers_intro: Mapped[str | None] = mapped_column(Text, default=None)
    benefits: Mapped[list[str]] = mapped_column(JSON)
    equal_opportunity: Mapped[str | None] = mapped_column(Text)
    template_overrides: Mapped[dict[str, str]] = mapped_column(JSON)
    # The organisation's default stages, copied into each new job that does not bring its own.
    stage_template: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


# Need-to-know access criteria for these tables, declared beside them (last: they use the classes).
from rolecall.jobs import access as _access  # noqa: E402, F401
