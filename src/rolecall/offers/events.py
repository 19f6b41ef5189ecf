"""Events the offers context publishes: an offer's way through approval to the candidate's answer,
and the hire that follows an accepted offer.

Every offer event names the offer, its application, job and candidate, its status and the version
of its terms; never the terms themselves (pay is read through the API), a decline reason or an
approver's note. ``hire.completed`` tells the hiring team which other applications of the job are
still open; ``hire.progressed`` only drives the hire saga inside the process.
"""

from __future__ import annotations

import uuid
from typing import ClassVar, Literal

from pydantic import Field

from rolecall.offers.schemas import OfferStatus
from rolecall.platform.events.base import INTERNAL, DomainEvent

SOURCE = "/rolecall/offers"


class OfferEvent(DomainEvent):
    """Something happened to one offer (the offer as it is right after)."""

    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "offers/{offer_id}"

    offer_id: uuid.UUID
    application_id: uuid.UUID
    job_id: uuid.UUID
    candidate_id: uuid.UUID
    status: OfferStatus
    offer_version: int = Field(description="The version of the offer's terms (raised by a revision).")


class OfferCreated(OfferEvent):
    """An offer was drafted for an application at an offer stage; it waits for approval."""

    event_type: ClassVar[str] = "offer.created"

    overridden: bool = Field(
        json_schema_extra=INTERNAL, description="Whether the pay lies outside the job's range, with a reason."
    )


class OfferRevised(OfferEvent):
    """An offer's terms changed (a new version); approvals start again."""

    event_type: ClassVar[str] = "offer.revised"

    changed_fields: list[str] = Field(description="Names of the terms sent, sorted; never values.")


class OfferDecision(OfferEvent):
    """An approver decided a step of the offer's approval chain."""

    step: int = Field(description="The approval step decided, from 0.")
    role: str = Field(description="The role whose step it was (hiring_manager, admin).")
    decision: Literal["approved", "rejected"]


class OfferStepApproved(OfferDecision):
    """An approval step other than the last was approved: the next step's role is asked to decide."""

    event_type: ClassVar[str] = "offer.step_approved"


class OfferApproved(OfferDecision):
    """The last approval step approved the offer; it can be sent to the candidate."""

    event_type: ClassVar[str] = "offer.approved"


class OfferChangesRequested(OfferDecision):
    """An approver rejected their step: the offer needs revised terms before it goes on."""

    event_type: ClassVar[str] = "offer.changes_requested"


class OfferSent(OfferEvent):
    """The approved offer was sent to the candidate, to answer before it expires."""

    event_type: ClassVar[str] = "offer.sent"


class OfferAccepted(OfferEvent):
    """The candidate accepted the offer; the hire (``saga_id``) starts."""

    event_type: ClassVar[str] = "offer.accepted"

    saga_id: uuid.UUID = Field(description="The hire that follows, as shown at the offer's hire route.")


class OfferDeclined(OfferEvent):
    """The candidate declined the offer."""

    event_type: ClassVar[str] = "offer.declined"

    reason_given: bool = Field(description="Whether they gave a reason (the reason itself is not sent).")


class OfferExpired(OfferEvent):
    """A sent offer was not answered in time."""

    event_type: ClassVar[str] = "offer.expired"


class OfferWithdrawn(OfferEvent):
    """The organisation withdrew an open offer."""

    event_type: ClassVar[str] = "offer.withdrawn"


class HireCompleted(OfferEvent):
    """The hire is done: the application is hired and an opening of the job taken.

    ``remaining_application_ids`` are the job's other active applications, for the hiring team to
    close or keep.
    """

    event_type: ClassVar[str] = "hire.completed"

    saga_id: uuid.UUID
    openings_left: int | None = Field(description="Openings the job still has (0: it closed as filled).")
    remaining_application_ids: list[uuid.UUID]


class HireFailed(OfferEvent):
    """The hire could not finish (e.g. no opening left): its steps were undone and the offer is
    ``approved`` again, for the recruiter to resolve."""

    event_type: ClassVar[str] = "hire.failed"

    saga_id: uuid.UUID
    failed_step: str = Field(description="The saga step that failed: mark_hired, consume_opening, notify.")


class HireProgressed(DomainEvent):
    """A step of the hire saga is done and the next is due (drives the saga; not a public contract)."""

    event_type: ClassVar[str] = "hire.progressed"
    source: ClassVar[str] = SOURCE
    subject_template: ClassVar[str] = "offers/{offer_id}"
    public: ClassVar[bool] = False

    saga_id: uuid.UUID
    offer_id: uuid.UUID
    step: str = Field(description="The step just done.")
