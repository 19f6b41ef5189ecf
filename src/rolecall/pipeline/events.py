"""Events the pipeline publishes: an application was made, moved, scored again or ended.

Every event carries the application as it was right after the change (ids, stage, status, score;
never the applicant's answers), so a receiver can act without reading it back: interviews and
assessments close what an ended application no longer needs, assessments invite a candidate who
entered an assessment stage, integrations mirror the board.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import Field

from rolecall.platform.events.base import DomainEvent, EventData

SOURCE = "/rolecall/pipeline"

StageType = Literal["applied", "screen", "assessment", "interview", "offer", "hired", "rejected"]
ApplicationStatus = Literal["active", "rejected", "withdrawn", "hired"]
ApplicationSource = Literal["careers_board", "referral", "sourced", "agency", "other"]
TransitionAction = Literal["move", "reject", "withdraw", "unreject", "hire", "hire_reverted"]


class ApplicationSnapshot(EventData):
    """The application as it was right after the event: where it stands, never what was answered."""

    id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    stage: str = Field(description="The job's stage the application is in, by its name on the job.")
    stage_type: StageType
    status: ApplicationStatus
    reject_reason: str | None = Field(
        default=None, description="Key of the organisation's reject reason, while rejected."
    )
    source: ApplicationSource
    match_score: int | None = Field(default=None, description="0-100 match against the job, if scored.")
    version: int


class ApplicationEvent(DomainEvent):
    """Something happened to one application (one candidate applying to one job)."""

    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "applications/{application.id}"

    application: ApplicationSnapshot


class ApplicationCreated(ApplicationEvent):
    """A candidate applied on the careers board, or a recruiter added them to a job."""

    event_type: ClassVar[str] = "application.created"


class ApplicationRescored(ApplicationEvent):
    """The application's match score changed (a newer resume was uploaded)."""

    event_type: ClassVar[str] = "application.rescored"


class ApplicationTransitioned(ApplicationEvent):
    """The application changed stage or status; ``application`` shows where it went."""

    action: TransitionAction = Field(description="What moved it: the action a person or the hire took.")
    from_stage: str | None = Field(default=None, description="The stage it left (by name).")
    reason: str | None = Field(default=None, description="The reject reason's key, for a rejection.")


class ApplicationStageChanged(ApplicationTransitioned):
    """The application moved to another stage and is still active (also: un-rejected, hire undone)."""

    event_type: ClassVar[str] = "application.stage_changed"


class ApplicationRejected(ApplicationTransitioned):
    """The organisation rejected the application, giving one of its reject reasons."""

    event_type: ClassVar[str] = "application.rejected"


class ApplicationWithdrawn(ApplicationTransitioned):
    """The candidate withdrew the application (or a recruiter did on their behalf)."""

    event_type: ClassVar[str] = "application.withdrawn"


class ApplicationHired(ApplicationTransitioned):
    """The candidate accepted an offer and the application is hired (a step of the hire saga)."""

    event_type: ClassVar[str] = "application.hired"


#: The transitions that end an application: what it still had going (interviews, tests) stops.
APPLICATION_ENDED: tuple[type[ApplicationTransitioned], ...] = (
    ApplicationRejected,
    ApplicationWithdrawn,
    ApplicationHired,
)
