"""Offer routes: draft, revise, approve, send, record the answer, and follow the hire.

Every response carries ``Cache-Control: no-store``: offers hold pay and notes about a person.
Revising needs ``If-Match``; the other actions are guarded by the offer's status instead.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from rolecall.offers import service
from rolecall.offers.auth import OffersApprove, OffersRead, OffersWrite
from rolecall.offers.records import OfferView
from rolecall.offers.schemas import (
    Decision,
    DeclineOffer,
    HireOut,
    OfferCreate,
    OfferOut,
    OfferRevision,
    OfferStatus,
    OfferSummary,
    SendOffer,
)
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, set_etag
from rolecall.platform.http import pii_keyring as _keyring
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1", tags=["offers"])
Paging = Annotated[PageParams, Depends(page_params)]


def _out(view: OfferView, response: Response) -> OfferOut:
    set_etag(response, view.offer.id, view.offer.version)
    no_store(response)
    return OfferOut.model_validate(
        {
            **OfferSummary.model_validate(view.offer).model_dump(),
            "terms": view.current,
            "pending_step": view.pending_step,
            "decline_reason": view.decline_reason,
            "versions": view.versions,
            "approvals": view.approvals,
        }
    )


@router.post(
    "/applications/{application_id}/offers",
    response_model=OfferOut,
    status_code=status.HTTP_201_CREATED,
    summary="Draft an offer for an application at an offer stage; it then waits for approval",
)
async def create_offer(
    application_id: uuid.UUID,
    body: OfferCreate,
    principal: OffersWrite,
    session: DbSession,
    request: Request,
    response: Response,
) -> OfferOut:
    view = await service.create_offer(session, principal, application_id, body, keyring=_keyring(request))
    response.headers["Location"] = f"/v1/offers/{view.offer.id}"
    return _out(view, response)


@router.get("/offers", response_model=Page[OfferSummary])
async def list_offers(
    principal: OffersRead,
    session: DbSession,
    paging: Paging,
    response: Response,
    application_id: uuid.UUID | None = None,
    candidate_id: uuid.UUID | None = None,
    status_filter: Annotated[OfferStatus | None, Query(alias="status")] = None,
) -> Page[OfferSummary]:
    offers, cursor = await service.list_offers(
        session,
        principal,
        paging,
        application_id=application_id,
        candidate_id=candidate_id,
        status=status_filter,
    )
    no_store(response)
    return Page[OfferSummary](
        items=[OfferSummary.model_validate(o) for o in offers],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.get("/offers/{offer_id}", response_model=OfferOut)
async def read_offer(
    offer_id: uuid.UUID, principal: OffersRead, session: DbSession, request: Request, response: Response
) -> OfferOut:
    return _out(await service.get_offer(session, principal, offer_id, keyring=_keyring(request)), response)


@router.post(
    "/offers/{offer_id}/versions",
    response_model=OfferOut,
    status_code=status.HTTP_201_CREATED,
    summary="Revise the terms: a new version that needs approving again from the first step",
)
async def revise_offer(
    offer_id: uuid.UUID,
    body: OfferRevision,
    principal: OffersWrite,
    session: DbSession,
    if_match: IfMatch,
    request: Request,
    response: Response,
) -> OfferOut:
    view = await service.revise_offer(session, principal, offer_id, body, if_match, keyring=_keyring(request))
    return _out(view, response)


@router.post("/offers/{offer_id}/approve", response_model=OfferOut, summary="Approve the current step")
async def approve_offer(
    offer_id: uuid.UUID,
    principal: OffersApprove,
    session: DbSession,
    request: Request,
    response: Response,
    body: Decision | None = None,
) -> OfferOut:
    view = await service.decide(
        session, principal, offer_id, "approved", body or Decision(), keyring=_keyring(request)
    )
    return _out(view, response)


@router.post(
    "/offers/{offer_id}/reject-approval",
    response_model=OfferOut,
    summary="Reject the current step: the offer needs a new version (changes_requested)",
)
async def reject_approval(
    offer_id: uuid.UUID,
    principal: OffersApprove,
    session: DbSession,
    request: Request,
    response: Response,
    body: Decision | None = None,
) -> OfferOut:
    view = await service.decide(
        session, principal, offer_id, "rejected", body or Decision(), keyring=_keyring(request)
    )
    return _out(view, response)


@router.post("/offers/{offer_id}/send", response_model=OfferOut, summary="Send an approved offer")
async def send_offer(
    offer_id: uuid.UUID,
    principal: OffersWrite,
    session: DbSession,
    request: Request,
    response: Response,
    body: SendOffer | None = None,
) -> OfferOut:
    view = await service.send_offer(
        session, principal, offer_id, body or SendOffer(), keyring=_keyring(request)
    )
    return _out(view, response)


@router.post(
    "/offers/{offer_id}/accept",
    response_model=OfferOut,
    summary="Record the candidate's acceptance; starts the hire (see /hire)",
)
async def accept_offer(
    offer_id: uuid.UUID, principal: OffersWrite, session: DbSession, request: Request, response: Response
) -> OfferOut:
    view = await service.accept_offer(session, principal, offer_id, keyring=_keyring(request))
    return _out(view, response)


@router.post("/offers/{offer_id}/decline", response_model=OfferOut, summary="Record the candidate's refusal")
async def decline_offer(
    offer_id: uuid.UUID,
    principal: OffersWrite,
    session: DbSession,
    request: Request,
    response: Response,
    body: DeclineOffer | None = None,
) -> OfferOut:
    view = await service.decline_offer(
        session, principal, offer_id, body or DeclineOffer(), keyring=_keyring(request)
    )
    return _out(view, response)


@router.post("/offers/{offer_id}/withdraw", response_model=OfferOut, summary="Withdraw an open offer")
async def withdraw_offer(
    offer_id: uuid.UUID, principal: OffersWrite, session: DbSession, request: Request, response: Response
) -> OfferOut:
    view = await service.withdraw_offer(session, principal, offer_id, keyring=_keyring(request))
    return _out(view, response)


@router.get(
    "/offers/{offer_id}/hire",
    response_model=HireOut,
    summary="The hire saga of an accepted offer: state, steps done, compensations, failure reason",
)
async def read_hire(
    offer_id: uuid.UUID, principal: OffersRead, session: DbSession, response: Response
) -> HireOut:
    saga = await service.get_hire(session, principal, offer_id)
    no_store(response)
    return HireOut.model_validate(saga)
