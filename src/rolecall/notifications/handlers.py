"""The e-mail context's event subscriptions: each typed event queues its messages (see reactions)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from rolecall.assessments.events import AssessmentInvited
from rolecall.candidates.events import CandidateMerged
from rolecall.interviews.events import (
    InterviewCancelled,
    InterviewEvent,
    InterviewRescheduled,
    InterviewScheduled,
)
from rolecall.notifications import reactions
from rolecall.offers.events import OfferCreated, OfferEvent, OfferRevised, OfferSent, OfferStepApproved
from rolecall.pipeline.events import (
    ApplicationCreated,
    ApplicationHired,
    ApplicationRejected,
    ApplicationStageChanged,
    ApplicationTransitioned,
    ApplicationWithdrawn,
)
from rolecall.platform.events.base import DomainEvent
from rolecall.platform.events.registry import registry
from rolecall.webhooks.events import WebhookEndpointDisabled


def _data(event: DomainEvent) -> dict[str, Any]:
    data: dict[str, Any] = event.model_dump(mode="json")
    return data


@registry.subscribe(ApplicationCreated, name="notifications.application_digest")
async def application_created(session: AsyncSession, event: ApplicationCreated) -> None:
    await reactions.application_created(session, event.organisation_id, event.event_id, _data(event))


@registry.subscribe(ApplicationRejected, name="notifications.rejection")
async def application_rejected(session: AsyncSession, event: ApplicationRejected) -> None:
    await reactions.application_rejected(session, event.organisation_id, event.event_id, _data(event))


async def application_moved_on(session: AsyncSession, event: ApplicationTransitioned) -> None:
    await reactions.application_moved_on(session, event.organisation_id, event.event_id, _data(event))


registry.subscribe(ApplicationStageChanged, name="notifications.cancel_rejection_on_move")(
    application_moved_on
)
registry.subscribe(ApplicationWithdrawn, name="notifications.cancel_rejection_on_withdrawal")(
    application_moved_on
)
registry.subscribe(ApplicationHired, name="notifications.cancel_rejection_on_hire")(application_moved_on)


async def interview_changed(session: AsyncSession, event: InterviewEvent) -> None:
    await reactions.interview_changed(
        session, event.organisation_id, event.event_id, event.event_type, _data(event)
    )


registry.subscribe(InterviewScheduled, name="notifications.interview_invitation")(interview_changed)
registry.subscribe(InterviewRescheduled, name="notifications.interview_update")(interview_changed)
registry.subscribe(InterviewCancelled, name="notifications.interview_cancellation")(interview_changed)


@registry.subscribe(OfferSent, name="notifications.offer_sent")
async def offer_sent(session: AsyncSession, event: OfferSent) -> None:
    await reactions.offer_sent(session, event.organisation_id, event.event_id, _data(event))


async def approval_needed(session: AsyncSession, event: OfferEvent) -> None:
    await reactions.approval_needed(session, event.organisation_id, event.event_id, _data(event))


registry.subscribe(OfferCreated, name="notifications.approval_on_offer_created")(approval_needed)
registry.subscribe(OfferRevised, name="notifications.approval_on_offer_revised")(approval_needed)
registry.subscribe(OfferStepApproved, name="notifications.approval_on_step_approved")(approval_needed)


@registry.subscribe(AssessmentInvited, name="notifications.assessment_invitation")
async def assessment_invited(session: AsyncSession, event: AssessmentInvited) -> None:
    await reactions.assessment_invited(session, event.organisation_id, event.event_id, _data(event))


@registry.subscribe(CandidateMerged, name="notifications.follow_candidate_merge")
async def follow_candidate_merge(session: AsyncSession, event: CandidateMerged) -> None:
    """The merged-away candidate's messages now belong to the survivor (export and erasure find them)."""
    await reactions.follow_candidate_merge(session, event.merged_id, event.candidate_id)


@registry.subscribe(WebhookEndpointDisabled, name="notifications.webhook_disabled")
async def webhook_disabled(session: AsyncSession, event: WebhookEndpointDisabled) -> None:
    await reactions.webhook_disabled(session, event.organisation_id, event.event_id, _data(event))
