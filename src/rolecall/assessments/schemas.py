"""Request and response bodies of the assessment routes.

Item documents are passed through as JSON objects and validated by :mod:`rolecall.assessments.items`
(the same rules as the YAML bank), so the API and the bank file can never disagree on the format.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rolecall.platform.strict import Numeric


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ItemVersionOut(BaseModel):
    number: int
    status: str
    type: str
    skill_id: str
    level: str
    difficulty: int
    created_at: datetime
    created_by: str
    content: dict[str, Any]


class ItemOut(BaseModel):
    id: uuid.UUID
    key: str
    skill_id: str
    latest_version: int
    ready_version: int | None
    flagged: bool
    flag_reason: str | None
    created_at: datetime
    updated_at: datetime


class ItemDetail(ItemOut):
    versions: list[ItemVersionOut]


class ItemCreate(_In):
    document: dict[str, Any] = Field(
        description="The item document (same format as one entry of a YAML bank file)",
        examples=[
            {
                "key": "api-put-idempotent",
                "skill": "REST",
                "level": "mid",
                "difficulty": 2,
                "type": "single_choice",
                "prompt": "Which method is idempotent?",
                "options": ["POST", "PUT", "PATCH"],
                "answer": 1,
                "explanation": "Repeating a PUT leaves the same state.",
            }
        ],
    )
    publish: bool = Field(default=False, description="Make this version the one new sessions draw")


class VersionStatus(_In):
    status: Literal["ready", "retired"]


class ImportReportOut(BaseModel):
    created: int
    revised: int
    unchanged: int


class ItemStatisticsOut(BaseModel):
    item_id: uuid.UUID
    versions: list[dict[str, Any]]


class BlueprintSkillIn(_In):
    skill_id: str
    name: str
    weight: float = Field(gt=0, le=100)
    items: int = Field(ge=1, le=20)
    proficiency: int = Field(ge=1, le=5)


class BlueprintOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    title: str
    version: int
    created_at: datetime
    created_by: str
    document: dict[str, Any]


class BlueprintVersionOut(BaseModel):
    number: int
    created_at: datetime
    created_by: str
    document: dict[str, Any]


class InviteIn(_In):
    application_id: uuid.UUID
    extra_time_percent: Annotated[Literal[0, 25, 50, 100], Numeric] = 0
    link_days: Annotated[int | None, Numeric] = Field(default=None, ge=1, le=60)


class AccommodationIn(_In):
    extra_time_percent: Annotated[Literal[0, 25, 50, 100], Numeric]


class SessionOut(BaseModel):
    """A session as recruiters manage it (the accommodation is here, never in results)."""

    id: uuid.UUID
    job_id: uuid.UUID | None
    application_id: uuid.UUID | None
    candidate_id: uuid.UUID | None
    blueprint_id: uuid.UUID
    blueprint_version: int
    status: str
    source: str
    expires_at: datetime
    started_at: datetime | None
    deadline_at: datetime | None
    submitted_at: datetime | None
    time_limit_minutes: int
    extra_time_percent: int
    requested_extra_time_percent: int | None
    items: int
    total: float | None
    pending_marking: int
    created_at: datetime


class InvitationOut(BaseModel):
    session: SessionOut
    link: str | None = Field(description="The candidate's link; shown once (a new one replaces it)")


class ResultOut(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID | None
    application_id: uuid.UUID | None
    candidate_id: uuid.UUID | None
    status: str
    blueprint_id: uuid.UUID
    blueprint_version: int
    submitted_at: datetime | None
    total: float | None
    percentile: float | None
    pending_marking: int
    skills: list[dict[str, Any]]
    items: list[dict[str, Any]]
    signals: list[dict[str, Any]]
    seconds_taken: float | None


class MarkIn(_In):
    awarded: dict[str, int] = Field(description="Points per rubric criterion, by the criterion's text")
    comment: str | None = Field(default=None, max_length=2000)


class MarkingEntry(BaseModel):
    session_id: uuid.UUID
    job_id: uuid.UUID | None
    position: int
    skill_id: str
    prompt: str
    rubric: list[dict[str, Any]]
    model_answer: str | None
    answer: str
    submitted_at: datetime | None


class WeightsIn(_In):
    # strict: JSON true/false are not weights (lax mode read false as 0 and saved it).
    assessment: float = Field(ge=0, le=100, strict=True)
    match: float = Field(ge=0, le=100, strict=True)
    scorecards: float = Field(ge=0, le=100, strict=True)


class RankedEntry(BaseModel):
    rank: int
    application_id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str
    score: float
    evidence: dict[str, float | None]
    lifted: list[str]
    lowered: list[str]
    missing: list[str]


class RankingOut(BaseModel):
    job_id: uuid.UUID
    weights: dict[str, float]
    total: int
    items: list[RankedEntry]
    next_cursor: str | None


# --- the candidate's side ---------------------------------------------------------------------------


class OverviewOut(BaseModel):
    status: str
    items: int
    time_limit_minutes: int
    extra_time_percent: int
    requested_extra_time_percent: int | None
    allowed_seconds: int
    expires_at: datetime
    started_at: datetime | None
    deadline_at: datetime | None
    remaining_seconds: int | None
    submitted_at: datetime | None


class QuestionsOut(BaseModel):
    overview: OverviewOut
    questions: list[dict[str, Any]]


class AnswerIn(_In):
    answer: dict[str, Any] = Field(
        description="single_choice {choice}, multiple_choice {choices}, numeric {value}, ordering {order}, "
        "short_text {text}, sql {query}",
        examples=[{"choice": 2}],
    )


class AnswerSaved(BaseModel):
    position: int
    saved_at: datetime
    remaining_seconds: int | None
    errors: list[str] = Field(
        default=[],
        description="SQL items: why the query would fail (checked on the item's tables without their rows)",
    )


class SignalIn(_In):
    kind: Literal["focus_lost", "paste", "item_time"]
    position: Annotated[int | None, Numeric] = Field(default=None, ge=0, le=1000)
    seconds: Annotated[float | None, Numeric] = Field(default=None, ge=0, le=86400)
    characters: Annotated[int | None, Numeric] = Field(default=None, ge=0, le=1_000_000)


class ExtraTimeRequest(_In):
    percent: Annotated[Literal[0, 25, 50, 100], Numeric]


class CandidateResultOut(BaseModel):
    total: float | None
    skills: list[dict[str, Any]]
