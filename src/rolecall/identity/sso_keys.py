"""The identity context in key rotation: every column it seals with the PII key ring.

Those are the TOTP secrets (``mfa_keys``) and the single sign-on client secrets; ``rolecall
rotate-keys`` re-seals both under the active key.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity import mfa_keys
from rolecall.identity.sso_models import SsoConnection
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns

SEALED_COLUMNS = (*mfa_keys.SEALED_COLUMNS, SealedColumn(SsoConnection, "client_secret", "sso_connection"))


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)
