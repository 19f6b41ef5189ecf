"""Every ORM model, imported once so Alembic and the drift test see the whole schema."""

from rolecall.audit.models import AuditEntry
from rolecall.board.models import BoardPosting, BoardSearchDocument, BoardSearchFacet
from rolecall.candidates.models import Candidate
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
from rolecall.jobs.models import Job, JobSettings
from rolecall.platform.db import Base
from rolecall.platform.events.models import OutboxEvent, ProcessedEvent
from rolecall.platform.idempotency import IdempotencyRecord
from rolecall.roles.models import RoleProfileRecord, RoleProfileVersion

__all__ = [
    "ApiClient",
    "AuditEntry",
    "AuthSession",
    "Base",
    "BoardPosting",
    "BoardSearchDocument",
    "BoardSearchFacet",
    "Candidate",
    "IdempotencyRecord",
    "Job",
    "JobSettings",
    "LoginThrottle",
    "Organisation",
    "OutboxEvent",
    "ProcessedEvent",
    "RefreshToken",
    "RevokedAccessToken",
    "RoleProfileRecord",
    "RoleProfileVersion",
    "SigningKey",
    "User",
]
