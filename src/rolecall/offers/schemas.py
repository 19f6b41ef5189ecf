"""Request and response bodies of the offer routes.

Shapes only: rules that need other rows (the application is at an offer stage, the salary lies in
the job's range, the start date is in the future, the caller holds the role of the current approval
step) are the service's.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from rolecall.platform.iso import CurrencyCode
from rolecall.platform.strict import Numeric

Period = Literal["year", "month", "hour"]
ApproverRole = Literal["hiring_manager", "admin"]
OfferStatus = Literal[
    "pending_approval",
    "changes_requested",
    "approved",
    "sent",
    "accepted",
    "declined",
    "expired",
    "withdrawn",
]
Currency = CurrencyCode  # ISO 4217, checked against pycountry's table
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]
Terms = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20_000)]
Salary = Annotated[int, Field(gt=0, le=100_000_000), Numeric]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OfferCreate(_Body):
    salary: Salary
    currency: Currency
    period: Period = "year"
    start_date: date
    terms: Terms | None = None
    override_reason: Reason | None = None
    # Roles that approve, in order; null takes the organisation default (hiring manager, then admin).
    approval_chain: list[ApproverRole] | None = Field(default=None, min_length=1, max_length=5)


class OfferRevision(_Body):
    """A new version of the terms; fields left out keep their value from the current version."""

    salary: Salary | None = None
    currency: Currency | None = None
    period: Period | None = None
    start_date: date | None = None
    terms: Terms | None = None
    override_reason: Reason | None = None


class Decision(_Body):
    note: Note | None = None


class SendOffer(_Body):
    expires_at: datetime | None = None


class DeclineOffer(_Body):
    reason: Reason | None = None


class OfferVersionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    salary: int
    currency: str
    period: Period
    start_date: date
    terms: str | None
    override_reason: str | None
    created_by: str
    created_at: datetime


# The old name, for imports: the published schema is OfferVersionOut (roles has a VersionOut too).
VersionOut = OfferVersionOut


class ApprovalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    offer_version: int
    step: int
    role: str
    approver: str
    decision: Literal["approved", "rejected"]
    note: str | None
    at: datetime


class PendingStep(BaseModel):
    step: int
    role: str


class OfferSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    status: OfferStatus
    current_version: int
    approval_chain: list[str]
    expires_at: datetime | None
    sent_at: datetime | None
    responded_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class OfferOut(OfferSummary):
    terms: VersionOut  # the current version
    pending_step: PendingStep | None
    decline_reason: str | None
    versions: list[VersionOut]
    approvals: list[ApprovalOut]


class SagaStepOut(BaseModel):
    step: str
    kind: Literal["action", "compensation", "restart"]
    outcome: str
    at: datetime
    detail: dict[str, Any] = Field(default_factory=dict)


class HireOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    offer_id: uuid.UUID
    application_id: uuid.UUID
    job_id: uuid.UUID
    state: Literal["running", "completed", "compensated"]
    steps: list[SagaStepOut]
    failure_reason: str | None
    attempts: int
    created_at: datetime
    updated_at: datetime
