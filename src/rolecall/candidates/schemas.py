"""Request and response bodies of the candidate routes.

Emails are validated like staff emails (:class:`pydantic.EmailStr`); phones are parsed with
``phonenumbers`` and stored in E.164 (see :mod:`rolecall.candidates.phones`), so one number written
two ways is one value and one blind index. ``source_details`` holds campaign facts such as UTM
parameters; free text there can name a person, so it is sealed like the other personal fields. Tags
stay in clear for filtering and are restricted to a safe alphabet instead (:mod:`.tags`, ADR 0017).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from rolecall.candidates import tags as tag_rule
from rolecall.candidates.phones import to_e164

Source = Literal["careers_board", "referral", "sourced", "agency", "other"]
# How pages name each source (the board's cards, the candidate page, the analytics).
SOURCE_LABELS: dict[str, str] = {
    "careers_board": "Careers board",
    "referral": "Referral",
    "sourced": "Sourced",
    "agency": "Agency",
    "other": "Other",
}
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Link = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://\S+$")]
Location = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Tag = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(tag_rule.check),
]
DetailKey = Annotated[str, StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_.-]+$")]
DetailValue = Annotated[str, StringConstraints(max_length=500)]


def _check_phone(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return to_e164(value)
    except ValueError as exc:
        raise ValueError(f"not a usable phone number: {exc}") from None


def _unique_tags(value: list[str] | None) -> list[str] | None:
    return None if value is None else list(dict.fromkeys(value))


class CandidateCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "full_name": "Grace Hopper",
                    "email": "grace@example.com",
                    "phone": "+1 202 555 0143",
                    "source": "referral",
                    "tags": ["backend"],
                }
            ]
        },
    )

    full_name: Name
    email: EmailStr | None = None
    phone: Phone | None = None
    links: list[Link] = Field(default_factory=list, max_length=20)
    location: Location | None = None
    source: Source = "other"
    source_details: dict[DetailKey, DetailValue] = Field(default_factory=dict, max_length=20)
    tags: list[Tag] = Field(default_factory=list, max_length=tag_rule.MAX_TAGS, description=tag_rule.RULE)

    _phone = field_validator("phone")(_check_phone)
    _tags = field_validator("tags")(_unique_tags)

    @model_validator(mode="after")
    def _reachable(self) -> CandidateCreate:
        if self.email is None and self.phone is None:
            raise ValueError("give at least one of email and phone")
        return self


class CandidateUpdate(BaseModel):
    """A partial update: fields left out stay as they are; email, phone and location may be cleared."""

    model_config = ConfigDict(extra="forbid")

    full_name: Name | None = None
    email: EmailStr | None = None
    phone: Phone | None = None
    links: list[Link] | None = Field(default=None, max_length=20)
    location: Location | None = None
    source: Source | None = None
    source_details: dict[DetailKey, DetailValue] | None = Field(default=None, max_length=20)
    tags: list[Tag] | None = Field(default=None, max_length=tag_rule.MAX_TAGS, description=tag_rule.RULE)

    _phone = field_validator("phone")(_check_phone)
    _tags = field_validator("tags")(_unique_tags)

    @field_validator("full_name", "links", "source", "source_details", "tags")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only sees a null the client sent explicitly.
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class CandidateOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    email: str | None
    phone: str | None
    links: list[str]
    location: str | None
    source: Source
    source_details: dict[str, str]
    tags: list[str]
    version: int
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = None
    previously_erased: bool = Field(
        default=False, description="Someone with this email address was erased before"
    )


class CandidateSummary(BaseModel):
    """One line of the candidate list."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    full_name: str
    email: str | None
    source: Source
    tags: list[str]
    created_at: datetime
    updated_at: datetime


class CandidateMerge(BaseModel):
    """The candidate to fold into the one named in the path; it is deleted by the merge."""

    model_config = ConfigDict(extra="forbid")

    duplicate_id: uuid.UUID


FileKind = Literal["resume", "cover_letter", "other"]


class FileOut(BaseModel):
    """A stored file's metadata; ``media_type`` is what the content turned out to be."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    candidate_id: uuid.UUID
    kind: FileKind
    media_type: str
    size: int
    skills: list[str] = Field(description="Taxonomy skill ids found in the text")
    created_at: datetime


class FileDetailOut(FileOut):
    text: str | None = Field(description="The text extracted from the file")


NoteBody = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: NoteBody


class NoteOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    candidate_id: uuid.UUID
    author: str = Field(description="Who wrote it, e.g. user:<uuid>")
    body: str
    created_at: datetime


PoolName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
PoolDescription = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)]


class PoolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PoolName
    description: PoolDescription | None = None


class PoolUpdate(BaseModel):
    """A partial update; ``description`` may be cleared with null, ``name`` may not."""

    model_config = ConfigDict(extra="forbid")

    name: PoolName | None = None
    description: PoolDescription | None = None

    @field_validator("name")
    @classmethod
    def _name_not_null(cls, value: str | None) -> str:
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class PoolOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    description: str | None
    version: int
    created_at: datetime
    updated_at: datetime
