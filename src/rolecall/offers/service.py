"""Use cases for offers: draft, approve step by step, send, and record the candidate's answer.

Lifecycle: ``pending_approval`` → ``approved`` → ``sent`` → ``accepted`` | ``declined`` | ``expired``;
a rejected approval step sends the offer to ``changes_requested`` until a new version is drafted;
``withdrawn`` ends any open offer. Terms live in immutable versions and approvals count for one
version only, so revised terms are approved afresh. Accepting starts the hire saga
(:mod:`rolecall.offers.saga`), which other contexts' changes follow in their own transactions.

Decline reasons and approval notes are free text about a person and are sealed with the PII key
ring; events and audit entries carry ids and field names only. Services never commit.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any, cast

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from rolecall.audit import service as audit
from rolecall.offers import records, repository
from rolecall.offers import terms as offer_terms
from rolecall.offers.events import (
    OfferAccepted,
    OfferApproved,
    OfferChangesRequested,
    OfferCreated,
    OfferDeclined,
    OfferEvent,
    OfferExpired,
    OfferRevised,
    OfferSent,
    OfferStepApproved,
    OfferWithdrawn,
)
from rolecall.offers.models import HireSaga, Offer, OfferApproval
from rolecall.offers.personal_data import (
    SEALED_COLUMNS,
    erase_candidate,
    export_candidate,
    follow_candidate_merge,
    rotate_keys,
)
from rolecall.offers.repository import OPEN_STATUSES
from rolecall.offers.schemas import Decision, DeclineOffer, OfferCreate, OfferRevision, OfferStatus, SendOffer
from rolecall.pipeline import service as pipeline
from rolecall.platform.auth import Principal
from rolecall.platform.clock import utcnow
from rolecall.platform.db import transaction
from rolecall.platform.errors import Conflict, Forbidden, NotFound, Unprocessable
from rolecall.platform.events import outbox
from rolecall.platform.http import check_if_match
from rolecall.platform.ids import new_id
from rolecall.platform.pagination import PageParams, page_of
from rolecall.platform.pii import KeyRing
from rolecall.platform.tenancy import bind_organisation

# Published for other contexts and the worker alongside this module's own use cases.
__all__ = [
    "SEALED_COLUMNS",
    "accept_offer",
    "create_offer",
    "decide",
    "decline_offer",
    "erase_candidate",
    "expire_offers",
    "export_candidate",
    "follow_candidate_merge",
    "get_hire",
    "get_offer",
    "list_offers",
    "revise_offer",
    "rotate_keys",
    "saga_health",
    "send_offer",
    "withdraw_offer",
]

DEFAULT_APPROVAL_CHAIN = ("hiring_manager", "admin")
DEFAULT_VALIDITY = timedelta(days=7)


def _problem(field: str, message: str) -> Unprocessable:
    return Unprocessable(message, extra={"errors": [{"field": field, "message": message}]})


def emit(
    session: AsyncSession, principal: Principal, event_class: type[OfferEvent], offer: Offer, **facts: Any
) -> None:
    """Audit entry and outbox event for one change of an offer (ids and statuses only).

    ``facts`` are the members ``event_class`` declares beyond those of every offer event.
    """
    event = event_class(
        offer_id=offer.id,
        application_id=offer.application_id,
        job_id=offer.job_id,
        candidate_id=offer.candidate_id,
        status=cast(OfferStatus, offer.status),
        offer_version=offer.current_version,
        **facts,
    )
    audit.record(
        session,
        actor=principal.actor,
        action=event.event_type,
        target_type="offer",
        target_id=offer.id,
        status=offer.status,
        offer_version=offer.current_version,
        **event.model_dump(mode="json", exclude=set(OfferEvent.model_fields)),
    )
    outbox.emit(session, event)


async def _get(session: AsyncSession, offer_id: uuid.UUID) -> Offer:
    offer = await repository.get_offer(session, offer_id)
    if offer is None:
        raise NotFound("Offer not found.")
    return offer


def _touch(offer: Offer, status: str) -> None:
    offer.status = status
    offer.version += 1


async def _at_offer_stage(session: AsyncSession, application_id: uuid.UUID) -> pipeline.ApplicationFacts:
    facts = await pipeline.application_facts(session, application_id)
    if facts.status != "active" or facts.stage_type != "offer":
        raise Conflict(
            f"The application is {facts.status} at stage {facts.stage!r} ({facts.stage_type}); "
            "offers are made to active applications at an offer stage."
        )
    return facts


async def create_offer(
    session: AsyncSession,
    principal: Principal,
    application_id: uuid.UUID,
    body: OfferCreate,
    *,
    keyring: KeyRing,
) -> records.OfferView:
    facts = await _at_offer_stage(session, application_id)
    if await repository.live_offers_for_application(session, application_id):
        raise Conflict("This application already has an open or accepted offer; revise or withdraw it.")
    terms = body.model_dump(include=set(offer_terms.TERM_FIELDS))
    await offer_terms.check_terms(session, principal, facts.job_id, terms)
    offer = Offer(
        organisation_id=principal.organisation_id,
        application_id=application_id,
        job_id=facts.job_id,
        candidate_id=facts.candidate_id,
        status="pending_approval",
        current_version=1,
        approval_chain=list(body.approval_chain or DEFAULT_APPROVAL_CHAIN),
        version=1,
    )
    session.add(offer)
    try:
        await session.flush()
    except IntegrityError as exc:  # another offer for this application was drafted at the same moment
        raise Conflict(
            "This application already has an open or accepted offer; revise or withdraw it."
        ) from exc
    session.add(offer_terms.new_version(offer, 1, terms, principal))
    await session.flush()
    emit(session, principal, OfferCreated, offer, overridden=bool(body.override_reason))
    return await records.view(session, offer, keyring)


async def expire_if_due(session: AsyncSession, offer: Offer) -> bool:
    """A sent offer past ``expires_at`` is expired; checked on every read and by :func:`expire_offers`."""
    if offer.status != "sent" or offer.expires_at is None or offer.expires_at > utcnow():
        return False
    _touch(offer, "expired")
    await session.flush()
    emit(session, Principal.acting_for("system", offer.organisation_id), OfferExpired, offer)
    return True


async def get_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, keyring: KeyRing
) -> records.OfferView:
    offer = await _get(session, offer_id)
    await expire_if_due(session, offer)
    return await records.view(session, offer, keyring)


async def list_offers(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    application_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    status: str | None = None,
) -> tuple[list[Offer], str | None]:
    rows, cursor = page_of(
        await repository.list_offers(
            session, params, application_id=application_id, candidate_id=candidate_id, status=status
        ),
        params,
    )
    for offer in rows:
        await expire_if_due(session, offer)
    return rows, cursor


async def revise_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    body: OfferRevision,
    if_match: str,
    *,
    keyring: KeyRing,
) -> records.OfferView:
    """New terms as a new immutable version; approvals start again from the first step."""
    offer = await _get(session, offer_id)
    check_if_match(if_match, offer.id, offer.version)
    await expire_if_due(session, offer)
    if offer.status not in OPEN_STATUSES:
        raise Conflict(f"A {offer.status} offer cannot be revised.")
    current = await repository.version(session, offer.id, offer.current_version)
    assert current is not None
    sent = body.model_dump(exclude_unset=True)
    terms = {field: sent.get(field, getattr(current, field)) for field in offer_terms.TERM_FIELDS}
    pay_changed = any(terms[f] != getattr(current, f) for f in ("salary", "currency", "period"))
    if "override_reason" not in sent and pay_changed:
        terms["override_reason"] = None  # a reason given for the old pay does not cover the new one
    await offer_terms.check_terms(session, principal, offer.job_id, terms)
    offer.current_version += 1
    offer.expires_at = None
    _touch(offer, "pending_approval")
    session.add(offer_terms.new_version(offer, offer.current_version, terms, principal))
    await session.flush()
    emit(session, principal, OfferRevised, offer, changed_fields=sorted(sent))
    return await records.view(session, offer, keyring)


async def decide(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    decision: str,
    body: Decision,
    *,
    keyring: KeyRing,
) -> records.OfferView:
    """Approve or reject the current step; admins may decide any step, others only their role's."""
    offer = await _get(session, offer_id)
    if offer.status != "pending_approval":
        raise Conflict(f"A {offer.status} offer has no approval step waiting.")
    step = len(await repository.approvals(session, offer.id, offer.current_version))
    role = offer.approval_chain[step]
    if role not in principal.roles and "admin" not in principal.roles:
        raise Forbidden(f"Step {step + 1} of this offer's approval chain is for the {role} role.")
    approval = OfferApproval(
        id=new_id(),  # known before flush: the note is sealed for this row's id
        organisation_id=offer.organisation_id,
        offer_id=offer.id,
        offer_version=offer.current_version,
        step=step,
        role=role,
        approver=principal.actor,
        decision=decision,
        at=utcnow(),
    )
    approval.note = records.seal(keyring, f"offer_approvals:{approval.id}:note", body.note)
    session.add(approval)
    last = step == len(offer.approval_chain) - 1
    if decision == "rejected":
        _touch(offer, "changes_requested")
    elif last:
        _touch(offer, "approved")
    else:
        offer.version += 1
    try:
        await session.flush()
    except IntegrityError as exc:  # two approvers racing for the same step
        raise Conflict("Someone else decided this step at the same time; reload the offer.") from exc
    facts: dict[str, Any] = {"step": step, "role": role, "decision": decision}
    if decision == "rejected":
        emit(session, principal, OfferChangesRequested, offer, **facts)
    elif last:
        emit(session, principal, OfferApproved, offer, **facts)
    else:
        emit(session, principal, OfferStepApproved, offer, **facts)
    return await records.view(session, offer, keyring)


