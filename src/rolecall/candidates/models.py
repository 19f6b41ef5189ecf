"""Candidate tables. Only this context reads or writes them.

A candidate is a person, whatever jobs they apply to. Every personal field is stored as a
:class:`rolecall.platform.pii.KeyRing` token sealed for ``candidate:<id>:<field>``, so a token moved to
another row or column does not open. Email and phone are found again through keyed blind indexes of
their normalised forms, unique per organisation (a NULL index never collides): that uniqueness is
what makes deduplication hold under concurrent writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped

# Fields held encrypted, in the order they are shown; ``links`` is a JSON list sealed as one token.
ENCRYPTED_FIELDS = ("full_name", "email", "phone", "links", "location")


class Candidate(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "candidates"
    __table_args__ = (
        UniqueConstraint("organisation_id", "email_index"),
        UniqueConstraint("organisation_id", "phone_index"),
    )

    full_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)
    links: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    email_index: Mapped[str | None] = mapped_column(String(32))
    phone_index: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(20))
    source_details: Mapped[dict[str, Any]] = mapped_column(JSON)
    tags: Mapped[list[str]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}
