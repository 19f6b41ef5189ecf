"""Tables of OpenID Connect single sign-on: one connection per organisation and its e-mail domains.

They live beside ``models.py`` rather than in it so single sign-on reads as one unit (as the TOTP
tables do in ``mfa_models.py``). Only the identity context reads or writes them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped

JIT = "jit"
INVITE_ONLY = "invite_only"


class SsoConnection(IdMixin, TimestampMixin, TenantScoped, Base):
    """An organisation's identity provider: where staff of its e-mail domains sign in.

    ``client_secret`` is sealed with the key ring under ``sso_connection:<id>:client_secret`` and is
    never returned by the API. ``mode`` is ``jit`` (an unknown person is created with
    ``default_role`` on first sign-in) or ``invite_only`` (the account must exist already).
    ``version`` is the ETag and optimistic lock, as on the other editable identity tables.
    """

    __tablename__ = "sso_connections"
    __table_args__ = (UniqueConstraint("organisation_id"),)  # one connection per organisation

    issuer: Mapped[str] = mapped_column(String(500))
    client_id: Mapped[str] = mapped_column(String(255))
    client_secret: Mapped[str] = mapped_column(Text)  # sealed
    mode: Mapped[str] = mapped_column(String(16))
    default_role: Mapped[str | None] = mapped_column(String(32), default=None)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}


class SsoDomain(IdMixin, TenantScoped, Base):
    """An e-mail domain routed to a connection. A domain is unique across all organisations, so the
    sign-in page can tell from an address alone where to send the person."""

    __tablename__ = "sso_domains"

    connection_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sso_connections.id", ondelete="CASCADE"), index=True
    )
    domain: Mapped[str] = mapped_column(String(253), unique=True)