async def send_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, body: SendOffer, *, keyring: KeyRing
) -> records.OfferView:
    offer = await _get(session, offer_id)
    if offer.status != "approved":
        raise Conflict(f"Only a fully approved offer can be sent; this one is {offer.status}.")
    now = utcnow()
    expires_at = body.expires_at or now + DEFAULT_VALIDITY
    if expires_at.tzinfo is None:
        raise _problem("expires_at", "expires_at needs a time zone.")
    if expires_at <= now:
        raise _problem("expires_at", "expires_at must be in the future.")
    await _at_offer_stage(session, offer.application_id)
    offer.sent_at, offer.expires_at, offer.responded_at = now, expires_at, None
    _touch(offer, "sent")
    await session.flush()
    emit(session, principal, OfferSent, offer)
    return await records.view(session, offer, keyring)


async def _sent(session: AsyncSession, offer_id: uuid.UUID) -> Offer:
    offer = await _get(session, offer_id)
    if await expire_if_due(session, offer):
        raise Conflict("The offer expired before an answer was recorded.")
    if offer.status != "sent":
        raise Conflict(f"Only a sent offer can be answered; this one is {offer.status}.")
    return offer


async def accept_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, keyring: KeyRing
) -> records.OfferView:
    """Record the candidate's yes and start the hire saga, in this one transaction."""
    offer = await _sent(session, offer_id)
    await _at_offer_stage(session, offer.application_id)
    offer.responded_at = utcnow()
    _touch(offer, "accepted")
    saga = await repository.saga_for_offer(session, offer.id)
    marker = {"step": "start", "kind": "restart", "outcome": "started", "at": utcnow().isoformat()}
    if saga is None:
        saga = HireSaga(
            organisation_id=offer.organisation_id,
            offer_id=offer.id,
            application_id=offer.application_id,
            job_id=offer.job_id,
            state="running",
            steps=[marker],
            attempts=0,
            version=1,
        )
        session.add(saga)
    else:  # accepted again after a compensated hire: a new run, the old one kept in the log
        saga.state, saga.failure_reason = "running", None
        saga.steps = [*saga.steps, marker]
        saga.version += 1
    await session.flush()
    emit(session, principal, OfferAccepted, offer, saga_id=saga.id)
    return await records.view(session, offer, keyring)


