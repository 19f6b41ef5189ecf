"""Routes for webhook endpoints and their delivery log.

A secret appears only in the answer to creating an endpoint or rotating its secret; those answers
are ``no-store`` (and so sealed if kept for an ``Idempotency-Key`` replay).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, pii_keyring, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.webhooks import service, ssrf
from rolecall.webhooks.auth import WebhooksRead, WebhooksWrite
from rolecall.webhooks.delivery import outbound_for
from rolecall.webhooks.models import WebhookDelivery, WebhookEndpoint
from rolecall.webhooks.schemas import (
    AttemptOut,
    DeliveryDetailOut,
    DeliveryOut,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    EndpointWithSecret,
    ReplayIn,
    ReplayOut,
    RotateIn,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Paging = Annotated[PageParams, Depends(page_params)]
BASE = "/v1/webhooks/endpoints"


def outbound(request: Request) -> ssrf.Outbound:
    """The app's outbound policy for webhook URLs (tests put one with a fake resolver in app.state)."""
    policy: ssrf.Outbound | None = getattr(request.app.state, "webhook_outbound", None)
    if policy is None:
        policy = outbound_for(request.app.state.settings)
        request.app.state.webhook_outbound = policy
    return policy


def _out(record: WebhookEndpoint, response: Response) -> EndpointOut:
    set_etag(response, record.id, record.version)
    return EndpointOut.model_validate(record)


def _with_secret(record: WebhookEndpoint, secret: str, response: Response) -> EndpointWithSecret:
    set_etag(response, record.id, record.version)
    no_store(response)
    return EndpointWithSecret.model_validate(
        {**EndpointOut.model_validate(record).model_dump(), "secret": secret}
    )


@router.post(
    "/endpoints",
    response_model=EndpointWithSecret,
    status_code=status.HTTP_201_CREATED,
    summary="Register a webhook endpoint (the answer carries its secret, once)",
)
async def create_endpoint(
    body: EndpointIn, request: Request, principal: WebhooksWrite, session: DbSession, response: Response
) -> EndpointWithSecret:
    record, secret = await service.create_endpoint(
        session,
        principal,
        url=body.url,
        event_types=body.event_types,
        description=body.description,
        enabled=body.enabled,
        grants_candidates_read=body.grants_candidates_read,
        keyring=pii_keyring(request),
        policy=outbound(request),
    )
    response.headers["Location"] = f"{BASE}/{record.id}"
    return _with_secret(record, secret, response)


@router.get("/endpoints", response_model=Page[EndpointOut], summary="The organisation's webhook endpoints")
async def list_endpoints(principal: WebhooksRead, session: DbSession, paging: Paging) -> Page[EndpointOut]:
    records, cursor = await service.list_endpoints(session, paging)
    return Page[EndpointOut](
        items=[EndpointOut.model_validate(r) for r in records],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.get("/endpoints/{endpoint_id}", response_model=EndpointOut, summary="One webhook endpoint")
async def read_endpoint(
    endpoint_id: uuid.UUID, principal: WebhooksRead, session: DbSession, response: Response
) -> EndpointOut:
    return _out(await service.get_endpoint(session, endpoint_id), response)


@router.patch(
    "/endpoints/{endpoint_id}",
    response_model=EndpointOut,
    summary="Change an endpoint's URL, types, description or grant; disable or re-enable it",
)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
    request: Request,
    principal: WebhooksWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> EndpointOut:
    record = await service.update_endpoint(
        session,
        principal,
        endpoint_id,
        if_match,
        body.model_dump(exclude_unset=True),
        policy=outbound(request),
    )
    return _out(record, response)


@router.delete(
    "/endpoints/{endpoint_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an endpoint and its delivery log",
)
async def delete_endpoint(
    endpoint_id: uuid.UUID, principal: WebhooksWrite, session: DbSession, if_match: IfMatch
) -> Response:
    await service.delete_endpoint(session, principal, endpoint_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/endpoints/{endpoint_id}/rotate-secret",
    response_model=EndpointWithSecret,
    summary="A new signing secret; the old one keeps signing for the overlap window",
)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    request: Request,
    principal: WebhooksWrite,
    session: DbSession,
    response: Response,
    body: RotateIn | None = None,
) -> EndpointWithSecret:
    overlap = timedelta(seconds=(body or RotateIn()).overlap_seconds)
    record, secret = await service.rotate_secret(
        session, principal, endpoint_id, overlap=overlap, keyring=pii_keyring(request)
    )
    return _with_secret(record, secret, response)


def _delivery(record: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut.model_validate(record)


@router.get(
    "/endpoints/{endpoint_id}/deliveries",
    response_model=Page[DeliveryOut],
    summary="The endpoint's delivery log, oldest first",
)
async def list_deliveries(
    endpoint_id: uuid.UUID,
    principal: WebhooksRead,
    session: DbSession,
    paging: Paging,
    status_filter: Annotated[Literal["pending", "succeeded", "failed"] | None, Query(alias="status")] = None,
) -> Page[DeliveryOut]:
    records, cursor = await service.list_deliveries(session, endpoint_id, paging, status_filter)
    return Page[DeliveryOut](
        items=[_delivery(r) for r in records],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.get(
    "/endpoints/{endpoint_id}/deliveries/{delivery_id}",
    response_model=DeliveryDetailOut,
    summary="One delivery with every attempt (status, latency, the start of the answer)",
)
async def read_delivery(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, principal: WebhooksRead, session: DbSession
) -> DeliveryDetailOut:
    detail = await service.get_delivery(session, endpoint_id, delivery_id)
    return DeliveryDetailOut(
        **_delivery(detail.delivery).model_dump(),
        attempt_log=[AttemptOut.model_validate(a) for a in detail.attempts],
    )


@router.post(
    "/endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send a delivery again, with a fresh round of attempts",
)
async def redeliver(
    endpoint_id: uuid.UUID, delivery_id: uuid.UUID, principal: WebhooksWrite, session: DbSession
) -> DeliveryOut:
    return _delivery(await service.redeliver(session, principal, endpoint_id, delivery_id))


@router.post(
    "/endpoints/{endpoint_id}/replay",
    response_model=ReplayOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Send the retained events of a time range again (since inclusive, until exclusive)",
)
async def replay(
    endpoint_id: uuid.UUID, body: ReplayIn, principal: WebhooksWrite, session: DbSession
) -> ReplayOut:
    result = await service.replay(session, principal, endpoint_id, since=body.since, until=body.until)
    return ReplayOut(events=result.events, created=result.created, requeued=result.requeued)
