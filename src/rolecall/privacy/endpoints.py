"""Privacy routes: export and erase a candidate, and the organisation's retention rules.

All of them need ``privacy:manage`` (admins). Export and erasure answers carry personal data or
facts about a person, so they are ``no-store``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, Response, status
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from rolecall.platform.auth import DbSession
from rolecall.platform.http import NO_STORE, no_store
from rolecall.platform.http import file_store as _store
from rolecall.platform.http import pii_keyring as _keyring
from rolecall.platform.pagination import Page, PageParams, page_params, sync_page_of_all
from rolecall.privacy import service
from rolecall.privacy.auth import PrivacyManage
from rolecall.privacy.schemas import EraseRequest, ErasureOut, Outcome, RetentionRuleIn, RetentionRuleOut

router = APIRouter(prefix="/v1", tags=["privacy"])
OptionalIfMatch = Annotated[
    str | None, Header(alias="If-Match", description="ETag of the candidate; optional for erasure")
]


@router.get(
    "/candidates/{candidate_id}/export",
    summary="Everything held about a candidate, as one JSON document (a data-subject access request)",
    response_class=JSONResponse,
    responses={200: {"description": "The export document, sent as an attachment"}},
)
async def export_candidate(
    candidate_id: uuid.UUID, principal: PrivacyManage, session: DbSession, request: Request
) -> JSONResponse:
    document = await service.export_candidate(session, principal, candidate_id, keyring=_keyring(request))
    return JSONResponse(
        jsonable_encoder(document),
        headers={
            "Content-Disposition": f"attachment; filename=candidate-{candidate_id}.json",
            "Cache-Control": NO_STORE,
        },
    )


@router.post(
    "/candidates/{candidate_id}/erase",
    response_model=ErasureOut,
    summary="Erase a candidate's personal data in every context (a second erasure changes nothing)",
)
async def erase_candidate(
    candidate_id: uuid.UUID,
    body: EraseRequest,
    principal: PrivacyManage,
    session: DbSession,
    request: Request,
    response: Response,
    if_match: OptionalIfMatch = None,
) -> ErasureOut:
    erasure = await service.erase_candidate(
        session,
        principal,
        candidate_id,
        reason=body.reason,
        keyring=_keyring(request),
        store=_store(request),
        if_match=if_match,
    )
    no_store(response)
    return ErasureOut(
        candidate_id=candidate_id,
        already_erased=erasure.already_erased,
        files_deleted=erasure.files_deleted,
    )


@router.get("/retention-rules", response_model=Page[RetentionRuleOut])
async def list_retention_rules(
    principal: PrivacyManage, session: DbSession, paging: Annotated[PageParams, Depends(page_params)]
) -> Page[RetentionRuleOut]:
    # A handful of rules per organisation: read whole; limit and cursor matter only with updated_since.
    rules, cursor = sync_page_of_all(await service.list_rules(session), paging)
    return Page[RetentionRuleOut](
        items=[RetentionRuleOut.model_validate(rule) for rule in rules],
        next_cursor=cursor,
        next_updated_since=paging.next_updated_since,
    )


@router.put(
    "/retention-rules/{outcome}",
    response_model=RetentionRuleOut,
    summary="Erase candidates whose applications all ended with this outcome after N months without activity",
    responses={201: {"model": RetentionRuleOut, "description": "The rule was created"}},
)
async def set_retention_rule(
    outcome: Outcome,
    body: RetentionRuleIn,
    principal: PrivacyManage,
    session: DbSession,
    response: Response,
) -> RetentionRuleOut:
    rule, created = await service.set_rule(session, principal, outcome, body.months)
    if created:
        response.status_code = status.HTTP_201_CREATED
    return RetentionRuleOut.model_validate(rule)


@router.delete("/retention-rules/{outcome}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_retention_rule(outcome: Outcome, principal: PrivacyManage, session: DbSession) -> Response:
    await service.delete_rule(session, principal, outcome)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
