"""Every ORM model, imported once so Alembic and the drift test see the whole schema."""

from rolecall.audit.models import AuditEntry
from rolecall.identity.models import (
    ApiClient,
    AuthSession,
    LoginThrottle,
    Organisation,
    RefreshToken,
    RevokedAccessToken,
    SigningKey,
    User,
)
from rolecall.platform.db import Base
from rolecall.platform.events.models import OutboxEvent, ProcessedEvent
from rolecall.platform.idempotency import IdempotencyRecord

__all__ = [
    "ApiClient",
    "AuditEntry",
    "AuthSession",
    "Base",
    "IdempotencyRecord",
    "LoginThrottle",
    "Organisation",
    "OutboxEvent",
    "ProcessedEvent",
    "RefreshToken",
    "RevokedAccessToken",
    "SigningKey",
    "User",
]
