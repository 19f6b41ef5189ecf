"""Events the interviews context publishes: interviews scheduled, moved or cancelled, scorecards in.

An interview event carries ids and times, never the title, place or video link (free text a
receiver reads through the API). The interviewers are staff user ids, which never leave the
process; an interviewer's ratings of a candidate go only to receivers allowed to read candidates.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from rolecall.interviews.schemas import Recommendation
from rolecall.platform.events.base import INTERNAL, PERSONAL, DomainEvent, EventData

SOURCE = "/rolecall/interviews"


class InterviewSnapshot(EventData):
    """The interview as it was right after the event."""

    id: uuid.UUID
    application_id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    status: Literal["scheduled", "cancelled"]
    starts_at: datetime
    ends_at: datetime
    duration_minutes: int
    interviewer_ids: list[uuid.UUID] = Field(json_schema_extra=INTERNAL)
    sequence: int = Field(description="The iCalendar SEQUENCE: raised with every change the invite shows.")
    version: int


class InterviewEvent(DomainEvent):
    """Something happened to one interview."""

    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "interviews/{interview.id}"

    interview: InterviewSnapshot
    changed_fields: list[str] = Field(description="Names of the fields changed, sorted; never values.")


class InterviewScheduled(InterviewEvent):
    """An interview with a candidate was scheduled (the interviewers get an invite)."""

    event_type: ClassVar[str] = "interview.scheduled"


class InterviewRescheduled(InterviewEvent):
    """An interview's time, length, interviewers or details changed (``changed_fields`` says which)."""

    event_type: ClassVar[str] = "interview.rescheduled"


class InterviewCancelled(InterviewEvent):
    """An interview was cancelled, by a person or because its application ended."""

    event_type: ClassVar[str] = "interview.cancelled"


class ScorecardSubmitted(DomainEvent):
    """An interviewer submitted their scorecard: a rating per skill and a recommendation.

    The notes stay out; the interviewer is a staff user id and stays in the process.
    """

    event_type: ClassVar[str] = "scorecard.submitted"
    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "scorecards/{scorecard_id}"

    scorecard_id: uuid.UUID
    interview_id: uuid.UUID
    application_id: uuid.UUID
    job_id: uuid.UUID
    interviewer_id: uuid.UUID = Field(json_schema_extra=INTERNAL)
    recommendation: Recommendation = Field(json_schema_extra=PERSONAL)
    ratings: dict[str, int] = Field(
        json_schema_extra=PERSONAL,
        description="Rating (1-4) per skill id of the job's role profile; skills not assessed are absent.",
    )
    not_assessed: list[str] = Field(
        default_factory=list,
        json_schema_extra=PERSONAL,
        description="Skill ids the interviewer marked as not assessed in this interview.",
    )
    submitted_at: datetime
