"""Request and response bodies of the pipeline routes (staff side)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints, field_validator

from rolecall.platform.strict import Numeric

ApplicationStatus = Literal["active", "rejected", "withdrawn", "hired"]
Source = Literal["careers_board", "referral", "sourced", "agency", "other"]
StageName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
ReasonKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]

DEFAULT_REJECT_REASONS: list[dict[str, str]] = [
    {"key": "skills_gap", "label": "Skills do not match the role"},
    {"key": "experience_level", "label": "Experience level does not fit"},
    {"key": "compensation", "label": "Compensation expectations too far apart"},
    {"key": "location", "label": "Location or work authorisation"},
    {"key": "position_filled", "label": "Position filled"},
    {"key": "culture_add", "label": "Team or ways-of-working fit"},
    {"key": "no_response", "label": "Candidate stopped responding"},
    {"key": "other", "label": "Other"},
]
DEFAULT_CONSENT_VERSION = "rolecall-default-1"
DEFAULT_CONSENT_TEXT = (
    "We process the personal data in this application (contact details, resume and answers) to "
    "assess it for this job and to contact you about it. It is kept while the process runs and, "
    "unless you withdraw, for the period our retention policy states afterwards; you can ask for a "
    "copy or for its erasure at any time."
)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ApplicationCreate(_Body):
    """A recruiter adds an existing candidate to a job (sourced, referred or entered by hand)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "candidate_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
                    "job_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                    "source": "referral",
                }
            ]
        }
    )

    candidate_id: uuid.UUID
    job_id: uuid.UUID
    source: Source | None = None  # default: the candidate's own source


class MoveApplication(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"stage": "Technical interview"}]})

    stage: StageName


class RejectApplication(_Body):
    reason: ReasonKey


class BulkMove(_Body):
    action: Literal["move"]
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    stage: StageName


class BulkReject(_Body):
    action: Literal["reject"]
    application_ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    reason: ReasonKey


BulkAction = Annotated[BulkMove | BulkReject, Field(discriminator="action")]


class BulkResultItem(BaseModel):
    application_id: uuid.UUID
    outcome: Literal["done", "failed"]
    status: int
    detail: str | None = None
    stage: str | None = None


class BulkResult(BaseModel):
    bulk_id: uuid.UUID
    done: int
    failed: int
    items: list[BulkResultItem]


class ApplicationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str
    stage_type: str
    status: ApplicationStatus
    reject_reason: str | None
    source: str
    resume_file_id: uuid.UUID | None
    match_score: int | None
    match: dict[str, Any] | None
    consent: dict[str, Any] | None
    stage_entered_at: datetime
    last_activity_at: datetime
    hired_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ApplicationListItem(ApplicationOut):
    """An application in a list, with what a screen shows beside the ids (fetched once per page)."""

    candidate_name: str | None = Field(
        default=None, description="Only for callers holding candidates:read (the read is audited)"
    )
    job_title: str | None = None


class ApplicationDetail(ApplicationOut):
    """One application with its decrypted answers and campaign details (personal data: the read is
    audited). Lists leave both out, so showing a list decrypts nothing."""

    answers: dict[str, Any]
    source_details: dict[str, str] = Field(
        description="Campaign details given when applying (utm_* values, referrer); sealed at rest"
    )


class TransitionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    action: str
    from_stage: str | None
    from_type: str | None
    to_stage: str
    to_type: str
    status: str
    reason: str | None
    actor: str
    bulk_id: uuid.UUID | None
    at: datetime
    seconds_in_stage: float | None = None


class AllowedAction(BaseModel):
    action: Literal["move", "reject", "withdraw", "unreject", "make_offer", "schedule_interview"]
    stages: list[str] | None = None
    reasons: list[dict[str, str]] | None = None
    href: str
    method: Literal["POST"] = "POST"


class AllowedActions(BaseModel):
    application_id: uuid.UUID
    status: ApplicationStatus
    stage: str
    actions: list[AllowedAction]


class RejectReason(_Body):
    key: ReasonKey
    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PipelineSettingsUpdate(_Body):
    reject_reasons: list[RejectReason] | None = Field(default=None, min_length=1, max_length=50)
    consent_text: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=20, max_length=10_000)] | None
    ) = None
    consent_version: (
        Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9._-]{1,40}$")] | None
    ) = None

    @field_validator("reject_reasons")
    @classmethod
    def _unique(cls, value: list[RejectReason] | None) -> list[RejectReason] | None:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep the list")
        keys = [reason.key for reason in value]
        if len(set(keys)) != len(keys):
            raise ValueError("reason keys must be unique")
        return value


class PipelineSettingsOut(BaseModel):
    reject_reasons: list[RejectReason]
    consent_text: str
    consent_version: str
    version: int


# --- the public side: applying from the careers board and the no-account status page ----------

PublicName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
UtmKey = Literal["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "referrer"]


class Consent(_Body):
    given: bool
    text_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class PublicApplication(_Body):
    """The ``application`` part of the multipart apply request, as JSON."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Ada Lovelace",
                    "email": "ada@example.com",
                    "phone": "+44 20 7946 0958",
                    "links": ["https://example.com/ada"],
                    "location": "London",
                    "years_experience": 6,
                    "answers": {"notice_period": "One month"},
                    "consent": {"given": True, "text_version": "1"},
                    "tracking": {"utm_source": "newsletter"},
                }
            ]
        }
    )

    full_name: PublicName
    email: EmailStr
    phone: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)] | None = None
    links: list[
        Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://\S+$")]
    ] = Field(default_factory=list, max_length=20)
    location: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None
    ) = None
    years_experience: Annotated[float | None, Numeric] = Field(default=None, ge=0, le=70)
    answers: dict[str, Any] = Field(default_factory=dict, max_length=100)
    consent: Consent
    tracking: dict[UtmKey, Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=dict)


class ApplyResult(BaseModel):
    """The same for every submission: the status link goes by e-mail, never in the answer."""

    status: Literal["received"]
    message: str


class ApplicationForm(BaseModel):
    posting_id: uuid.UUID
    questions: list[dict[str, Any]]
    consent_text: str
    consent_version: str
    resume: dict[str, Any]
    apply_url: str


class StatusStage(BaseModel):
    name: str
    type: str
    current: bool


class ApplicationStatusOut(BaseModel):
    """What the candidate sees behind their status link: progress only, no staff notes or scores."""

    application_id: uuid.UUID
    job_title: str
    status: ApplicationStatus
    stage: str
    stages: list[StatusStage]
    applied_at: datetime
    last_update_at: datetime
    can_withdraw: bool
