"""The identity context in key rotation: TOTP secrets are sealed with the PII key ring.

Identity holds no candidate's personal data, so export and erasure have nothing to do here;
``rolecall rotate-keys`` re-seals the authenticator secrets under the active key.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.identity.mfa_models import UserTotp
from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns

SEALED_COLUMNS = (SealedColumn(UserTotp, "secret", "user_totp"),)


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)
