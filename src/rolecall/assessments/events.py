"""Events the assessments context publishes: a candidate's test session from invitation to score.

Each event carries the session as it was right after the change: ids, status and the total score;
never the answers, the questions drawn or the candidate's contact details (a partner's or a
vendor's session keeps those sealed). A session comes from our own test (``rolecall``), a partner
hiring system (``partner``, with no application or candidate of ours) or an external vendor.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import Field

from rolecall.platform.events.base import DomainEvent, EventData

SOURCE = "/rolecall/assessments"

SessionStatus = Literal["invited", "started", "marking", "scored", "cancelled", "expired"]
SessionSource = Literal["rolecall", "partner", "vendor"]


class AssessmentSessionSnapshot(EventData):
    """One attempt at an assessment, as it was right after the event."""

    id: uuid.UUID
    job_id: uuid.UUID | None = None
    application_id: uuid.UUID | None = None
    candidate_id: uuid.UUID | None = None
    blueprint_id: uuid.UUID
    blueprint_version: int
    status: SessionStatus
    source: SessionSource
    total: float | None = Field(default=None, description="The score in percent, once scored.")


class AssessmentEvent(DomainEvent):
    """Something happened to one assessment session."""

    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "assessment-sessions/{session.id}"

    session: AssessmentSessionSnapshot


class AssessmentInvited(AssessmentEvent):
    """A candidate was invited to take an assessment (by a person, on entering an assessment stage,
    by a partner system or through an external vendor)."""

    event_type: ClassVar[str] = "assessment.invited"

    vendor_id: uuid.UUID | None = Field(default=None, description="The external vendor, for a vendor's test.")


class AssessmentStarted(AssessmentEvent):
    """The candidate opened the test and the clock started."""

    event_type: ClassVar[str] = "assessment.started"


class AssessmentSubmitted(AssessmentEvent):
    """The attempt was handed in, by the candidate or automatically when time ran out."""

    event_type: ClassVar[str] = "assessment.submitted"

    auto_submitted: bool = Field(description="Handed in automatically at the deadline.")


class AssessmentScored(AssessmentEvent):
    """The attempt has a score: final, or provisional while some answers wait for a person to mark."""

    event_type: ClassVar[str] = "assessment.scored"

    final: bool = Field(description="No answer waits for marking: ``session.total`` will not change.")
    corrected: bool = Field(default=False, description="A new score replacing an earlier final one.")


class AssessmentCancelled(AssessmentEvent):
    """An open invitation was withdrawn (by a person, or because the application ended)."""

    event_type: ClassVar[str] = "assessment.cancelled"


class AssessmentExpired(AssessmentEvent):
    """The invitation's link expired before the candidate finished."""

    event_type: ClassVar[str] = "assessment.expired"