async def decline_offer(
    session: AsyncSession,
    principal: Principal,
    offer_id: uuid.UUID,
    body: DeclineOffer,
    *,
    keyring: KeyRing,
) -> records.OfferView:
    offer = await _sent(session, offer_id)
    offer.responded_at = utcnow()
    offer.decline_reason = records.seal(keyring, f"offers:{offer.id}:decline_reason", body.reason)
    _touch(offer, "declined")
    await session.flush()
    emit(session, principal, OfferDeclined, offer, reason_given=body.reason is not None)
    return await records.view(session, offer, keyring)


async def withdraw_offer(
    session: AsyncSession, principal: Principal, offer_id: uuid.UUID, *, keyring: KeyRing
) -> records.OfferView:
    offer = await _get(session, offer_id)
    await expire_if_due(session, offer)
    if offer.status not in OPEN_STATUSES:
        raise Conflict(f"A {offer.status} offer cannot be withdrawn.")
    _touch(offer, "withdrawn")
    await session.flush()
    emit(session, principal, OfferWithdrawn, offer)
    return await records.view(session, offer, keyring)


async def get_hire(session: AsyncSession, principal: Principal, offer_id: uuid.UUID) -> HireSaga:
    offer = await _get(session, offer_id)
    saga = await repository.saga_for_offer(session, offer.id)
    if saga is None:
        raise NotFound("This offer has not been accepted, so there is no hire to show.")
    return saga


async def expire_offers(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    """Worker sweep: expire every sent offer past ``expires_at``, one transaction per offer."""
    async with transaction(sessionmaker) as session:
        due = await repository.offers_due_for_expiry(session, utcnow())
    expired = 0
    for offer_id, organisation_id in due:
        async with transaction(sessionmaker) as session:
            bind_organisation(session, organisation_id)
            offer = await repository.get_offer(session, offer_id)
            if offer is not None and await expire_if_due(session, offer):
                expired += 1
    return expired


async def saga_health(session: AsyncSession) -> tuple[int, float]:
    """Running hire sagas in every organisation and the age in seconds of the oldest (for /metrics).

    A saga normally finishes within seconds of the offer's acceptance; one running for long means
    the worker is not delivering its events (see docs/runbooks/RolecallHireSagaStuck.md).
    """
    count, oldest = await repository.running_sagas(session)
    return count, 0.0 if oldest is None else max(0.0, (utcnow() - oldest).total_seconds())


# --- for other contexts (notifications) ----------------------------------------------------------


async def pending_approval(session: AsyncSession, offer_id: uuid.UUID) -> tuple[int, str] | None:
    """The offer's waiting approval step and its role, or None: who must be told it waits for them."""
    offer = await repository.get_offer(session, offer_id)
    if offer is None or offer.status != "pending_approval":
        return None
    step = len(await repository.approvals(session, offer.id, offer.current_version))
    if step >= len(offer.approval_chain):
        return None
    return step, offer.approval_chain[step]
