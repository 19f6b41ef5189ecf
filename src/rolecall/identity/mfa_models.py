"""Tables of the TOTP second factor: the sealed secret, recovery codes and pending challenges.

They live beside ``models.py`` rather than in it so the second factor reads as one unit. Only the
identity context reads or writes them.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped


class UserTotp(IdMixin, TimestampMixin, TenantScoped, Base):
    """A user's TOTP authenticator: pending until a first code confirms it, then active.

    ``secret`` is the base32 shared secret sealed with the key ring under ``user_totp:<id>:secret``.
    ``last_used_step`` is the 30-second step of the last accepted code, so a code is never
    accepted twice (RFC 6238 section 5.2).
    """

    __tablename__ = "user_totp"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    secret: Mapped[str] = mapped_column(Text)  # sealed
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_used_step: Mapped[int | None] = mapped_column(Integer, default=None)


class MfaRecoveryCode(IdMixin, TenantScoped, Base):
    """One single-use recovery code; only a keyed hash of it is stored."""

    __tablename__ = "mfa_recovery_codes"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class MfaChallenge(IdMixin, TenantScoped, Base):
    """The short-lived, single-use ``mfa_token`` a correct password earns when a second step is due.

    ``purpose`` is ``verify`` (enter a code) or ``enrol`` (set an authenticator up first);
    ``channel`` is ``api`` (the token endpoint) or ``page`` (the sign-in page), and a token only
    completes the sign-in it was issued for. ``scope`` is the scope the password grant asked for.
    """

    __tablename__ = "mfa_challenges"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None] = mapped_column(default=None)
