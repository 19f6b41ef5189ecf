"""Board keys: the per-organisation secret that the Greenhouse- and Lever-shaped apply routes require.

Both public APIs authenticate applications with a key the organisation's own site keeps on its
server (Greenhouse: HTTP Basic with the key as user name; Lever: ``?key=``). Only an argon2id hash
of the secret is stored, as for API-client secrets; the short ``prefix`` finds the row without
trying every hash of the organisation.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from rolecall.platform.db import Base, IdMixin, TimestampMixin
from rolecall.platform.tenancy import TenantScoped


class BoardKey(IdMixin, TimestampMixin, TenantScoped, Base):
    """One board key; rotating replaces its secret, revoking sets ``revoked_at`` for good."""

    __tablename__ = "compat_board_keys"

    label: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(Text)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
