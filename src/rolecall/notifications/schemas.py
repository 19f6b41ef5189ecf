"""Request and response bodies of the notifications API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from rolecall.notifications.rendering import LANGUAGES, MAX_SOURCE_CHARS
from rolecall.platform.strict import Numeric

Language = Annotated[str, StringConstraints(pattern="^(" + "|".join(LANGUAGES) + ")$")]


class SettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language | None = None
    rejection_delay_hours: Annotated[int | None, Numeric] = Field(default=None, ge=0, le=24 * 14)


class SettingsOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    language: str
    rejection_delay_hours: int
    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES))


class TemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    language: Language | None = None
    subject: str = Field(min_length=1, max_length=500)
    text: str = Field(min_length=1, max_length=MAX_SOURCE_CHARS)
    html: str | None = Field(default=None, max_length=MAX_SOURCE_CHARS)


class TemplateOut(BaseModel):
    name: str
    language: str
    overridden: bool
    subject: str
    text: str
    html: str | None
    variables: list[str]


class TemplateSummary(BaseModel):
    name: str
    variables: list[str]


class PreviewOut(BaseModel):
    subject: str
    text: str
    html: str


class MessageOut(BaseModel):
    """A message's metadata: never the address or the body (those are personal data)."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    template: str
    recipient_kind: str
    candidate_id: uuid.UUID | None
    user_id: uuid.UUID | None
    application_id: uuid.UUID | None
    status: str
    send_after: datetime
    attempts: int
    last_error: str | None
    sent_at: datetime | None
    created_at: datetime


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    application_digest: StrictBool = Field(description="The daily digest of new applications on my jobs")


class PreferencesOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    application_digest: StrictBool
