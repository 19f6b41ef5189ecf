"""Assessment routes for invitations and sessions, as recruiters manage them (and their results).

Results and sessions are about a person, so every response here is ``Cache-Control: no-store``.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from rolecall.assessments import service
from rolecall.assessments.auth import AssessmentsRead, AssessmentsWrite
from rolecall.assessments.models import AssessmentSession
from rolecall.assessments.schemas import (
    AccommodationIn,
    InvitationOut,
    InviteIn,
    ResultOut,
    SessionOut,
)
from rolecall.platform.auth import DbSession
from rolecall.platform.http import IfMatch, blind_index, no_store, set_etag
from rolecall.platform.pagination import Page, PageParams, page_params

router = APIRouter(prefix="/v1", tags=["assessments"])


def link_for(request: Request, token: str) -> str:
    settings = request.app.state.settings
    base = (settings.public_base_url or settings.issuer).rstrip("/")
    return f"{base}/assessments/{token}"


def session_out(record: AssessmentSession) -> SessionOut:
    return SessionOut.model_validate(
        {
            **{f: getattr(record, f) for f in SessionOut.model_fields if f != "items"},
            "items": len(record.items),
        }
    )


def session_response(record: AssessmentSession, response: Response) -> SessionOut:
    set_etag(response, record.id, record.version)
    no_store(response)
    return session_out(record)


# --- invitations and sessions -------------------------------------------------------------------------


@router.post(
    "/assessments/invitations",
    response_model=InvitationOut,
    status_code=status.HTTP_201_CREATED,
    summary="Invite an application's candidate to the job's assessment",
)
async def invite(
    body: InviteIn, request: Request, principal: AssessmentsWrite, session: DbSession, response: Response
) -> InvitationOut:
    record, token = await service.invite(
        session,
        principal,
        body.application_id,
        blind_index(request),
        extra_time_percent=body.extra_time_percent,
        link_days=body.link_days,
    )
    response.headers["Location"] = f"/v1/assessments/sessions/{record.id}"
    return InvitationOut(
        session=session_response(record, response), link=link_for(request, token) if token else None
    )


@router.get(
    "/assessments/sessions", response_model=Page[SessionOut], summary="Sessions, by job or application"
)
async def list_sessions(
    principal: AssessmentsWrite,
    session: DbSession,
    response: Response,
    paging: Annotated[PageParams, Depends(page_params)],
    job_id: uuid.UUID | None = None,
    application_id: uuid.UUID | None = None,
    status_: Annotated[str | None, Query(alias="status", max_length=12)] = None,
) -> Page[SessionOut]:
    rows, cursor = await service.list_sessions(
        session, paging, job_id=job_id, application_id=application_id, status=status_
    )
    no_store(response)
    return Page[SessionOut](
        items=[session_out(r) for r in rows], next_cursor=cursor, next_updated_since=paging.next_updated_since
    )


@router.get(
    "/assessments/sessions/{session_id}",
    response_model=SessionOut,
    summary="A session, as recruiters manage it",
)
async def read_session(
    session_id: uuid.UUID, principal: AssessmentsWrite, session: DbSession, response: Response
) -> SessionOut:
    return session_response(await service.get_session(session, session_id), response)


@router.post(
    "/assessments/sessions/{session_id}/link",
    response_model=InvitationOut,
    summary="Issue a new link for an open session (the previous link stops working)",
)
async def reissue_link(
    session_id: uuid.UUID,
    request: Request,
    principal: AssessmentsWrite,
    session: DbSession,
    response: Response,
) -> InvitationOut:
    record, token = await service.reissue_link(session, principal, session_id, blind_index(request))
    return InvitationOut(session=session_response(record, response), link=link_for(request, token))


@router.put(
    "/assessments/sessions/{session_id}/accommodation",
    response_model=SessionOut,
    summary="Grant extra time (before the candidate starts)",
)
async def set_accommodation(
    session_id: uuid.UUID,
    body: AccommodationIn,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> SessionOut:
    record = await service.set_accommodation(
        session, principal, session_id, body.extra_time_percent, if_match
    )
    return session_response(record, response)


@router.post(
    "/assessments/sessions/{session_id}/cancel",
    response_model=SessionOut,
    summary="Withdraw an open invitation",
)
async def cancel(
    session_id: uuid.UUID,
    principal: AssessmentsWrite,
    session: DbSession,
    if_match: IfMatch,
    response: Response,
) -> SessionOut:
    return session_response(await service.cancel(session, principal, session_id, if_match), response)


@router.get(
    "/assessments/sessions/{session_id}/result",
    response_model=ResultOut,
    summary="Scores per skill and item, percentile and integrity signals (never accommodations)",
)
async def read_result(
    session_id: uuid.UUID, principal: AssessmentsRead, session: DbSession, response: Response
) -> ResultOut:
    no_store(response)
    return ResultOut.model_validate(await service.result(session, principal, session_id))
