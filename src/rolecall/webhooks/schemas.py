"""Request and response bodies of the webhook and event-feed routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from rolecall.platform.strict import Numeric

Url = Annotated[str, Field(min_length=8, max_length=2000, description="https URL that receives the POSTs")]
EventTypes = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=120)]],
    Field(min_length=1, max_length=100, description="Event types, wildcards such as application.*, or *"),
]
Description = Annotated[str, Field(max_length=500)]


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: Url
    event_types: EventTypes
    description: Description = ""
    enabled: bool = True
    grants_candidates_read: bool = Field(
        default=False,
        description="Include candidates' personal data in payloads (needs candidates:read to grant)",
    )


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    description: Description | None = None
    url: Url | None = None
    event_types: EventTypes | None = None
    enabled: bool | None = None
    grants_candidates_read: bool | None = None


class EndpointOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    url: str
    description: str
    event_types: list[str]
    enabled: bool
    grants_candidates_read: bool
    previous_secret_expires_at: datetime | None = Field(
        description="While set and in the future, deliveries are also signed with the previous secret"
    )
    failing_since: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EndpointWithSecret(EndpointOut):
    secret: str = Field(description="whsec_… signing secret; shown only in this response")


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    overlap_seconds: Annotated[int, Numeric] = Field(
        default=86_400, ge=0, le=7 * 86_400, description="How long the previous secret keeps signing"
    )


class DeliveryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    endpoint_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    status: str = Field(description="pending | succeeded | failed")
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime


class AttemptOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    response_excerpt: str | None = Field(description="The first 1 KB of the receiver's answer")
    error: str | None


class DeliveryDetailOut(DeliveryOut):
    attempt_log: list[AttemptOut]


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    since: AwareDatetime
    until: AwareDatetime


class ReplayOut(BaseModel):
    events: int = Field(description="Retained events in the range matching the endpoint's types")
    created: int = Field(description="Deliveries created for events the endpoint never got")
    requeued: int = Field(description="Existing deliveries given a fresh round of attempts")


class EventPage(BaseModel):
    items: list[dict[str, Any]] = Field(description="CloudEvents 1.0 (structured mode), data redacted")
    next_cursor: str | None = Field(description="Pass as after= to continue; the last id returned")


class EventTypeOut(BaseModel):
    type: str
    schema_version: int
    description: str
    public: bool
    source: str
    schema_: dict[str, Any] = Field(alias="schema")

    model_config = ConfigDict(populate_by_name=True)
