"""Request and response bodies of the interview and scorecard routes.

Shapes and ranges are checked here; rules that need other rows (the application is still active,
interviewers are active staff of this organisation, the time is still in the future) are checked by
the service, so they are judged against the same clock and data as the write.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints, field_validator

from rolecall.platform.strict import Numeric

Recommendation = Literal["strong_no", "no", "yes", "strong_yes"]
RECOMMENDATIONS: tuple[Recommendation, ...] = ("strong_no", "no", "yes", "strong_yes")
InterviewStatus = Literal["scheduled", "cancelled"]
ScorecardStatus = Literal["draft", "submitted"]

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Place = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
# Validated again by the iCalendar writer; checked here so a bad link is a 422, not a broken invite.
VideoUrl = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://[^\s/]+\S*$")
]
Duration = Annotated[int, Field(ge=15, le=480), Numeric]
Interviewers = Annotated[list[uuid.UUID], Field(min_length=1, max_length=10)]
Rating = Annotated[int, Field(ge=1, le=4)]
# An interviewer who did not cover a skill says so, rather than inventing a rating for it.
NotAssessed = Literal["not_assessed"]
Notes = Annotated[str, StringConstraints(max_length=10_000)]


def _distinct(value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
    if value is not None and len(set(value)) != len(value):
        raise ValueError("each interviewer may be listed once")
    return value


class InterviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title
    starts_at: AwareDatetime
    duration_minutes: Duration
    interviewer_ids: Interviewers
    location: Place | None = None
    video_url: VideoUrl | None = None

    _interviewers = field_validator("interviewer_ids")(_distinct)


class InterviewUpdate(BaseModel):
    """A reschedule: fields left out stay; ``location`` and ``video_url`` may be cleared with null."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    starts_at: AwareDatetime | None = None
    duration_minutes: Duration | None = None
    interviewer_ids: Interviewers | None = None
    location: Place | None = None
    video_url: VideoUrl | None = None

    _interviewers = field_validator("interviewer_ids")(_distinct)

    @field_validator("title", "starts_at", "duration_minutes", "interviewer_ids")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Defaults are not validated, so this only sees a null the client sent explicitly.
        if value is None:
            raise ValueError("must not be null; leave the field out to keep its value")
        return value


class InterviewOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    application_id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    title: str
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    interviewer_ids: list[uuid.UUID]
    location: str | None
    video_url: str | None
    status: InterviewStatus
    sequence: int
    version: int
    created_at: datetime
    updated_at: datetime


class InterviewListItem(InterviewOut):
    """An interview in a list, with what a screen shows beside the ids (fetched once per page)."""

    candidate_name: str | None = Field(
        default=None, description="Only for callers holding candidates:read (the read is audited)"
    )
    job_title: str | None = None


class Attribute(BaseModel):
    """One skill of the pinned role profile at the job's level, and this interviewer's rating of it.

    ``rating`` is null until rated; ``not_assessed`` is true when the interviewer marked the skill
    as not covered by the interview (its ``rating`` is then null). Aggregates leave such skills out.
    """

    skill: str
    name: str
    rating: Rating | None
    not_assessed: bool = False


class ScorecardUpdate(BaseModel):
    """A partial update of one's draft: ``ratings`` maps skill ids to 1-4, to ``"not_assessed"`` for a
    skill the interview did not cover, or to null (clears a rating or the mark). Skills left out keep
    their value."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"ratings": {"python": 3, "sql": "not_assessed"}, "recommendation": "yes", "notes": "…"}
            ]
        },
    )

    ratings: dict[str, Rating | NotAssessed | None] | None = Field(default=None, max_length=100)
    recommendation: Recommendation | None = None
    notes: Notes | None = None


class ScorecardOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    interview_id: uuid.UUID
    application_id: uuid.UUID
    interviewer_id: uuid.UUID
    attributes: list[Attribute]
    recommendation: Recommendation | None
    notes: str | None
    status: ScorecardStatus
    submitted_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ScorecardList(BaseModel):
    items: list[ScorecardOut]


class SkillSummary(BaseModel):
    skill: str
    name: str
    average_rating: float | None = Field(
        description="Mean of the ratings given; not-assessed marks are left out"
    )
    ratings: int = Field(description="How many submitted scorecards rated this skill")
    not_assessed: int = Field(default=0, description="How many submitted scorecards marked it not assessed")


class ScorecardSummary(BaseModel):
    """Submitted scorecards of one application, aggregated; drafts never count."""

    application_id: uuid.UUID
    scorecards: int
    skills: list[SkillSummary]
    recommendations: dict[Recommendation, int]
