"""Every ORM model, imported once so Alembic and the drift test see the whole schema."""

from rolecall.assessments.models import (
    AssessmentBlueprint,
    AssessmentBlueprintVersion,
    AssessmentItem,
    AssessmentItemVersion,
    AssessmentJobSettings,
    AssessmentMark,
    AssessmentPartnerKey,
    AssessmentResponse,
    AssessmentSession,
    AssessmentSignal,
    AssessmentVendor,
)
from rolecall.audit.models import AuditEntry
from rolecall.board.models import BoardPosting, BoardSearchDocument, BoardSearchFacet
from rolecall.candidates.models import Candidate, CandidateFile, CandidateNote, TalentPool, TalentPoolMember
from rolecall.compat.models import BoardKey
from rolecall.identity.mfa_models import MfaChallenge, MfaRecoveryCode, UserTotp
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
from rolecall.identity.sso_models import SsoConnection, SsoDomain
from rolecall.interviews.models import Interview, Scorecard
from rolecall.jobs.models import Job, JobSettings
from rolecall.notifications import models as _notifications  # noqa: F401 - the e-mail tables
from rolecall.offers.models import HireSaga, Offer, OfferApproval, OfferVersion
from rolecall.pipeline.models import Application, ApplicationTransition, PipelineSettings
from rolecall.platform.db import Base
from rolecall.platform.events.models import OutboxEvent, ProcessedEvent
from rolecall.platform.idempotency import IdempotencyRecord
from rolecall.privacy.models import RetentionRule
from rolecall.roles.models import RoleProfileRecord, RoleProfileVersion
from rolecall.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

__all__ = [
    "ApiClient",
    "Application",
    "ApplicationTransition",
    "AssessmentBlueprint",
    "AssessmentBlueprintVersion",
    "AssessmentItem",
    "AssessmentItemVersion",
    "AssessmentJobSettings",
    "AssessmentMark",
    "AssessmentPartnerKey",
    "AssessmentResponse",
    "AssessmentSession",
    "AssessmentSignal",
    "AssessmentVendor",
    "AuditEntry",
    "AuthSession",
    "Base",
    "BoardKey",
    "BoardPosting",
    "BoardSearchDocument",
    "BoardSearchFacet",
    "Candidate",
    "CandidateFile",
    "CandidateNote",
    "HireSaga",
    "IdempotencyRecord",
    "Interview",
    "Job",
    "JobSettings",
    "LoginThrottle",
    "MfaChallenge",
    "MfaRecoveryCode",
    "Offer",
    "OfferApproval",
    "OfferVersion",
    "Organisation",
    "OutboxEvent",
    "PipelineSettings",
    "ProcessedEvent",
    "RefreshToken",
    "RetentionRule",
    "RevokedAccessToken",
    "RoleProfileRecord",
    "RoleProfileVersion",
    "Scorecard",
    "SigningKey",
    "SsoConnection",
    "SsoDomain",
    "TalentPool",
    "TalentPoolMember",
    "User",
    "UserTotp",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
]
