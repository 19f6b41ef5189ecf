"""Candidate routes: the organisation's candidates as people, with their personal data.

Every response carries ``Cache-Control: no-store``: it holds personal data. Files and talent pools
have modules of their own, included into this router, so the app wires one candidates router.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status

from rolecall.candidates import file_endpoints, pool_endpoints, service
from rolecall.candidates.auth import CandidatesRead, CandidatesWrite
from rolecall.candidates.schemas import (
    CandidateCreate,
    CandidateMerge,
    CandidateOut,
    CandidateSummary,
    CandidateUpdate,
    NoteCreate,
    NoteOut,
    Source,
)
from rolecall.platform import sorting as sorts
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, no_store, set_etag
from rolecall.platform.http import blind_index as _index
from rolecall.platform.http import pii_keyring as _keyring
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1", tags=["candidates"])
Paging = Annotated[PageParams, Depends(page_params)]


def _out(view: service.CandidateView, response: Response) -> CandidateOut:
    set_etag(response, view.id, view.version)
    no_store(response)
    return CandidateOut.model_validate(view)


CandidateSort = Literal["created", "-created", "updated", "-updated", "name", "-name"]
_SORT_KINDS = {"created": datetime, "updated": datetime, "name": str}


@router.get("/candidates", response_model=Page[CandidateSummary])
async def list_candidates(
    principal: CandidatesRead,
    session: DbSession,
    paging: Paging,
    request: Request,
    response: Response,
    email: Annotated[str | None, Query(max_length=320, description="Exact e-mail address")] = None,
    phone: Annotated[str | None, Query(max_length=40, description="Exact phone number")] = None,
    name: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Whole name words, all must match; case and accents ignored",
        ),
    ] = None,
    tag: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    source: Annotated[Source | None, Query()] = None,
    job_id: Annotated[uuid.UUID | None, Query(description="Only candidates who applied to this job")] = None,
    stage: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Only candidates with an application in this stage"),
    ] = None,
    sort: Annotated[
        CandidateSort | None, Query(description="created, updated or name; a leading - sorts descending")
    ] = None,
) -> Page[CandidateSummary]:
    query = service.CandidateQuery(
        email=email, phone=phone, name=name, tag=tag, source=source, job_id=job_id, stage=stage
    )
    sorting = sorts.parse(sort, request.query_params.get("cursor"), paging, _SORT_KINDS)
    views, cursor = await service.list_candidates(
        session,
        principal,
        paging,
        keyring=_keyring(request),
        index=_index(request),
        query=query,
        sorting=sorting,
    )
    no_store(response)
    return Page[CandidateSummary](
        items=[CandidateSummary.model_validate(v) for v in views],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.post(
    "/candidates",
    response_model=CandidateOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a candidate, or find the one already known by this email or phone",
    responses={200: {"model": CandidateOut, "description": "A candidate with this email or phone exists"}},
)
async def create_candidate(
    body: CandidateCreate,
    principal: CandidatesWrite,
    session: DbSession,
    request: Request,
    response: Response,
) -> CandidateOut:
    view, created = await service.create_candidate(
        session, principal, body, keyring=_keyring(request), index=_index(request)
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    response.headers["Location"] = f"/v1/candidates/{view.id}"
    return _out(view, response)


@router.get("/candidates/{candidate_id}", response_model=CandidateOut)
async def read_candidate(
    candidate_id: uuid.UUID,
    principal: CandidatesRead,
    session: DbSession,
    request: Request,
    response: Response,
) -> CandidateOut:
    view = await service.get_candidate(session, principal, candidate_id, keyring=_keyring(request))
    return _out(view, response)


@router.patch("/candidates/{candidate_id}", response_model=CandidateOut)
async def update_candidate(
    candidate_id: uuid.UUID,
    body: CandidateUpdate,
    principal: CandidatesWrite,
    session: DbSession,
    if_match: IfMatch,
    request: Request,
    response: Response,
) -> CandidateOut:
    view = await service.update_candidate(
        session, principal, candidate_id, body, if_match, keyring=_keyring(request), index=_index(request)
    )
    return _out(view, response)


@router.post(
    "/candidates/{candidate_id}/merge",
    response_model=CandidateOut,
    summary="Merge a duplicate candidate into this one; the duplicate is deleted",
)
async def merge_candidate(
    candidate_id: uuid.UUID,
    body: CandidateMerge,
    principal: CandidatesWrite,
    session: DbSession,
    if_match: IfMatch,
    request: Request,
    response: Response,
) -> CandidateOut:
    view = await service.merge_candidates(
        session,
        principal,
        candidate_id,
        body.duplicate_id,
        if_match,
        keyring=_keyring(request),
        index=_index(request),
    )
    return _out(view, response)


@router.post(
    "/candidates/{candidate_id}/notes",
    response_model=NoteOut,
    status_code=status.HTTP_201_CREATED,
    summary="Add a note about a candidate; the author is the caller",
)
async def add_note(
    candidate_id: uuid.UUID,
    body: NoteCreate,
    principal: CandidatesWrite,
    session: DbSession,
    request: Request,
    response: Response,
) -> NoteOut:
    view = await service.add_note(session, principal, candidate_id, body.body, keyring=_keyring(request))
    no_store(response)
    return NoteOut.model_validate(view)


@router.get("/candidates/{candidate_id}/notes", response_model=Page[NoteOut], summary="Notes, newest first")
async def list_notes(
    candidate_id: uuid.UUID,
    principal: CandidatesRead,
    session: DbSession,
    paging: Paging,
    request: Request,
    response: Response,
) -> Page[NoteOut]:
    views, cursor = await service.list_notes(
        session, principal, candidate_id, paging, keyring=_keyring(request)
    )
    no_store(response)
    return Page[NoteOut](
        items=[NoteOut.model_validate(v) for v in views],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.delete(
    "/candidates/{candidate_id}/notes/{note_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a note (its author or an admin only)",
)
async def delete_note(
    candidate_id: uuid.UUID, note_id: uuid.UUID, principal: CandidatesWrite, session: DbSession
) -> Response:
    await service.remove_note(session, principal, candidate_id, note_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


router.include_router(file_endpoints.router)
router.include_router(pool_endpoints.router)
