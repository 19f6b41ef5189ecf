"""The webhooks context in key rotation: its signing secrets are sealed with the PII key ring.

It holds no candidate's personal data (deliveries carry no payload; see models.py), so export and
erasure have nothing to do here; ``rolecall rotate-keys`` re-seals the secrets under the active key.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.platform.pii import KeyRing
from rolecall.platform.pii_rotation import SealedColumn, rotate_columns
from rolecall.webhooks.models import WebhookEndpoint

SEALED_COLUMNS = (
    SealedColumn(WebhookEndpoint, "secret", "webhook_endpoint"),
    SealedColumn(WebhookEndpoint, "previous_secret", "webhook_endpoint"),
)


async def rotate_keys(
    sessionmaker: async_sessionmaker[AsyncSession], keyring: KeyRing, *, batch_size: int
) -> int:
    return await rotate_columns(sessionmaker, keyring, SEALED_COLUMNS, batch_size=batch_size)
