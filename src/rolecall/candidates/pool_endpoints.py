"""Talent pool routes: named lists of candidates, and who is in them.

A pool's own data (name, description) is not personal; its member list is, so that answer carries
``Cache-Control: no-store`` and is audited.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from rolecall.candidates import service
from rolecall.candidates.auth import CandidatesRead, CandidatesWrite
from rolecall.candidates.schemas import CandidateSummary, PoolCreate, PoolOut, PoolUpdate
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params
from rolecall.platform.pii import KeyRing

router = APIRouter(tags=["talent pools"])
# Member routes are registered before the pool's own path, whose DELETE would otherwise come first in
# the OpenAPI document: a walk of the API in document order (the cross-tenant test) deletes last.
Paging = Annotated[PageParams, Depends(page_params)]


def _out(view: service.PoolView, response: Response) -> PoolOut:
    set_etag(response, view.id, view.version)
    return PoolOut.model_validate(view)


@router.post("/talent-pools", response_model=PoolOut, status_code=status.HTTP_201_CREATED)
async def create_pool(
    body: PoolCreate, principal: CandidatesWrite, session: DbSession, response: Response
) -> PoolOut:
    view = await service.create_pool(session, principal, body.name, body.description)
    response.headers["Location"] = f"/v1/talent-pools/{view.id}"
    return _out(view, response)


@router.get("/talent-pools", response_model=Page[PoolOut])
async def list_pools(principal: CandidatesRead, session: DbSession, paging: Paging) -> Page[PoolOut]:
    views, cursor = await service.list_pools(session, paging)
    return Page[PoolOut](
        items=[PoolOut.model_validate(v) for v in views],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.put(
    "/talent-pools/{pool_id}/candidates/{candidate_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Add a candidate to the pool (idempotent)",
)
async def add_member(
    pool_id: uuid.UUID, candidate_id: uuid.UUID, principal: CandidatesWrite, session: DbSession
) -> Response:
    await service.add_member(session, principal, pool_id, candidate_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/talent-pools/{pool_id}/candidates/{candidate_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_member(
    pool_id: uuid.UUID, candidate_id: uuid.UUID, principal: CandidatesWrite, session: DbSession
) -> Response:
    await service.remove_member(session, principal, pool_id, candidate_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/talent-pools/{pool_id}/candidates", response_model=Page[CandidateSummary])
async def list_members(
    pool_id: uuid.UUID,
    principal: CandidatesRead,
    session: DbSession,
    paging: Paging,
    request: Request,
    response: Response,
) -> Page[CandidateSummary]:
    keyring: KeyRing = request.app.state.pii_keyring
    views, cursor = await service.list_members(session, principal, pool_id, paging, keyring=keyring)
    no_store(response)
    return Page[CandidateSummary](
        items=[CandidateSummary.model_validate(v) for v in views],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.get("/talent-pools/{pool_id}", response_model=PoolOut)
async def read_pool(
    pool_id: uuid.UUID, principal: CandidatesRead, session: DbSession, response: Response
) -> PoolOut:
    return _out(await service.get_pool(session, pool_id), response)


@router.patch("/talent-pools/{pool_id}", response_model=PoolOut)
async def update_pool(
    pool_id: uuid.UUID,
    body: PoolUpdate,
    principal: CandidatesWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> PoolOut:
    changes = body.model_dump(exclude_unset=True)
    view = await service.update_pool(session, principal, pool_id, changes, if_match)
    return _out(view, response)


@router.delete("/talent-pools/{pool_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_pool(pool_id: uuid.UUID, principal: CandidatesWrite, session: DbSession) -> Response:
    await service.delete_pool(session, principal, pool_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
