"""Identity tables. Only this context reads or writes them.

``version`` (what ETags are made of) is also SQLAlchemy's optimistic lock on the editable tables: an
UPDATE applies only if the row still has the version this session read, so two writers holding the
same ETag cannot both win, which a check in Python alone allows under READ COMMITTED. Services bump
the number themselves; a stale write raises ``StaleDataError``, which the platform renders as 412.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped


class Organisation(IdMixin, TimestampMixin, Base):
    __tablename__ = "organisations"

    name: Mapped[str] = mapped_column(String(200))
    # Everyone who signs in with a password must pass a second factor (TOTP); see identity/mfa.py.
    require_mfa: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # see module docstring


class User(IdMixin, TimestampMixin, TenantScoped, Base):
    __tablename__ = "users"
    # An address is unique within one organisation only, so one tenant cannot learn another's staff.
    __table_args__ = (UniqueConstraint("organisation_id", "email"),)

    email: Mapped[str] = mapped_column(String(320), index=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[str]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Organisation-wide: sees every job, like an admin. Off for everyone else, who see only the jobs
    # whose hiring team names them (rolecall.platform.access).
    sees_all_jobs: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # see module docstring


class ApiClient(IdMixin, TimestampMixin, TenantScoped, Base):
    """A machine-to-machine caller; authenticates with client_id + secret and carries scopes."""

    __tablename__ = "api_clients"

    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}  # see module docstring


class AuthSession(IdMixin, TenantScoped, Base):
    """A login: the family of refresh tokens (and access tokens) descending from one password grant."""

    __tablename__ = "auth_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    # Set for logins started on the sign-in page: the keyed hash of the session cookie.
    cookie_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)


class RefreshToken(IdMixin, TenantScoped, Base):
    """One link in a session's rotation chain; only its hash is stored."""

    __tablename__ = "refresh_tokens"

    session_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("auth_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column()
    expires_at: Mapped[datetime] = mapped_column()
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class RevokedAccessToken(Base):
    """Deny-list of access-token ids revoked before they expire; pruned once they would have."""

    __tablename__ = "revoked_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SigningKey(Base):
    """An Ed25519 key pair; the private half is sealed under the operator secret."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    private_key_sealed: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column()
    retired_at: Mapped[datetime | None] = mapped_column(default=None)


class LoginThrottle(Base):
    """Failed-login counter for one account or one client address (keyed by an HMAC, not the value)."""

    __tablename__ = "login_throttles"
    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(80))
    window_start: Mapped[datetime] = mapped_column()
    failures: Mapped[int] = mapped_column(Integer, default=0)
